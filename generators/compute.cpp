#include "generators/compute.hpp"
#include "generators/members.hpp"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "generators/names.hpp"
#include "generators/pooler.hpp"
#include "generators/tls.hpp"

namespace neon::gen {
namespace {

using namespace members;

constexpr const char* k_component = "compute";
// compute_ctl wipes and re-creates --pgdata on every start, so the volume sits one level above.
constexpr const char* k_pgdata_volume_dir = "/var/db/postgres";
constexpr const char* k_pgdata = "/var/db/postgres/compute";

/// 1 CU = 1 vCPU and 4 GiB. Requests equal limits for memory: Postgres sizes its caches from it.
Json compute_resources(double size) {
  const long millicpu = std::lround(size * 1000.0);
  const long mebibytes = std::lround(size * 4096.0);
  const std::string memory = fmt::format("{}Mi", mebibytes);
  return resources_json({},
                        Resources{{{"cpu", fmt::format("{}m", millicpu)}, {"memory", memory}}, {{"memory", memory}}});
}

/// Which compute a Deployment runs: the branch's primary, or read replica `replica` (0-based).
struct ComputeRef {
  const Project& project;
  const Branch& branch;
  std::optional<int> replica;

  std::string name() const {
    return replica ? names::replica_name(project.name, branch.name, *replica)
                   : names::compute_name(project.name, branch.name);
  }
  std::string id() const {
    return replica ? names::replica_id(project.name, branch.name, *replica)
                   : names::compute_id(project.name, branch.name);
  }
};

/// Label shared by the read replicas of one branch, selected by their common read-only Service.
constexpr const char* k_replicas_label = "kubectl-neon.io/read-replicas-of";

/// The init container's `bootstrap compute --hook` (with the CA that verifies the hook under spec.tls).
Json init_args(const ClusterSpec& spec, const std::string& id, const std::string& token_file) {
  Json args = Json::array(
      {"bootstrap", "compute", "--hook", tls::hook_url(spec), "--compute-id", id, "--compute-token-file", token_file});
  if (spec.tls.enabled) {
    args.push_back("--ca-file");
    args.push_back(tls::k_ca_file);
  }
  return args;
}

Json deployment(const ClusterSpec& spec, const ComputeRef& c) {
  const std::string name = c.name();
  const std::string id = c.id();
  // The tenant and timelines are created by the hook on this compute's behalf (plugin/hook/
  // hook_bootstrap.hpp), with this compute's own spec token read from a file: no storage controller
  // token is in a compute pod, and computes need no route to the controller.
  const std::string token_file = fmt::format("{}/{}", k_compute_token_dir, k_compute_token_file);
  Json init_mounts =
      Json::array({Json{{"name", "compute-token"}, {"mountPath", k_compute_token_dir}, {"readOnly", true}}});
  if (spec.tls.enabled) {
    init_mounts.push_back(tls::ca_mount());
  }
  Json init = hook_container(spec, "bootstrap", init_args(spec, id, token_file), Json::array(), std::move(init_mounts));
  Json token_volume{{"name", "compute-token"},
                    {"secret", Json{{"secretName", spec.storage_controller.auth.hook_token_secret},
                                    {"items", Json::array({Json{{"key", names::compute_token_secret_key(id)},
                                                                {"path", k_compute_token_file}}})}}}};

  auto image = spec.images.compute.find(c.project.pg_version);
  Json container{
      {"name", k_component},
      {"image", image == spec.images.compute.end() ? std::string() : image->second},
      {"imagePullPolicy", "IfNotPresent"},
      {"args",
       Json::array({"--pgdata", k_pgdata, "-C",
                    fmt::format("postgresql://cloud_admin@localhost:{}/postgres", names::k_compute_pg_port),
                    "--compute-id", id, "--control-plane-uri", tls::hook_url(spec), "-b", "/usr/local/bin/postgres"})}};
  // compute_ctl reads its spec token from NEON_CONTROL_PLANE_TOKEN only (compute_tools/src/spec.rs:79),
  // so it comes from the Secret into the environment, never argv. The token is this compute's own
  // (HMAC of its ID): it fetches this compute's spec and nothing else, not even another compute's.
  container["env"] = Json::array({env_secret("NEON_CONTROL_PLANE_TOKEN", spec.storage_controller.auth.hook_token_secret,
                                             names::compute_token_secret_key(id))});
  if (spec.tls.enabled) {
    // compute_ctl has no CA flag: its client takes the native roots, which SSL_CERT_FILE replaces
    // (compute_tools/src/spec.rs:27; rustls-native-certs 0.7 lib.rs:57-71); public roots stay.
    container["env"].push_back(env_value("SSL_CERT_FILE", tls::k_ca_file));
  }
  container["ports"] = Json::array({Json{{"name", "postgres"}, {"containerPort", names::k_compute_pg_port}},
                                    Json{{"name", "http"}, {"containerPort", names::k_compute_ctl_port}}});
  // The root filesystem is read-only: compute_ctl and Postgres write pgdata (and, in pods,
  // pgbouncer.ini below it: compute_tools/src/pg_helpers.rs:540-548) and /tmp (Postgres' socket,
  // compute_tools/src/pgbouncer.rs:1, compute_tools/src/communicator_socket_client.rs:59).
  container["volumeMounts"] =
      Json::array({Json{{"name", "pgdata"}, {"mountPath", k_pgdata_volume_dir}},
                   Json{{"name", "dshm"}, {"mountPath", "/dev/shm"}}, Json{{"name", "tmp"}, {"mountPath", "/tmp"}}});
  // compute_ctl's /status needs a JWT: Postgres readiness by TCP, liveness on /metrics.
  container["readinessProbe"] =
      Json{{"tcpSocket", Json{{"port", "postgres"}}}, {"periodSeconds", 5}, {"failureThreshold", 3}};
  container["livenessProbe"] = http_probe("/metrics", "http", 20, 6);
  container["resources"] = compute_resources(c.branch.compute.size);
  container["securityContext"] = container_security_context();

  const Json selector = selector_labels(name, k_component);
  Json pod_spec{
      {"automountServiceAccountToken", false},
      {"securityContext", pod_security_context(names::k_compute_uid)},
      {"initContainers", Json::array({init})},
      {"containers", Json::array({container})},
      {"volumes",
       Json::array(
           {Json{{"name", "pgdata"}, {"emptyDir", Json{{"sizeLimit", spec.compute.data_size}}}},
            // Postgres' dynamic shared memory; it counts against the memory limit.
            Json{{"name", "dshm"},
                 {"emptyDir", Json{{"medium", "Memory"},
                                   {"sizeLimit", fmt::format("{}Mi", std::lround(c.branch.compute.size * 1024.0))}}}},
            Json{{"name", "tmp"}, {"emptyDir", Json{{"sizeLimit", "1Gi"}}}}, std::move(token_volume)})}};
  if (Json ca = tls::ca_volume(spec, names::k_hook); !ca.is_null()) {
    pod_spec["volumes"].push_back(std::move(ca));
    pod_spec["containers"][0]["volumeMounts"].push_back(tls::ca_mount());
  }
  Json pod_labels = common_labels(name, k_component);
  if (c.replica) {
    pod_labels[k_replicas_label] = names::compute_name(c.project.name, c.branch.name, true);
  }
  Json pod_meta{{"labels", pod_labels}};
  if (c.branch.compute.pooler.enabled) {
    add_pooler_sidecar(spec, c.project, c.branch, container["image"].get<std::string>(), pod_meta, pod_spec);
  }
  // One pod per compute: each has its own compute ID, so the hook configures every one. Two
  // primaries on one timeline must never run at once, hence Recreate.
  Json dspec{{"replicas", 1},
             {"strategy", Json{{"type", "Recreate"}}},
             {"selector", Json{{"matchLabels", selector}}},
             {"template", Json{{"metadata", pod_meta}, {"spec", pod_spec}}}};
  if (!c.replica && c.branch.compute.suspend_after_seconds > 0) {
    // compute.suspendAfter: the hook owns replicas (0 asleep, 1 awake, through deployments/scale),
    // so the rendered object has none and a sync never wakes a sleeping compute. The API server
    // defaults a new Deployment to 1. Argo CD also ignores /spec/replicas on it (generators/gitops.cpp);
    // Flux applies server-side, and a field the applied object leaves out is not Flux's, so it
    // neither resets nor reports it.
    dspec.erase("replicas");
  }
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", object_meta(name, k_component, Wave::compute)},
              {"spec", std::move(dspec)}};
}

/// The Service of one compute: Postgres for clients and compute_ctl for the hook. It publishes
/// the pod before it is Ready: compute_ctl waits for its spec from the hook before Postgres
/// starts, so the hook must reach port 3080 while the readiness probe still fails. With one pod
/// per Service a client sees the same refused connection either way. With compute.pooler, PgBouncer
/// is the port `pooler`.
Json compute_service(const std::string& name, const Branch& branch) {
  Json ports = Json::array(
      {service_port("postgres", names::k_compute_pg_port), service_port("http", names::k_compute_ctl_port)});
  if (branch.compute.pooler.enabled) {
    ports.push_back(service_port("pooler", names::k_compute_pooler_port));
  }
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", object_meta(name, k_component, Wave::compute)},
              {"spec", Json{{"selector", selector_labels(name, k_component)},
                            {"publishNotReadyAddresses", true},
                            {"ports", std::move(ports)}}}};
}

/// The read-only endpoint of a branch: Postgres on every Ready read replica. It has no `http`
/// port, so the computes' ServiceMonitor finds no second target here.
Json replicas_service(const Project& project, const Branch& branch) {
  const std::string name = names::compute_name(project.name, branch.name, true);
  Json ports = Json::array({service_port("postgres", names::k_compute_pg_port)});
  if (branch.compute.pooler.enabled) {
    ports.push_back(service_port("pooler", names::k_compute_pooler_port));
  }
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", object_meta(name, k_component, Wave::compute)},
              {"spec", Json{{"selector", Json{{"app.kubernetes.io/component", k_component}, {k_replicas_label, name}}},
                            {"ports", std::move(ports)}}}};
}

}  // namespace

ResourceSet generate_computes(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  ResourceSet out;
  for (const auto& project : spec.projects) {
    for (const auto& branch : project.branches) {
      const ComputeRef primary{project, branch, std::nullopt};
      out.push_back({k_component, deployment(spec, primary), project.name});
      out.push_back({k_component, compute_service(primary.name(), branch), project.name});
      for (int i = 0; i < branch.compute.read_replicas; ++i) {
        const ComputeRef replica{project, branch, i};
        out.push_back({k_component, deployment(spec, replica), project.name});
        out.push_back({k_component, compute_service(replica.name(), branch), project.name});
      }
      // One ini for the branch: the primary and its read replicas each run a PgBouncer in front of
      // their own Postgres (a replica's pooler serves read-only sessions).
      if (branch.compute.pooler.enabled) {
        out.push_back({k_component, pooler_config_map(spec, project, branch), project.name});
      }
      if (branch.compute.read_replicas > 0) {
        out.push_back({k_component, replicas_service(project, branch), project.name});
      }
    }
  }
  return out;
}

}  // namespace neon::gen
