#include "generators/pageserver.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "generators/names.hpp"

namespace neon::gen {
namespace members {

Json env_value(const std::string& name, const std::string& value) { return Json{{"name", name}, {"value", value}}; }

Json env_secret(const std::string& name, const std::string& secret, const std::string& key) {
  return Json{{"name", name}, {"valueFrom", Json{{"secretKeyRef", Json{{"name", secret}, {"key", key}}}}}};
}

Json env_field(const std::string& name, const std::string& field_path) {
  return Json{{"name", name}, {"valueFrom", Json{{"fieldRef", Json{{"fieldPath", field_path}}}}}};
}

Json s3_env(const ClusterSpec& spec) {
  const auto& os = spec.object_storage;
  if (os.credentials != CredentialsMode::secret) {
    return Json::array();
  }
  return Json::array({env_secret(names::k_s3_access_key, os.credentials_secret, names::k_s3_access_key),
                      env_secret(names::k_s3_secret_key, os.credentials_secret, names::k_s3_secret_key)});
}

Json service_account(const ClusterSpec& spec, const std::string& name, const std::string& component) {
  if (spec.object_storage.credentials != CredentialsMode::workload_identity) {
    return nullptr;
  }
  Json meta = object_meta(name, component, Wave::members);
  for (const auto& [k, v] : spec.object_storage.service_account_annotations) {
    meta["annotations"][k] = v;
  }
  return Json{{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", meta}};
}

std::string content_digest(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

std::string remote_storage_toml(const ClusterSpec& spec, const std::string& component) {
  const auto& os = spec.object_storage;
  std::string endpoint = os.endpoint;
  if (os.minio) {
    endpoint = fmt::format("http://{}:{}", names::service_host(spec, names::k_minio), names::k_minio_port);
  }
  std::string prefix = os.prefix;
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  prefix = prefix.empty() ? component + "/" : prefix + "/" + component + "/";
  std::string out = "{";
  if (!endpoint.empty()) {
    out += "endpoint = " + toml_string(endpoint) + ", ";
  }
  out += fmt::format("bucket_name = {}, bucket_region = {}, prefix_in_bucket = {}}}", toml_string(os.bucket),
                     toml_string(os.region), toml_string(prefix));
  return out;
}

std::string controller_url(const ClusterSpec& spec) {
  return fmt::format("http://{}:{}", names::service_host(spec, names::k_controller), names::k_controller_port);
}

Json admin_token_env(const ClusterSpec& spec) {
  const auto& auth = spec.storage_controller.auth;
  if (!auth.enabled) {
    return Json::array();
  }
  return Json::array({env_secret("NEON_STORAGE_CONTROLLER_TOKEN", auth.token_secret, names::k_token_admin)});
}

Json hook_container(const ClusterSpec& spec, const std::string& name, Json args, Json env, Json mounts) {
  Json c{{"name", name}, {"image", spec.images.hook}, {"imagePullPolicy", "IfNotPresent"}, {"args", std::move(args)}};
  if (!env.empty()) {
    c["env"] = std::move(env);
  }
  if (!mounts.empty()) {
    c["volumeMounts"] = std::move(mounts);
  }
  c["resources"] = resources_json({}, Resources{{{"cpu", "50m"}, {"memory", "64Mi"}}, {{"memory", "128Mi"}}});
  c["securityContext"] = container_security_context();
  return c;
}

void place_pods(Json& pod_spec, const std::string& zone, const Json& selector) {
  Json affinity = Json::object();
  if (!zone.empty()) {
    affinity["nodeAffinity"] = Json{
        {"requiredDuringSchedulingIgnoredDuringExecution",
         Json{{"nodeSelectorTerms",
               Json::array({Json{{"matchExpressions",
                                  Json::array({Json{{"key", "topology.kubernetes.io/zone"},
                                                    {"operator", "In"},
                                                    {"values", Json::array({zone})}}})}}})}}}};
  }
  affinity["podAntiAffinity"] = Json{
      {"preferredDuringSchedulingIgnoredDuringExecution",
       Json::array({Json{{"weight", 100},
                         {"podAffinityTerm", Json{{"labelSelector", Json{{"matchLabels", selector}}},
                                                  {"topologyKey", "kubernetes.io/hostname"}}}}})}};
  pod_spec["affinity"] = affinity;
  Json spread = Json::array();
  for (const auto* key : {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}) {
    spread.push_back(Json{{"maxSkew", 1},
                          {"topologyKey", key},
                          {"whenUnsatisfiable", "ScheduleAnyway"},
                          {"labelSelector", Json{{"matchLabels", selector}}}});
  }
  pod_spec["topologySpreadConstraints"] = spread;
}

Json member_resources(const Resources& spec_resources, const std::map<std::string, std::string>& default_requests) {
  Resources defaults{default_requests, {}};
  if (spec_resources.limits.count("memory") == 0) {
    auto requested = spec_resources.requests.find("memory");
    defaults.limits["memory"] =
        requested != spec_resources.requests.end() ? requested->second : default_requests.at("memory");
  }
  return resources_json(spec_resources, defaults);
}

Json volume_claim_template(const std::string& name, const VolumeSpec& volume) {
  Json spec{{"accessModes", Json::array({"ReadWriteOnce"})}};
  if (!volume.storage_class.empty()) {
    spec["storageClassName"] = volume.storage_class;
  }
  spec["resources"] = Json{{"requests", Json{{"storage", volume.size}}}};
  return Json{{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", Json{{"name", name}}},
              {"spec", spec}};
}

Json pod_disruption_budget(const std::string& name, const std::string& component, Wave wave) {
  return Json{{"apiVersion", "policy/v1"},
              {"kind", "PodDisruptionBudget"},
              {"metadata", object_meta(name, component, wave)},
              {"spec", Json{{"maxUnavailable", 1}, {"selector", Json{{"matchLabels", selector_labels(name, component)}}}}}};
}

Json headless_service(const std::string& name, const std::string& component, Json ports, Wave wave) {
  // Headless, with not-ready addresses published: members find each other (and register) by
  // their stable pod DNS names before they pass readiness.
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", object_meta(name, component, wave)},
              {"spec", Json{{"clusterIP", "None"},
                            {"publishNotReadyAddresses", true},
                            {"selector", selector_labels(name, component)},
                            {"ports", std::move(ports)}}}};
}

Json http_probe(const std::string& path, const std::string& port, int period, int failures) {
  return Json{{"httpGet", Json{{"path", path}, {"port", port}}},
              {"periodSeconds", period},
              {"timeoutSeconds", 5},
              {"failureThreshold", failures}};
}

}  // namespace members

namespace {

using namespace members;

constexpr const char* k_component = "pageserver";
constexpr const char* k_workdir = "/data/.neon";

std::string pageserver_toml(const ClusterSpec& spec, const std::string& zone) {
  const auto& auth = spec.storage_controller.auth;
  std::string t = "# identity.toml and metadata.json are written next to this file by\n"
                  "# `kubectl-neon bootstrap pageserver` in the pod's init container.\n";
  t += fmt::format("listen_pg_addr = {}\n", toml_string(fmt::format("0.0.0.0:{}", names::k_pageserver_pg_port)));
  t += fmt::format("listen_http_addr = {}\n", toml_string(fmt::format("0.0.0.0:{}", names::k_pageserver_http_port)));
  t += fmt::format("broker_endpoint = {}\n",
                   toml_string(fmt::format("http://{}:{}", names::service_host(spec, names::k_broker), names::k_broker_port)));
  t += fmt::format("control_plane_api = {}\n", toml_string(controller_url(spec) + "/upcall/v1/"));
  t += "pg_distrib_dir = \"/usr/local/\"\n";
  t += fmt::format("availability_zone = {}\n", toml_string(zone.empty() ? "default" : zone));
  if (auth.enabled) {
    t += "http_auth_type = \"NeonJWT\"\n";
    t += fmt::format("auth_validation_public_key_path = {}\n",
                     toml_string(fmt::format("{}/{}", k_public_key_dir, names::k_public_key)));
  }
  t += fmt::format("remote_storage = {}\n", remote_storage_toml(spec, k_component));
  return t;
}

Json statefulset(const ClusterSpec& spec, const std::string& set, const std::string& zone, int zone_number,
                 int replicas, const std::string& toml) {
  const auto& auth = spec.storage_controller.auth;
  const Json selector = selector_labels(set, k_component);
  const std::string config = set + "-config";

  Json init_env = Json::array({env_field("POD_NAME", "metadata.name")});
  if (auth.enabled) {
    init_env.push_back(env_secret("NEON_CONTROL_PLANE_API_TOKEN", auth.token_secret, names::k_token_generations));
  }
  Json init = hook_container(spec, "bootstrap",
                             Json::array({"bootstrap", "pageserver", "--workdir", k_workdir, "--config",
                                          fmt::format("{}/pageserver.toml", k_config_dir), "--zone-number",
                                          std::to_string(zone_number), "--zone", zone.empty() ? "default" : zone,
                                          "--set", set, "--namespace", spec.namespace_}),
                             init_env,
                             Json::array({Json{{"name", "data"}, {"mountPath", "/data"}},
                                          Json{{"name", "config"}, {"mountPath", k_config_dir}, {"readOnly", true}}}));

  Json env = s3_env(spec);
  if (auth.enabled) {
    env.push_back(env_secret("NEON_AUTH_TOKEN", auth.token_secret, names::k_token_safekeeper));
  }
  Json mounts = Json::array({Json{{"name", "data"}, {"mountPath", "/data"}}});
  Json volumes = Json::array({Json{{"name", "config"}, {"configMap", Json{{"name", config}}}}});
  if (auth.enabled) {
    mounts.push_back(Json{{"name", "auth-public-key"}, {"mountPath", k_public_key_dir}, {"readOnly", true}});
    volumes.push_back(Json{
        {"name", "auth-public-key"},
        {"secret", Json{{"secretName", auth.key_secret},
                        {"items", Json::array({Json{{"key", names::k_public_key}, {"path", names::k_public_key}}})}}}});
  }
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
      {"metadata", object_meta(set, k_component, Wave::members)},
      {"spec", Json{{"serviceName", set},
                    {"replicas", replicas},
                    {"podManagementPolicy", "Parallel"},
                    {"selector", Json{{"matchLabels", selector}}},
                    {"template", Json{{"metadata", Json{{"labels", common_labels(set, k_component)},
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
