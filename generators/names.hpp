#pragma once
// Names, ports and Secret keys shared by the generated manifests, the bootstrap steps, the compute
// hook and `secrets init`. Defined here once; the README lists the Secrets.

#include <string>

#include "generators/spec.hpp"

namespace neon::gen::names {

// Ports (neon-api.md §1; every listener binds 0.0.0.0 in containers).
inline constexpr int k_broker_port = 50051;
inline constexpr int k_controller_port = 1234;
inline constexpr int k_pageserver_pg_port = 6400;
inline constexpr int k_pageserver_http_port = 9898;
inline constexpr int k_safekeeper_pg_port = 5454;
inline constexpr int k_safekeeper_http_port = 7676;
inline constexpr int k_compute_pg_port = 55433;
inline constexpr int k_compute_ctl_port = 3080;
/// PgBouncer in the compute image (compute/etc/pgbouncer.ini:8), the sidecar of compute.pooler.
inline constexpr int k_compute_pooler_port = 6432;
inline constexpr int k_hook_port = 8080;
inline constexpr int k_minio_port = 9000;
inline constexpr int k_postgres_port = 5432;

// Object and Service names inside the cluster's namespace.
inline constexpr const char* k_broker = "storage-broker";
inline constexpr const char* k_controller = "storage-controller";
inline constexpr const char* k_controller_db = "storage-controller-db";
inline constexpr const char* k_controller_db_name = "storage_controller";
inline constexpr const char* k_controller_db_user = "storage_controller";
inline constexpr const char* k_hook = "compute-hook";
inline constexpr const char* k_proxy = "neon-proxy";
/// The proxy's ports: Postgres clients, WebSocket and SQL over HTTP, and /metrics with /v1/status
/// (proxy/src/binary/proxy.rs:63-334, neon-connect.md §4.2).
inline constexpr int k_proxy_pg_port = 4432;
inline constexpr int k_proxy_wss_port = 4444;
inline constexpr int k_proxy_http_port = 7001;
/// The proxy Service's Postgres port (to k_proxy_pg_port): what psql and drivers try by default.
inline constexpr int k_proxy_service_pg_port = 5432;
/// The key of the hook token Secret holding the proxy's control-plane token.
inline constexpr const char* k_proxy_token_key = "proxy-token";
inline constexpr const char* k_computes_config = "compute-hook-computes";  ///< ConfigMap, key computes.json
inline constexpr const char* k_computes_key = "computes.json";
/// spec.sync's CronJob, and the app.kubernetes.io/component of its pods (`status` lists them by it).
inline constexpr const char* k_sync = "spec-sync";
inline constexpr const char* k_minio = "minio";

// Pod user IDs. The neon and compute images name their users (`neon`, `postgres`) instead of
// numbering them, and runAsNonRoot needs a number: both are the first user useradd creates on
// Debian. The kubectl-neon image runs as the distroless `nonroot` user.
inline constexpr int k_neon_uid = 1000;
inline constexpr int k_compute_uid = 1000;
inline constexpr int k_hook_uid = 65532;

/// `pageserver` or `pageserver-<zone>`: StatefulSet and headless Service name for one zone.
std::string pageserver_set(const std::string& zone);
/// `safekeeper` or `safekeeper-<zone>`.
std::string safekeeper_set(const std::string& zone);
/// `compute-<project>-<branch>`: the primary's Deployment and Service; with `replicas`,
/// `compute-<project>-<branch>-ro`, the Service over all read replicas of the branch.
std::string compute_name(const std::string& project, const std::string& branch, bool replicas = false);
/// The primary's compute ID, which compute_ctl is started with (`--compute-id`) and the hook
/// serves specs for.
std::string compute_id(const std::string& project, const std::string& branch);
/// Read replica `index` (0-based) of a branch: its own Deployment and Service
/// `compute-<project>-<branch>-ro-<index>` and compute ID `<project>-<branch>-ro-<index>`, so the
/// hook configures each one. `compute_name(p, b, true)` is the Service over all of them.
std::string replica_name(const std::string& project, const std::string& branch, int index);
/// The branch's proxy endpoint name: `endpoint` when the branch sets one, else `<project>-<branch>`.
std::string endpoint_name(const std::string& project, const Branch& branch);
std::string replica_id(const std::string& project, const std::string& branch, int index);

/// `0.0.0.0:<port>` or `[::]:<port>`: a listener on every address of the pods' family.
std::string listen_any(const ClusterSpec& spec, int port);
/// `host` as it goes into a URL: IPv6 literals (and `$(POD_IP)` in an IPv6 cluster) in brackets.
std::string url_host(const ClusterSpec& spec, const std::string& host);

/// In-cluster DNS name of a Service: `<service>.<namespace>.svc.cluster.local`.
std::string service_host(const ClusterSpec& spec, const std::string& service);
/// Stable per-pod DNS name: `<set>-<ordinal>.<set>.<namespace>.svc.cluster.local`.
std::string pod_host(const ClusterSpec& spec, const std::string& set, int ordinal);

/// Node IDs: the zone's number (1-based, 1 when there are no zones) followed by the pod ordinal
/// in decimal, so zone 2 ordinal 0 is 20 and zone 1 ordinal 12 is 112. Unique because a zone
/// number is one digit (at most 9 zones) and ordinals have no leading zeros. The bootstrap init
/// container computes it from the pod name (any Kubernetes version): pageservers read it from
/// identity.toml, safekeepers from `safekeeper.id` in their data directory.
std::uint64_t node_id(int zone_number, int ordinal);
inline constexpr int k_max_zones = 9;

/// The zone list members are spread over ("" when there are no zones), and how many members zone
/// `z` gets: `count / zones` plus one for the first `count % zones` zones.
std::vector<std::string> zones_or_default(const std::vector<std::string>& zones);
int members_in_zone(int count, std::size_t zones, std::size_t z);

// Secret keys. The Secret names come from the spec (so users can point at existing ones).
inline constexpr const char* k_s3_access_key = "AWS_ACCESS_KEY_ID";
inline constexpr const char* k_s3_secret_key = "AWS_SECRET_ACCESS_KEY";
// auth.keySecret is mounted whole as a directory: pageservers and safekeepers trust every key in it
// (libs/utils/src/auth.rs:150-166 JwtAuth::from_key_path reads each file of a directory), the storage
// controller only public.pem (storage_controller/src/main.rs:282-283 JwtAuth::from_key, one key).
inline constexpr const char* k_public_key = "public.pem";              ///< the signing key's public half
inline constexpr const char* k_public_key_next = "next.pem";           ///< `secrets rotate` step add
inline constexpr const char* k_public_key_previous = "previous.pem";   ///< `secrets rotate` step reissue
inline constexpr const char* k_token_pageserver = "pageserver";        ///< scope pageserverapi
inline constexpr const char* k_token_safekeeper = "safekeeper";        ///< scope safekeeperdata
inline constexpr const char* k_token_generations = "generations";      ///< scope generations_api
inline constexpr const char* k_token_control_plane = "control-plane";  ///< controller -> hook, in auth.hookTokenSecret
inline constexpr const char* k_token_infra = "infra";                  ///< scope infra: safekeeper registration
inline constexpr const char* k_token_peer = "controller-peer";         ///< scope controller_peer: step-down
inline constexpr const char* k_token_admin = "admin";  ///< scope admin: the operator's kubectl neon; no pod has it
inline constexpr const char* k_compute_token_key = "compute-token-key";  ///< in auth.hookTokenSecret
/// The key of compute `compute_id`'s spec token in auth.hookTokenSecret: `<compute id>.token` (a
/// compute ID has no dot, so it never meets the Secret's other keys).
inline std::string compute_token_secret_key(const std::string& compute_id) { return compute_id + ".token"; }
inline constexpr const char* k_signing_key =
    "private.pem";  ///< in auth.computeSigningSecret and auth.storageSigningSecret
inline constexpr const char* k_signing_key_next = "next.pem";  ///< storageSigningSecret, `secrets rotate` step add

}  // namespace neon::gen::names
