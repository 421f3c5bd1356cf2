#include "generators/safekeeper.hpp"
#include "generators/members.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"
#include "generators/tls.hpp"

namespace neon::gen {
namespace {

using namespace members;

constexpr const char* k_component = "safekeeper";

Json safekeeper_args(const ClusterSpec& spec, const std::string& set, const std::string& zone) {
  // No --id: the safekeeper reads its id from safekeeper.id in -D when the flag is absent
  // (safekeeper/src/bin/safekeeper.rs:788-830), and the register init container writes that file
  // from the pod name's ordinal, on any Kubernetes version.
  Json args = Json::array(
      {"-D", "/data", "--listen-pg=" + names::listen_any(spec, names::k_safekeeper_pg_port),
       "--listen-http=" + names::listen_any(spec, names::k_safekeeper_http_port),
       fmt::format("--advertise-pg=$(POD_NAME).{}:{}", names::service_host(spec, set), names::k_safekeeper_pg_port),
       fmt::format("--broker-endpoint=http://{}:{}", names::service_host(spec, names::k_broker), names::k_broker_port),
       fmt::format("--availability-zone={}", zone.empty() ? "default" : zone)});
  if (spec.safekeepers.wal_offload) {
    args.push_back("--remote-storage=" + remote_storage_toml(spec, k_component));
  } else {
    args.push_back("--disable-wal-backup");
  }
  if (spec.storage_controller.auth.enabled) {
    // The folder: every key in it is trusted (safekeeper/src/bin/safekeeper.rs:359-391 reads it
    // with JwtAuth::from_key_path), so keys can rotate with an overlap (members.hpp).
    const std::string key = k_public_key_dir;
    args.push_back("--http-auth-public-key-path=" + key);
    // Auth on means auth on the WAL port too: computes bring a tenant token, pageservers a
    // safekeeperdata token (safekeeper/src/bin/safekeeper.rs:299-314, safekeeper/src/auth.rs:7-36).
    args.push_back("--pg-auth-public-key-path=" + key);
    // The token towards peer safekeepers (pull_timeline), whose HTTP API checks it too.
    args.push_back(fmt::format("--auth-token-path={}/{}", k_token_dir, names::k_token_safekeeper));
  }
  return args;
}

Json statefulset(const ClusterSpec& spec, const std::string& set, const std::string& zone, int zone_number,
                 int replicas) {
  const Json selector = selector_labels(set, k_component);

  const auto& auth = spec.storage_controller.auth;
  // The storage controller (an earlier sync wave) only learns about safekeepers by registration.
  // The same step writes the node id into the data volume (safekeeper.id).
  Json init_args = Json::array({"bootstrap", "safekeeper", "--storage-controller", controller_url(spec),
                                "--zone-number", std::to_string(zone_number), "--zone", zone.empty() ? "default" : zone,
                                "--set", set, "--namespace", spec.namespace_, "--data-dir", "/data"});
  Json init_mounts = Json::array({Json{{"name", "data"}, {"mountPath", "/data"}}});
  // Registration needs scope infra only (storage_controller/src/http.rs:1684, :1713), as a file.
  Json token_volume = controller_token_file(spec, "--token-file", names::k_token_infra, init_args, init_mounts);
  Json ca_volume = tls::ca_volume(spec, names::k_controller);
  if (!ca_volume.is_null()) {
    init_args.push_back("--ca-file");
    init_args.push_back(tls::k_ca_file);
    init_mounts.push_back(tls::ca_mount());
  }
  Json init = hook_container(spec, "register", std::move(init_args),
                             Json::array({env_field("POD_NAME", "metadata.name")}), std::move(init_mounts));

  Json env = Json::array({env_field("POD_NAME", "metadata.name")});
  if (spec.safekeepers.wal_offload) {
    for (const auto& e : s3_env(spec)) {
      env.push_back(e);
    }
  }
  Json mounts = Json::array({Json{{"name", "data"}, {"mountPath", "/data"}}});
  Json volumes = Json::array();
  mount_public_key(spec, mounts, volumes);
  // The safekeeper writes under -D /data only (new timelines in <workdir>/tmp,
  // safekeeper/src/timelines_global_map.rs:708); /tmp is a spare for the read-only root.
  mount_scratch(mounts, volumes);
  if (auth.enabled) {
    mounts.push_back(Json{{"name", "peer-token"}, {"mountPath", k_token_dir}, {"readOnly", true}});
    volumes.push_back(secret_file_volume("peer-token", auth.token_secret, names::k_token_safekeeper));
    volumes.push_back(std::move(token_volume));
  }
  if (!ca_volume.is_null()) {
    volumes.push_back(std::move(ca_volume));
  }
  Json container{{"name", k_component},
                 {"image", spec.images.storage},
                 {"imagePullPolicy", "IfNotPresent"},
                 {"command", Json::array({"/usr/local/bin/safekeeper"})},
                 {"args", safekeeper_args(spec, set, zone)},
                 {"env", env},
                 {"ports", Json::array({Json{{"name", "pg"}, {"containerPort", names::k_safekeeper_pg_port}},
                                        Json{{"name", "http"}, {"containerPort", names::k_safekeeper_http_port}}})},
                 {"volumeMounts", mounts},
                 {"startupProbe", http_probe("/v1/status", "http", 5, 60)},
                 {"readinessProbe", http_probe("/v1/status", "http", 10, 3)},
                 {"livenessProbe", http_probe("/v1/status", "http", 20, 6)},
                 {"resources", member_resources(spec.safekeepers.resources, {{"cpu", "250m"}, {"memory", "512Mi"}})},
                 {"securityContext", container_security_context()}};

  Json pod_spec = Json::object();
  if (spec.safekeepers.wal_offload && spec.object_storage.credentials == CredentialsMode::workload_identity) {
    pod_spec["serviceAccountName"] = k_component;
  } else {
    pod_spec["automountServiceAccountToken"] = false;
  }
  pod_spec["securityContext"] = pod_security_context(names::k_neon_uid);
  pod_spec["terminationGracePeriodSeconds"] = 60;
  pod_spec["initContainers"] = Json::array({init});
  pod_spec["containers"] = Json::array({container});
  if (!volumes.empty()) {
    pod_spec["volumes"] = volumes;
  }
  place_pods(pod_spec, zone, selector);

  return Json{
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", data_object_meta(set, k_component, Wave::members)},
      {"spec",
       Json{{"serviceName", set},
            {"replicas", replicas},
            {"podManagementPolicy", "Parallel"},
            {"updateStrategy", on_delete()},
            {"selector", Json{{"matchLabels", selector}}},
            {"template", Json{{"metadata", Json{{"labels", common_labels(set, k_component)}}}, {"spec", pod_spec}}},
            {"volumeClaimTemplates", Json::array({volume_claim_template("data", spec.safekeepers.storage)})}}}};
}

}  // namespace

ResourceSet generate_safekeepers(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  ResourceSet out;
  if (spec.safekeepers.wal_offload) {
    const Json sa = service_account(spec, k_component, k_component);
    if (!sa.is_null()) {
      out.push_back({k_component, sa});
    }
  }
  const auto zones = names::zones_or_default(spec.safekeepers.zones);
  for (std::size_t z = 0; z < zones.size(); ++z) {
    const std::string set = names::safekeeper_set(zones[z]);
    const int replicas = names::members_in_zone(spec.safekeepers.count, zones.size(), z);
    out.push_back({k_component, statefulset(spec, set, zones[z], static_cast<int>(z) + 1, replicas)});
    out.push_back({k_component, headless_service(set, k_component,
                                                 Json::array({service_port("pg", names::k_safekeeper_pg_port),
                                                              service_port("http", names::k_safekeeper_http_port)}),
                                                 Wave::members)});
    out.push_back({k_component, pod_disruption_budget(set, k_component, Wave::members)});
  }
  return out;
}

}  // namespace neon::gen
