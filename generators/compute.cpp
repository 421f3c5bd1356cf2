#include "generators/compute.hpp"
#include "generators/members.hpp"

#include <cmath>

#include <fmt/format.h>

#include "generators/names.hpp"

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
  return resources_json({}, Resources{{{"cpu", fmt::format("{}m", millicpu)}, {"memory", memory}}, {{"memory", memory}}});
}

Json deployment(const ClusterSpec& spec, const Project& project, const Branch& branch, bool replica) {
  const std::string name = names::compute_name(project.name, branch.name, replica);
  const std::string id = names::compute_id(project.name, branch.name, replica);
  const std::string computes_file = fmt::format("{}/{}", k_computes_dir, names::k_computes_key);

  Json init = hook_container(spec, "bootstrap",
                             Json::array({"bootstrap", "compute", "--storage-controller", controller_url(spec),
                                          "--computes", computes_file, "--compute-id", id}),
                             admin_token_env(spec),
                             Json::array({Json{{"name", "computes"}, {"mountPath", k_computes_dir}, {"readOnly", true}}}));

  auto image = spec.images.compute.find(project.pg_version);
  Json container{
      {"name", k_component},
      {"image", image == spec.images.compute.end() ? std::string() : image->second},
      {"imagePullPolicy", "IfNotPresent"},
      {"args", Json::array({"--pgdata", k_pgdata, "-C",
                            fmt::format("postgresql://cloud_admin@localhost:{}/postgres", names::k_compute_pg_port),
                            "--compute-id", id, "--control-plane-uri",
                            fmt::format("http://{}:{}", names::service_host(spec, names::k_hook), names::k_hook_port),
                            "-b", "/usr/local/bin/postgres"})}};
  // No NEON_CONTROL_PLANE_TOKEN: the hook serves specs without one, and the control-plane token
  // would let anything running in the compute send notifications to the hook.
  container["ports"] = Json::array({Json{{"name", "postgres"}, {"containerPort", names::k_compute_pg_port}},
                                    Json{{"name", "http"}, {"containerPort", names::k_compute_ctl_port}}});
  container["volumeMounts"] = Json::array({Json{{"name", "pgdata"}, {"mountPath", k_pgdata_volume_dir}},
                                           Json{{"name", "dshm"}, {"mountPath", "/dev/shm"}}});
  // compute_ctl's /status needs a JWT: Postgres readiness by TCP, liveness on /metrics.
  container["readinessProbe"] = Json{{"tcpSocket", Json{{"port", "postgres"}}}, {"periodSeconds", 5}, {"failureThreshold", 3}};
  container["livenessProbe"] = http_probe("/metrics", "http", 20, 6);
  container["resources"] = compute_resources(branch.compute.size);
  container["securityContext"] = container_security_context();

  const Json selector = selector_labels(name, k_component);
  Json pod_spec{{"automountServiceAccountToken", false},
                {"securityContext", pod_security_context(names::k_compute_uid)},
                {"initContainers", Json::array({init})},
                {"containers", Json::array({container})},
                {"volumes", Json::array({Json{{"name", "pgdata"}, {"emptyDir", Json::object()}},
                                         // Postgres' dynamic shared memory; it counts against the memory limit.
                                         Json{{"name", "dshm"},
                                              {"emptyDir", Json{{"medium", "Memory"},
                                                                {"sizeLimit", fmt::format("{}Mi", std::lround(branch.compute.size * 1024.0))}}}},
                                         Json{{"name", "computes"},
                                              {"configMap", Json{{"name", names::k_computes_config}}}}})}};
  Json pod_meta{{"labels", common_labels(name, k_component)}};
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", object_meta(name, k_component, Wave::compute)},
              {"spec", Json{{"replicas", replica ? branch.compute.read_replicas : 1},
                            // Two primaries on one timeline must never run at once.
                            {"strategy", Json{{"type", "Recreate"}}},
                            {"selector", Json{{"matchLabels", selector}}},
                            {"template", Json{{"metadata", pod_meta}, {"spec", pod_spec}}}}}};
}

Json service(const std::string& name) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", object_meta(name, k_component, Wave::compute)},
              {"spec", Json{{"selector", selector_labels(name, k_component)},
                            {"ports", Json::array({service_port("postgres", names::k_compute_pg_port),
                                                   service_port("http", names::k_compute_ctl_port)})}}}};
}

}  // namespace

ResourceSet generate_computes(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  ResourceSet out;
  for (const auto& project : spec.projects) {
    for (const auto& branch : project.branches) {
      for (const bool replica : {false, true}) {
        if (replica && branch.compute.read_replicas <= 0) {
          continue;
        }
        out.push_back({k_component, deployment(spec, project, branch, replica)});
        out.push_back({k_component, service(names::compute_name(project.name, branch.name, replica))});
      }
    }
  }
  return out;
}

}  // namespace neon::gen
