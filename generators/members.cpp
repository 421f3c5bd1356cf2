#include "generators/members.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "generators/names.hpp"
#include "generators/tls.hpp"

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
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
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

std::string controller_url(const ClusterSpec& spec) { return tls::controller_url(spec); }

void mount_scratch(Json& mounts, Json& volumes, const std::string& size) {
  mounts.push_back(Json{{"name", "tmp"}, {"mountPath", "/tmp"}});
  volumes.push_back(Json{{"name", "tmp"}, {"emptyDir", Json{{"sizeLimit", size}}}});
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
    affinity["nodeAffinity"] =
        Json{{"requiredDuringSchedulingIgnoredDuringExecution",
              Json{{"nodeSelectorTerms",
                    Json::array({Json{{"matchExpressions", Json::array({Json{{"key", "topology.kubernetes.io/zone"},
                                                                             {"operator", "In"},
                                                                             {"values", Json::array({zone})}}})}}})}}}};
  }
  affinity["podAntiAffinity"] =
      Json{{"preferredDuringSchedulingIgnoredDuringExecution",
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
  return Json{
      {"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"metadata", Json{{"name", name}}}, {"spec", spec}};
}

Json pod_disruption_budget(const std::string& name, const std::string& component, Wave wave) {
  return Json{
      {"apiVersion", "policy/v1"},
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

Json secret_file_volume(const std::string& volume, const std::string& secret, const std::string& key) {
  return Json{{"name", volume},
              {"secret", Json{{"secretName", secret}, {"items", Json::array({Json{{"key", key}, {"path", key}}})}}}};
}

Json on_delete() { return Json{{"type", "OnDelete"}}; }

Json controller_token_file(const ClusterSpec& spec, const std::string& flag, const std::string& key, Json& args,
                           Json& mounts) {
  const auto& auth = spec.storage_controller.auth;
  if (!auth.enabled) {
    return nullptr;
  }
  args.push_back(flag);
  args.push_back(fmt::format("{}/{}", k_controller_token_dir, key));
  mounts.push_back(Json{{"name", "controller-token"}, {"mountPath", k_controller_token_dir}, {"readOnly", true}});
  return secret_file_volume("controller-token", auth.token_secret, key);
}

void mount_public_key(const ClusterSpec& spec, Json& mounts, Json& volumes) {
  const auto& auth = spec.storage_controller.auth;
  if (!auth.enabled) {
    return;
  }
  mounts.push_back(Json{{"name", "auth-public-key"}, {"mountPath", k_public_key_dir}, {"readOnly", true}});
  // Every key of the Secret: public.pem, and next.pem or previous.pem while `secrets rotate` overlaps
  // two keys. The pageserver and the safekeeper read each file of a key directory
  // (libs/utils/src/auth.rs:150-166 JwtAuth::from_key_path, :156 skips what is not a file; Secret volumes' ..data
  // entries are folders, skipped).
  volumes.push_back(Json{{"name", "auth-public-key"}, {"secret", Json{{"secretName", auth.key_secret}}}});
}

}  // namespace members

}  // namespace neon::gen
