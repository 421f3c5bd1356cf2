#include "generators/compute_hook.hpp"

#include <fmt/format.h>

#include "generators/computes.hpp"
#include "generators/hook_rbac.hpp"
#include "generators/members.hpp"
#include "generators/names.hpp"
#include "generators/roles.hpp"
#include "generators/sync_job.hpp"
#include "generators/tls.hpp"

namespace neon::gen {
namespace {

using namespace members;

constexpr const char* k_component = "compute-hook";
constexpr const char* k_signing_dir = "/var/run/secrets/neon/signing";
constexpr const char* k_storage_signing_dir = "/var/run/secrets/neon/storage-signing";
constexpr const char* k_hook_tokens_dir = "/var/run/secrets/neon/hook-tokens";
constexpr const char* k_passwords_dir = "/var/run/secrets/neon/passwords";

/// Key `password` of every role Secret, as file `<secret>` of one projected volume. Mounted, not read
/// through the API: the hook's only Kubernetes access is deployments/scale of suspendable computes
/// (hook_rbac.hpp), and the kubelet refreshes the files when a Secret changes. `optional`: a Secret
/// not created yet leaves its file out instead of keeping the pod from starting.
Json password_volume(const ClusterSpec& spec) {
  Json sources = Json::array();
  for (const Project& p : spec.projects) {
    for (const Branch& b : p.branches) {
      for (const Role& r : effective_roles(p, b)) {
        const std::string secret = role_secret_name(p.name, b.name, r.name);
        sources.push_back(
            Json{{"secret", Json{{"name", secret},
                                 {"optional", true},
                                 {"items", Json::array({Json{{"key", "password"}, {"path", secret}}})}}}});
      }
    }
  }
  if (sources.empty()) {
    return nullptr;
  }
  return Json{{"name", "role-passwords"}, {"projected", Json{{"sources", sources}}}};
}

Json deployment(const ClusterSpec& spec, const std::string& computes_json) {
  const auto& auth = spec.storage_controller.auth;
  const std::string name = names::k_hook;

  // No storage controller token: the hook mints its own, scoped and expiring, from the storage
  // signing key (plugin/hook/controller_tokens.hpp).
  Json env = Json::array();
  Json mounts = Json::array({Json{{"name", "computes"}, {"mountPath", k_computes_dir}, {"readOnly", true}}});
  Json volumes = Json::array({Json{{"name", "computes"}, {"configMap", Json{{"name", names::k_computes_config}}}}});
  // The signing key comes from a Secret in every profile: compute_ctl fixes the keys it accepts at
  // start (compute_tools/src/http/server.rs:122-126), so a key made at each hook start would leave
  // running computes answering 401.
  env.push_back(env_value("NEON_HOOK_SIGNING_KEY_FILE", fmt::format("{}/{}", k_signing_dir, names::k_signing_key)));
  mounts.push_back(Json{{"name", "signing-key"}, {"mountPath", k_signing_dir}, {"readOnly", true}});
  volumes.push_back(secret_file_volume("signing-key", auth.compute_signing_secret, names::k_signing_key));
  // The key each compute's spec token is derived from (plugin/clients/compute_token.hpp); only the
  // hook mounts it, each compute gets its own token alone.
  env.push_back(env_value("NEON_HOOK_COMPUTE_TOKEN_KEY_FILE",
                          fmt::format("{}/{}", k_hook_tokens_dir, names::k_compute_token_key)));
  mounts.push_back(Json{{"name", "hook-tokens"}, {"mountPath", k_hook_tokens_dir}, {"readOnly", true}});
  // The storage controller's token on /notify-*, in every profile (dev too).
  env.push_back(env_value("NEON_HOOK_EXPECTED_TOKEN_FILE",
                          fmt::format("{}/{}", k_hook_tokens_dir, names::k_token_control_plane)));
  Json tokens = secret_file_volume("hook-tokens", auth.hook_token_secret, names::k_compute_token_key);
  tokens["secret"]["items"].push_back(
      Json{{"key", names::k_token_control_plane}, {"path", names::k_token_control_plane}});
  if (spec.proxy.enabled) {
    // The proxy's token on /cplane/* (NEON_PROXY_TO_CONTROLPLANE_TOKEN there, generators/proxy.cpp).
    env.push_back(
        env_value("NEON_HOOK_PROXY_TOKEN_FILE", fmt::format("{}/{}", k_hook_tokens_dir, names::k_proxy_token_key)));
    tokens["secret"]["items"].push_back(Json{{"key", names::k_proxy_token_key}, {"path", names::k_proxy_token_key}});
  }
  volumes.push_back(tokens);
  if (auth.enabled) {
    // The storage key signs each compute's tenant-scoped storage_auth_token
    // (libs/utils/src/auth.rs:75-88); only the hook mounts it.
    env.push_back(env_value("NEON_HOOK_STORAGE_SIGNING_KEY_FILE",
                            fmt::format("{}/{}", k_storage_signing_dir, names::k_signing_key)));
    mounts.push_back(Json{{"name", "storage-signing-key"}, {"mountPath", k_storage_signing_dir}, {"readOnly", true}});
    volumes.push_back(secret_file_volume("storage-signing-key", auth.storage_signing_secret, names::k_signing_key));
  }

  Json args = Json::array({"hook", "serve", "--listen", fmt::format(":{}", names::k_hook_port), "--computes",
                           fmt::format("{}/{}", k_computes_dir, names::k_computes_key), "--storage-controller",
                           controller_url(spec)});
  Json ports = Json::array({Json{{"name", "http"}, {"containerPort", names::k_hook_port}}});
  if (spec.tls.enabled) {
    // Every route over HTTPS; the plain port keeps /metrics and /healthz only, for Prometheus and
    // the probes. The CA of its own Secret verifies the storage controller (same issuer).
    args = Json::array({"hook", "serve", "--listen", fmt::format(":{}", tls::k_https_port), "--metrics-listen",
                        fmt::format(":{}", names::k_hook_port), "--computes",
                        fmt::format("{}/{}", k_computes_dir, names::k_computes_key), "--storage-controller",
                        controller_url(spec), "--tls-cert-file", fmt::format("{}/tls.crt", tls::k_server_dir),
                        "--tls-key-file", fmt::format("{}/tls.key", tls::k_server_dir), "--ca-file",
                        fmt::format("{}/ca.crt", tls::k_server_dir)});
    tls::mount_server(spec, names::k_hook, mounts, volumes);
    ports.push_back(Json{{"name", "https"}, {"containerPort", tls::k_https_port}});
  }
  if (scales_computes(spec)) {
    args.push_back("--scale-computes");  // suspends and wakes compute.suspendAfter computes (hook_rbac.hpp)
  }
  if (Json passwords = password_volume(spec); !passwords.is_null()) {
    args.push_back("--passwords");
    args.push_back(k_passwords_dir);
    mounts.push_back(Json{{"name", "role-passwords"}, {"mountPath", k_passwords_dir}, {"readOnly", true}});
    volumes.push_back(std::move(passwords));
  }
  mount_scratch(mounts, volumes, "64Mi");  // kubectl-neon writes no file; a spare for the read-only root
  Json container{
      {"name", "hook"}, {"image", spec.images.hook}, {"imagePullPolicy", "IfNotPresent"}, {"args", std::move(args)}};
  if (!env.empty()) {
    container["env"] = env;
  }
  container["ports"] = std::move(ports);
  container["volumeMounts"] = mounts;
  container["readinessProbe"] = http_probe("/healthz", "http", 10, 3);
  container["livenessProbe"] = http_probe("/healthz", "http", 20, 3);
  container["resources"] = resources_json({}, Resources{{{"cpu", "50m"}, {"memory", "64Mi"}}, {{"memory", "256Mi"}}});
  container["securityContext"] = container_security_context();

  const Json selector = selector_labels(name, k_component);
  // No Kubernetes credentials unless the hook scales computes: role passwords and tokens are
  // mounted files (password_volume), not read through the API. With compute.suspendAfter it
  // scales the suspendable computes' Deployments, as its own ServiceAccount, whose Role allows
  // that and nothing else (hook_rbac.hpp).
  Json pod_spec = Json::object();
  if (scales_computes(spec)) {
    pod_spec["serviceAccountName"] = names::k_hook;
    pod_spec["automountServiceAccountToken"] = true;
  } else {
    pod_spec["automountServiceAccountToken"] = false;
  }
  pod_spec["securityContext"] = pod_security_context(names::k_hook_uid);
  pod_spec["containers"] = Json::array({container});
  pod_spec["volumes"] = volumes;
  Json pod_meta{{"labels", common_labels(name, k_component)},
                {"annotations", Json{{k_config_digest_annotation, content_digest(computes_json)}}}};
  // One replica: the storage controller keeps every undelivered notification pending and resends
  // it (background loop, 20 s), so a restart loses nothing, while two replicas would each keep
  // their own in-memory state (the last attachment seen per tenant).
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", object_meta(name, k_component, Wave::hook)},
              {"spec", Json{{"replicas", 1},
                            {"selector", Json{{"matchLabels", selector}}},
                            {"template", Json{{"metadata", pod_meta}, {"spec", pod_spec}}}}}};
}

}  // namespace

ResourceSet generate_compute_hook(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  const std::string computes_json = computes_config(valid).dump(2) + "\n";
  ResourceSet out;
  out.push_back({k_component, Json{{"apiVersion", "v1"},
                                   {"kind", "ConfigMap"},
                                   {"metadata", object_meta(names::k_computes_config, k_component, Wave::hook)},
                                   {"data", Json{{names::k_computes_key, computes_json}}}}});
  out.push_back({k_component, deployment(spec, computes_json)});
  Json service_ports = Json::array({service_port("http", names::k_hook_port)});
  if (spec.tls.enabled) {
    service_ports.push_back(service_port("https", tls::k_https_port));
  }
  out.push_back({k_component, Json{{"apiVersion", "v1"},
                                   {"kind", "Service"},
                                   {"metadata", object_meta(names::k_hook, k_component, Wave::hook)},
                                   {"spec", Json{{"selector", selector_labels(names::k_hook, k_component)},
                                                 {"ports", std::move(service_ports)}}}}});
  if (Json cert = tls::certificate(spec, names::k_hook, Wave::hook); !cert.is_null()) {
    out.push_back({k_component, std::move(cert)});
  }
  // Beside the ConfigMap it reads: spec.sync's CronJob.
  if (Json cron = sync_cronjob(spec); !cron.is_null()) {
    out.push_back({k_component, std::move(cron)});
  }
  for (Json& o : hook_rbac(spec)) {
    out.push_back({k_component, std::move(o)});
  }
  return out;
}

}  // namespace neon::gen
