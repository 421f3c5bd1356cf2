#include "generators/pageserver.hpp"
#include "generators/members.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "generators/names.hpp"
#include "generators/tls.hpp"

namespace neon::gen {
namespace {

using namespace members;

constexpr const char* k_component = "pageserver";
constexpr const char* k_workdir = "/data/.neon";

std::string pageserver_toml(const ClusterSpec& spec, const std::string& zone) {
  const auto& auth = spec.storage_controller.auth;
  std::string t =
      "# identity.toml and metadata.json are written next to this file by\n"
      "# `kubectl-neon bootstrap pageserver` in the pod's init container.\n";
  t += fmt::format("listen_pg_addr = {}\n", toml_string(names::listen_any(spec, names::k_pageserver_pg_port)));
  t += fmt::format("listen_http_addr = {}\n", toml_string(names::listen_any(spec, names::k_pageserver_http_port)));
  t += fmt::format(
      "broker_endpoint = {}\n",
      toml_string(fmt::format("http://{}:{}", names::service_host(spec, names::k_broker), names::k_broker_port)));
  t += fmt::format("control_plane_api = {}\n", toml_string(controller_url(spec) + "/upcall/v1/"));
  t += "pg_distrib_dir = \"/usr/local/\"\n";
  t += fmt::format("availability_zone = {}\n", toml_string(zone.empty() ? "default" : zone));
  if (auth.enabled) {
    t += "http_auth_type = \"NeonJWT\"\n";
    // The page service too: computes bring a tenant token (pageserver/src/auth.rs:4-34,
    // libs/pageserver_api/src/config.rs:208-210).
    t += "pg_auth_type = \"NeonJWT\"\n";
    // The folder: every key in it is trusted, so keys can rotate with an overlap (members.hpp).
    t += fmt::format("auth_validation_public_key_path = {}\n", toml_string(k_public_key_dir));
  }
  if (spec.tls.enabled) {
    // Upcalls over HTTPS, verified with this CA (pageserver/src/controller_upcall_client.rs:80-95).
    t += fmt::format("ssl_ca_file = {}\n", toml_string(tls::k_ca_file));
  }
  t += fmt::format("remote_storage = {}\n", remote_storage_toml(spec, k_component));
  return t;
}

Json statefulset(const ClusterSpec& spec, const std::string& set, const std::string& zone, int zone_number,
                 int replicas, const std::string& toml) {
  const auto& auth = spec.storage_controller.auth;
  const Json selector = selector_labels(set, k_component);
  const std::string config = set + "-config";

  Json init_args =
      Json::array({"bootstrap", "pageserver", "--workdir", k_workdir, "--config",
                   fmt::format("{}/pageserver.toml", k_config_dir), "--zone-number", std::to_string(zone_number),
                   "--zone", zone.empty() ? "default" : zone, "--set", set, "--namespace", spec.namespace_});
  Json init_mounts = Json::array({Json{{"name", "data"}, {"mountPath", "/data"}},
                                  Json{{"name", "config"}, {"mountPath", k_config_dir}, {"readOnly", true}}});
  // The upcall token (scope generations_api) as a file, written into pageserver.toml.
  Json token_volume =
      controller_token_file(spec, "--control-plane-token-file", names::k_token_generations, init_args, init_mounts);
  Json init = hook_container(spec, "bootstrap", std::move(init_args),
                             Json::array({env_field("POD_NAME", "metadata.name")}), std::move(init_mounts));

  Json env = s3_env(spec);
  if (auth.enabled) {
    env.push_back(env_secret("NEON_AUTH_TOKEN", auth.token_secret, names::k_token_safekeeper));
  }
  Json mounts = Json::array({Json{{"name", "data"}, {"mountPath", "/data"}}});
  Json volumes = Json::array({Json{{"name", "config"}, {"configMap", Json{{"name", config}}}}});
  if (!token_volume.is_null()) {
    volumes.push_back(std::move(token_volume));
  }
  mount_public_key(spec, mounts, volumes);
  if (Json ca = tls::ca_volume(spec, names::k_controller); !ca.is_null()) {
    volumes.push_back(std::move(ca));
    mounts.push_back(tls::ca_mount());
  }
  // The pageserver writes under -D /data only (temp files beside their targets, e.g.
  // pageserver/src/consumption_metrics/disk_cache.rs:109); /tmp is a spare for the read-only root.
  mount_scratch(mounts, volumes);
  Json container{{"name", k_component},
                 {"image", spec.images.storage},
                 {"imagePullPolicy", "IfNotPresent"},
                 {"command", Json::array({"/usr/local/bin/pageserver"})},
                 {"args", Json::array({"-D", k_workdir})},
                 {"ports", Json::array({Json{{"name", "pg"}, {"containerPort", names::k_pageserver_pg_port}},
                                        Json{{"name", "http"}, {"containerPort", names::k_pageserver_http_port}}})}};
  if (!env.empty()) {
    container["env"] = env;
  }
  container["volumeMounts"] = mounts;
  container["startupProbe"] = http_probe("/v1/status", "http", 10, 60);
  container["readinessProbe"] = http_probe("/v1/status", "http", 10, 3);
  container["livenessProbe"] = http_probe("/v1/status", "http", 20, 6);
  container["resources"] = member_resources(spec.pageservers.resources, {{"cpu", "500m"}, {"memory", "1Gi"}});
  container["securityContext"] = container_security_context();

  Json pod_spec = Json::object();
  if (spec.object_storage.credentials == CredentialsMode::workload_identity) {
    pod_spec["serviceAccountName"] = k_component;
  } else {
    pod_spec["automountServiceAccountToken"] = false;
  }
  pod_spec["securityContext"] = pod_security_context(names::k_neon_uid);
  // Detaching tenants and flushing layers can take a while on a busy pageserver.
  pod_spec["terminationGracePeriodSeconds"] = 120;
  pod_spec["initContainers"] = Json::array({init});
  pod_spec["containers"] = Json::array({container});
  pod_spec["volumes"] = volumes;
  place_pods(pod_spec, zone, selector);

  return Json{
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", data_object_meta(set, k_component, Wave::members)},
      {"spec", Json{{"serviceName", set},
                    {"replicas", replicas},
                    {"podManagementPolicy", "Parallel"},
                    {"updateStrategy", on_delete()},
                    {"selector", Json{{"matchLabels", selector}}},
                    {"template",
                     Json{{"metadata", Json{{"labels", common_labels(set, k_component)},
                                            {"annotations", Json{{k_config_digest_annotation, content_digest(toml)}}}}},
                          {"spec", pod_spec}}},
                    {"volumeClaimTemplates", Json::array({volume_claim_template("data", spec.pageservers.storage)})}}}};
}

}  // namespace

ResourceSet generate_pageservers(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  ResourceSet out;
  const Json sa = service_account(spec, k_component, k_component);
  if (!sa.is_null()) {
    out.push_back({k_component, sa});
  }
  const auto zones = names::zones_or_default(spec.pageservers.zones);
  for (std::size_t z = 0; z < zones.size(); ++z) {
    const std::string set = names::pageserver_set(zones[z]);
    const int replicas = names::members_in_zone(spec.pageservers.count, zones.size(), z);
    const std::string toml = pageserver_toml(spec, zones[z]);
    Json cm{{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", object_meta(set + "-config", k_component, Wave::members)},
            {"data", Json{{"pageserver.toml", toml}}}};
    out.push_back({k_component, cm});
    out.push_back({k_component, statefulset(spec, set, zones[z], static_cast<int>(z) + 1, replicas, toml)});
    out.push_back({k_component, headless_service(set, k_component,
                                                 Json::array({service_port("pg", names::k_pageserver_pg_port),
                                                              service_port("http", names::k_pageserver_http_port)}),
                                                 Wave::members)});
    out.push_back({k_component, pod_disruption_budget(set, k_component, Wave::members)});
  }
  return out;
}

}  // namespace neon::gen
