#pragma once
// The cluster spec (`neon.yaml`): one Neon cluster, parsed from YAML by parse_spec() and checked by
// validate(). Field names mirror the YAML keys; see schemas/neon-cluster.schema.json.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "generators/diagnostics.hpp"

namespace neon::gen {

inline constexpr const char* k_spec_api_version = "kubectl-neon.io/v1alpha1";
inline constexpr const char* k_spec_kind = "NeonCluster";

enum class Profile { dev, prod };
/// The pods' primary address family: listeners and URLs built from pod IPs follow it.
enum class IpFamily { ipv4, ipv6 };
enum class GitopsTarget { none, argocd, flux };
/// How the tree is cut for the GitOps engine: `none`, one folder for all computes; `project`, one
/// folder (one Argo CD Application, one Flux Kustomization) per project (generators/layout.hpp).
enum class GitopsSplit { none, project };
enum class CredentialsMode { secret, workload_identity };
enum class DatabaseMode { secret, in_cluster };

/// Kubernetes resource requests and limits, e.g. requests.cpu = "500m". Keys are sorted.
struct Resources {
  std::map<std::string, std::string> requests;
  std::map<std::string, std::string> limits;
};

struct VolumeSpec {
  std::string size;           ///< Kubernetes quantity
  std::string storage_class;  ///< empty: the cluster default
};

struct Images {
  std::string storage;                 ///< neon image: pageserver, safekeeper, broker, controller
  std::map<int, std::string> compute;  ///< Postgres major version -> compute-node image
  std::string hook;                    ///< the kubectl-neon image (compute hook, bootstrap steps)
  std::string minio;                   ///< dev object storage
  std::string minio_client;            ///< dev bucket-creating Job
  std::string postgres;                ///< dev storage controller database
};

struct ObjectStorage {
  bool minio = false;    ///< run a dev MinIO in the cluster
  std::string endpoint;  ///< custom S3 endpoint; empty means AWS
  std::string bucket;
  std::string region;
  std::string prefix;  ///< prefix inside the bucket; pageserver/ and safekeeper/ go below it
  CredentialsMode credentials = CredentialsMode::secret;
  std::string credentials_secret;  ///< Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  std::map<std::string, std::string> service_account_annotations;  ///< workload identity
};

struct Auth {
  bool enabled = false;
  std::string key_secret;    ///< public.pem (and never the private key)
  std::string token_secret;  ///< JWTs per caller (plugin/commands/cmd_secrets.cpp)
  /// The compute hook's Ed25519 key for compute_ctl, in every profile: compute_ctl fixes the keys
  /// it accepts at start (compute_tools/src/http/server.rs:122-126), so the key must outlive the hook.
  std::string compute_signing_secret = "neon-compute-hook-key";
  /// The storage auth private key (private.pem), mounted only into the compute hook, which mints
  /// each compute's tenant-scoped storage_auth_token from it (auth on only).
  std::string storage_signing_secret = "neon-storage-signing-key";
  /// The compute hook's tokens, in every profile: `control-plane` (the storage controller's bearer
  /// on /notify-*), `compute-token-key` (the hook derives each compute's spec token from it) and
  /// `<compute id>.token` (each compute's NEON_CONTROL_PLANE_TOKEN, compute_tools/src/spec.rs:79).
  std::string hook_token_secret = "neon-compute-hook-tokens";
};

struct StorageController {
  DatabaseMode database = DatabaseMode::in_cluster;
  std::string database_secret;  ///< Secret holding the database URL
  std::string database_secret_key = "uri";
  Auth auth;
  bool ha = false;  ///< candidates and a surge pod during rollouts (one instance otherwise)
  Resources resources;
};

struct Pageservers {
  int count = 1;
  std::vector<std::string> zones;
  VolumeSpec storage;
  Resources resources;
};

struct Safekeepers {
  int count = 3;
  std::vector<std::string> zones;
  VolumeSpec storage;
  bool wal_offload = true;
  Resources resources;
};

struct StorageBroker {
  int replicas = 1;
  Resources resources;
};

/// `compute.pooler`: PgBouncer from the compute image as a sidecar of each compute of the branch
/// (generators/pooler.hpp). `true` or `{enabled, settings}`; settings are [pgbouncer] keys.
struct PoolerSpec {
  bool enabled = false;
  std::map<std::string, std::string> settings;  ///< pgbouncer setting -> value, sorted by name
};

struct ComputeSpec {
  double size = 0.25;  ///< compute units: 1 CU = 1 vCPU and 4 GiB of memory
  int read_replicas = 0;
  PoolerSpec pooler;  ///< per branch, not inherited (like size and readReplicas)
  /// `compute.suspendAfter`: the hook scales the compute to zero after this much idle time, and the
  /// proxy's wake_compute starts it again. 0: never suspended (the default).
  long suspend_after_seconds = 0;
  std::string suspend_after;  ///< as written ("5m"), for messages; empty when not set
};

/// An extra CREATE/ALTER option of a role or database, as compute_ctl's GenericOption
/// (libs/compute_api/src/spec.rs:572-576, rendered by compute_tools/src/pg_helpers.rs:61-70).
struct SqlOption {
  std::string name;                  ///< upper case, e.g. "CONNECTION LIMIT"
  std::optional<std::string> value;  ///< nullopt: the bare option
  std::string vartype = "string";    ///< "string" is quoted by compute_ctl; others are verbatim
};

/// A login role of a branch; its password lives in the Secret `<project>-<branch>-<role>`.
struct Role {
  std::string name;
  std::vector<SqlOption> options;
};

struct Database {
  std::string name;
  std::string owner;  ///< a role of the branch
  std::vector<SqlOption> options;
};

struct Branch {
  std::string name;
  /// The proxy endpoint name (`<endpoint>.<proxy domain>`); empty: `<project>-<branch>`
  /// (names::endpoint_name gives the effective one).
  std::string endpoint;
  std::string timeline_id;
  std::string parent;     ///< empty: the project's root timeline
  std::string lsn;        ///< optional branch point "X/Y"
  std::string timestamp;  ///< optional branch point, RFC 3339
  ComputeSpec compute;
  /// nullopt: inherited from the parent branch (gen::effective_roles); a list, even empty: its own.
  std::optional<std::vector<Role>> roles;
  std::optional<std::vector<Database>> databases;
};

struct TenantConfigValue {
  std::string key;
  std::string json;  ///< the value, serialised as JSON (strings quoted)
};

struct Project {
  std::string name;
  int pg_version = 17;
  std::string tenant_id;
  int shard_count = 1;                           ///< 1 means unsharded
  int stripe_size = 2048;                        ///< in 8 KiB pages
  std::vector<TenantConfigValue> tenant_config;  ///< sorted by key
  /// preferredZone: the pageserver zone the controller should place the tenant's shards in
  /// (PUT /control/v1/preferred_azs, applied by `sync`); empty: the controller chooses.
  std::string preferred_zone;
  /// allowedIps: the client addresses the proxy admits to this project's endpoints ("1.2.3.4",
  /// "10.0.0.0/8", "10.0.0.1-10.0.0.9"; proxy/src/auth/credentials.rs:159-230); nullopt: every one.
  std::optional<std::vector<std::string>> allowed_ips;
  std::vector<Branch> branches;
};

struct Gitops {
  GitopsTarget target = GitopsTarget::none;
  std::string repo_url;
  std::string revision = "main";
  std::string path;                            ///< folder of this cluster in the repository; default clusters/<name>
  std::string argocd_namespace = "argocd";     ///< where Argo CD runs (its Application and AppProject)
  std::string flux_namespace = "flux-system";  ///< where Flux runs (its GitRepository and Kustomizations)
  std::string secret_ref;                 ///< Secret with Flux's Git credentials; empty: neon-<name>-git for ssh URLs
  std::string sops_secret;                ///< Secret with Flux's SOPS decryption keys; empty: no decryption
  GitopsSplit split = GitopsSplit::none;  ///< project: a folder and a GitOps unit per project
};

/// A NetworkPolicyPeer (networking.k8s.io/v1) as the spec writes it: selectors are plain label
/// maps (matchLabels); an empty map selects everything, an absent one is not set.
struct NetworkPeer {
  std::optional<std::map<std::string, std::string>> namespace_selector;
  std::optional<std::map<std::string, std::string>> pod_selector;
  std::string cidr;                 ///< ipBlock.cidr; empty: no ipBlock
  std::vector<std::string> except;  ///< ipBlock.except
};

struct NetworkPort {
  int port = 0;
  std::string protocol = "TCP";
};

/// spec.networkPolicies.egress[]: more egress for the listed components (all Neon pods when empty).
struct EgressRule {
  std::vector<std::string> components;
  std::vector<NetworkPeer> to;
  std::vector<NetworkPort> ports;  ///< empty: every port
};

struct NetworkPolicies {
  bool enabled = false;
  /// Where object storage lives; empty: any address but link-local (pageservers and safekeepers).
  std::vector<std::string> object_storage_cidrs;
  std::vector<EgressRule> egress;
};

/// Who scrapes /metrics: Prometheus pods in the matching namespaces (kube-prometheus-stack's
/// defaults: namespace `monitoring`, pods labelled app.kubernetes.io/name=prometheus).
struct Monitoring {
  bool enabled = false;
  std::map<std::string, std::string> namespace_selector{{"kubernetes.io/metadata.name", "monitoring"}};
  std::map<std::string, std::string> pod_selector{{"app.kubernetes.io/name", "prometheus"}};
};

/// spec.tls: HTTPS where tokens cross the pod network (to the storage controller and the compute
/// hook), with certificates from cert-manager (issuerRef: one Certificate per server) or from one
/// kubernetes.io/tls Secret of the user's (secretRef). Either way the Secrets hold ca.crt, which the
/// clients trust.
struct InternalTls {
  bool enabled = false;
  std::string issuer_name;             ///< issuerRef.name; empty with secretRef
  std::string issuer_kind = "Issuer";  ///< issuerRef.kind: Issuer | ClusterIssuer
  std::string secret_name;             ///< secretRef.name; empty with issuerRef
};

/// spec.proxy: Neon's proxy as the one TLS endpoint of every branch, with the compute hook as its
/// control plane (neon-connect.md §4-5). Clients reach `<endpoint>.<domain>`.
struct ProxySpec {
  bool enabled = false;
  std::string domain;                  ///< the proxy certificate's subject must be CN=*.<domain>
  std::string tls_secret;              ///< tls.secretRef.name: a kubernetes.io/tls Secret of the user's
  std::string issuer_name;             ///< tls.issuerRef.name: cert-manager issues the Certificate
  std::string issuer_kind = "Issuer";  ///< tls.issuerRef.kind: Issuer | ClusterIssuer
  std::string service_type = "LoadBalancer";
  std::map<std::string, std::string> service_annotations;
  int replicas = 2;
  Resources resources;

  /// The Secret the proxy mounts: tls_secret, or the one the Certificate fills.
  std::string certificate_secret() const { return tls_secret.empty() ? "neon-proxy-tls" : tls_secret; }
};

/// spec.compute: settings of every compute.
struct ClusterCompute {
  /// Who may connect to the computes' client ports; nullopt: pods of the cluster's namespace.
  std::optional<std::vector<NetworkPeer>> allow_from;
  /// sizeLimit of each compute's data emptyDir (pgdata: WAL not yet acknowledged, temporary
  /// files of big sorts and hashes); a pod writing more is evicted.
  std::string data_size = "10Gi";
};

/// spec.sync: a CronJob running `kubectl neon sync` (without --prune) in the cluster against the
/// computes.json the hook's ConfigMap holds (generators/sync_job.hpp).
struct SpecSync {
  bool enabled = false;  ///< spec.sync is present
  std::string schedule;  ///< five-field cron expression (validate checks it)
  bool suspend = false;  ///< the CronJob's spec.suspend
};

struct ClusterSpec {
  std::string file;  ///< where it came from, for diagnostics
  std::string api_version;
  std::string kind;
  std::string name;
  std::string namespace_;
  Profile profile = Profile::dev;
  IpFamily ip_family = IpFamily::ipv4;
  Images images;
  ObjectStorage object_storage;
  StorageController storage_controller;
  Pageservers pageservers;
  Safekeepers safekeepers;
  StorageBroker storage_broker;
  std::vector<Project> projects;
  Gitops gitops;
  ClusterCompute compute;
  bool monitoring = false;  ///< monitoring_config.enabled, kept for the many readers of the switch
  Monitoring monitoring_config;
  bool network_policies = false;  ///< network_policy_config.enabled
  NetworkPolicies network_policy_config;
  InternalTls tls;
  ProxySpec proxy;
  SpecSync sync;
  /// Position of every field read, keyed by field path (`spec.pageservers.count`).
  std::map<std::string, Mark> marks;

  /// The position of `path`, or of its nearest parent that has one.
  Mark mark_of(const std::string& path) const;
};

/// The validated spec: only validate() makes one, so generators can trust every field.
class ValidSpec {
public:
  const ClusterSpec& spec() const { return m_spec; }
  const ClusterSpec* operator->() const { return &m_spec; }

private:
  friend class ValidSpecFactory;
  explicit ValidSpec(ClusterSpec spec) : m_spec(std::move(spec)) {}
  ClusterSpec m_spec;
};

}  // namespace neon::gen
