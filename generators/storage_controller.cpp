#include "generators/storage_controller.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "generators/names.hpp"
#include "generators/storage_broker.hpp"
#include "generators/tls.hpp"

namespace neon::gen {
namespace {

constexpr const char* k_component = "storage-controller";

// Safekeepers per timeline: three is the production quorum (strict mode refuses fewer); a
// smaller dev cluster gets as many as it has.
int timeline_safekeeper_count(const ClusterSpec& s) { return std::min(s.safekeepers.count, 3); }

Json controller_env(const ClusterSpec& s) {
  Json env = Json::array();
  if (s.storage_controller.ha) {
    env.push_back(Json{{"name", "POD_IP"}, {"valueFrom", Json{{"fieldRef", Json{{"fieldPath", "status.podIP"}}}}}});
  }
  if (s.storage_controller.database == DatabaseMode::in_cluster) {
    env.push_back(Json{{"name", "DATABASE_URL"}, {"value", dev_database_url(s)}});
  } else {
    env.push_back(env_from_secret("DATABASE_URL", s.storage_controller.database_secret,
                                  s.storage_controller.database_secret_key));
  }
  const Auth& auth = s.storage_controller.auth;
  // In every profile, --dev too: the hook accepts notifications only with this token
  // (storage_controller/src/main.rs:298-301 reads it whatever the mode).
  env.push_back(env_from_secret("CONTROL_PLANE_JWT_TOKEN", auth.hook_token_secret, names::k_token_control_plane));
  if (auth.enabled) {
    env.push_back(env_from_secret("PUBLIC_KEY", auth.key_secret, names::k_public_key));
    env.push_back(env_from_secret("PAGESERVER_JWT_TOKEN", auth.token_secret, names::k_token_pageserver));
    env.push_back(env_from_secret("SAFEKEEPER_JWT_TOKEN", auth.token_secret, names::k_token_safekeeper));
    // Step-down calls need scope controller_peer only (storage_controller/src/http.rs:1452).
    env.push_back(env_from_secret("PEER_JWT_TOKEN", auth.token_secret, names::k_token_peer));
  }
  return env;
}

Json controller_container(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  Json ports = Json::array({Json{{"name", "http"}, {"containerPort", names::k_controller_port}, {"protocol", "TCP"}}});
  if (s.tls.enabled) {
    ports.push_back(Json{{"name", "https"}, {"containerPort", tls::k_https_port}, {"protocol", "TCP"}});
  }
  const Resources defaults{{{"cpu", "250m"}, {"memory", "512Mi"}}, {{"memory", "1Gi"}}};
  Json security = container_security_context();
  security["readOnlyRootFilesystem"] = true;
  Json startup = http_probe("/status", "http", 5, 60);  // migrations run before it listens
  // Liveness on /status, not /live: /live answers 503 on every instance that is not the leader
  // (storage_controller/src/http.rs:1637-1654), so a /live probe would restart the stepped-down
  // pod during an HA hand-over, and as a candidate it would take leadership back.
  // /ready answers on a candidate too (http.rs:1829-1866).
  return Json{{"name", "storage-controller"},
              {"image", s.images.storage},
              {"command", Json::array({"storage_controller"})},
              {"args", storage_controller_args(spec)},
              {"env", controller_env(s)},
              {"ports", ports},
              {"startupProbe", startup},
              {"readinessProbe", http_probe("/ready", "http", 5, 3)},
              {"livenessProbe", http_probe("/status", "http", 10, 6)},
              {"resources", resources_json(s.storage_controller.resources, defaults)},
              {"securityContext", security}};
}

}  // namespace

std::string dev_database_url(const ClusterSpec& spec) {
  return fmt::format("postgresql://{}@{}:{}/{}", names::k_controller_db_user,
                     names::service_host(spec, names::k_controller_db), names::k_postgres_port,
                     names::k_controller_db_name);
}

std::vector<std::string> storage_controller_args(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  std::vector<std::string> args{
      "--listen=" + names::listen_any(s, names::k_controller_port),
      // Always set: without it a --dev controller panics on its first notification (§4.1).
      fmt::format("--control-plane-url={}/", tls::hook_url(s)),
  };
  if (s.tls.enabled) {
    // Both listeners at once (storage_controller/src/main.rs:56-71, :505-543): HTTPS for every
    // caller with a token, plain for /metrics, probes and a peer asking for step-down. The CA file is
    // trusted by the controller's clients, the compute hook's among them (compute_hook.rs:625-632).
    args.push_back("--listen-https=" + names::listen_any(s, tls::k_https_port));
    args.push_back(fmt::format("--ssl-cert-file={}/tls.crt", tls::k_server_dir));
    args.push_back(fmt::format("--ssl-key-file={}/tls.key", tls::k_server_dir));
    args.push_back(fmt::format("--ssl-ca-file={}/ca.crt", tls::k_server_dir));
  }
  if (s.storage_controller.ha) {
    // Each candidate advertises its own pod, so the leader hand-over reaches the right instance: an
    // address equal to the recorded leader's counts as a restart and asks nobody to step down
    // (storage_controller/src/leadership.rs:47-64).
    args.push_back(
        fmt::format("--address-for-peers=http://{}:{}", names::url_host(s, "$(POD_IP)"), names::k_controller_port));
    args.emplace_back("--start-as-candidate");
  } else {
    args.push_back(fmt::format("--address-for-peers=http://{}:{}", names::service_host(s, names::k_controller),
                               names::k_controller_port));
  }
  args.push_back(fmt::format("--timeline-safekeeper-count={}", timeline_safekeeper_count(s)));
  if (!s.storage_controller.auth.enabled) {
    args.emplace_back("--dev");
  }
  return args;
}

ResourceSet generate_storage_controller(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  const std::string name = names::k_controller;
  const Json selector = selector_labels(name, k_component);
  const bool ha = s.storage_controller.ha;

  Json pod_spec{{"automountServiceAccountToken", false},
                {"securityContext", pod_security_context(k_neon_uid)},
                {"terminationGracePeriodSeconds", 30},
                {"containers", Json::array({controller_container(spec)})}};
  if (s.tls.enabled) {
    Json mounts = Json::array();
    Json volumes = Json::array();
    tls::mount_server(s, name, mounts, volumes);
    pod_spec["containers"][0]["volumeMounts"] = std::move(mounts);
    pod_spec["volumes"] = std::move(volumes);
  }
  if (ha) {
    pod_spec["affinity"] = preferred_anti_affinity(selector);
    pod_spec["topologySpreadConstraints"] = spread_constraints(selector);
  }
  // Neon's model (docs/rfcs/037-storage-controller-restarts.md:16, :72-75): one instance, and
  // with ha a surge pod only during a rollout. The new pod starts as a candidate, asks the leader
  // to step down, takes over, and then the old one goes; a stepped-down instance keeps forwarding
  // to the leader meanwhile (http.rs:1985-2050). Two permanent replicas would flip leadership
  // forever. Without ha two controllers must never share the database: stop the old one first.
  const Json strategy =
      ha ? Json{{"type", "RollingUpdate"}, {"rollingUpdate", Json{{"maxSurge", 1}, {"maxUnavailable", 0}}}}
         : Json{{"type", "Recreate"}};
  Json deployment{
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", object_meta(name, k_component, Wave::controller)},
      {"spec",
       Json{{"replicas", 1},
            {"revisionHistoryLimit", 3},
            {"strategy", strategy},
            {"selector", Json{{"matchLabels", selector}}},
            {"template", Json{{"metadata", Json{{"labels", common_labels(name, k_component)}}}, {"spec", pod_spec}}}}}};

  Json service_ports = Json::array({service_port("http", names::k_controller_port)});
  if (s.tls.enabled) {
    service_ports.push_back(service_port("https", tls::k_https_port));
  }
  Json service{{"apiVersion", "v1"},
               {"kind", "Service"},
               {"metadata", object_meta(name, k_component, Wave::controller)},
               {"spec", Json{{"type", "ClusterIP"}, {"selector", selector}, {"ports", service_ports}}}};

  ResourceSet out{Resource{k_component, std::move(deployment)}, Resource{k_component, std::move(service)}};
  if (Json cert = tls::certificate(s, name, Wave::controller); !cert.is_null()) {
    out.push_back(Resource{k_component, std::move(cert)});
  }
  if (ha) {
    Json pdb{{"apiVersion", "policy/v1"},
             {"kind", "PodDisruptionBudget"},
             {"metadata", object_meta(name, k_component, Wave::controller)},
             {"spec", Json{{"maxUnavailable", 1}, {"selector", Json{{"matchLabels", selector}}}}}};
    out.push_back(Resource{k_component, std::move(pdb)});
  }
  return out;
}

}  // namespace neon::gen
