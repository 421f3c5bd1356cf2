#include "generators/stages.hpp"

#include <algorithm>
#include <cstring>

namespace neon::gen {

namespace {

/// Pulling the image and running the init containers, per pod, before any probe starts.
constexpr long k_pod_start_seconds = 60;
/// A container with no startup probe is given this long to become ready.
constexpr long k_unprobed_start_seconds = 60;
/// Kubernetes' default terminationGracePeriodSeconds.
constexpr long k_default_grace_seconds = 30;

long number_at(const Json& j, const char* pointer, long fallback) {
  const Json::json_pointer p(pointer);
  return j.contains(p) && j.at(p).is_number_integer() ? j.at(p).get<long>() : fallback;
}

/// The longest a pod of `pod_spec` may take from creation to ready.
long start_seconds(const Json& pod_spec) {
  long longest = k_unprobed_start_seconds;
  for (const auto& c : pod_spec.value("containers", Json::array())) {
    if (c.contains("startupProbe")) {
      const Json& p = c["startupProbe"];
      longest = std::max(longest, number_at(p, "/initialDelaySeconds", 0) +
                                      number_at(p, "/periodSeconds", 10) * number_at(p, "/failureThreshold", 3));
    }
  }
  return k_pod_start_seconds + longest;
}

}  // namespace

const std::vector<Stage>& stages() {
  static const std::vector<Stage> k_stages = {
      {"base",
       0,
       {"namespace", "dev-postgres", "dev-minio", "network-policy"},
       "1m",
       "the namespace (and the Secrets created in it beforehand) and the dev database and object store"},
      {"control",
       1,
       {"storage-controller", "storage-broker", "compute-hook", "spec-sync"},
       "1m",
       "the storage controller needs its database at start; the broker and hook need nothing"},
      {"storage",
       2,
       {"pageserver", "safekeeper"},
       "2m",
       "pageservers re-attach and safekeepers register with the storage controller at start"},
      {"compute",
       3,
       {"compute", "proxy"},
       "1m",
       "computes fetch their spec from the hook and attach through the controller at start; the proxy "
       "answers clients through the hook's control-plane routes"},
      // Last and alone: a cluster without the Prometheus Operator's CRDs fails only this stage.
      {"monitoring", 4, {"monitoring"}, "5m", "ServiceMonitors need the Prometheus Operator's CRDs"},
  };
  return k_stages;
}

const Stage* stage_of(const std::string& component) {
  for (const auto& s : stages()) {
    for (const char* m : s.members) {
      if (component == m) {
        return &s;
      }
    }
  }
  return nullptr;
}

const std::vector<Call>& start_needs() {
  static const std::vector<Call> k_needs = {
      {"storage-controller", "dev-postgres",
       "waits for its database before serving (storage_controller/src/main.rs:488, await_connection)"},
      {"pageserver", "storage-controller",
       "re-attaches its tenants through control_plane_api before loading them "
       "(pageserver/src/tenant/mgr.rs:356, retried forever); its init container registers it"},
      {"pageserver", "dev-minio", "reads and writes layers in the object store"},
      {"pageserver", "storage-broker", "subscribes to safekeeper timeline updates"},
      {"safekeeper", "storage-controller", "its init container registers it with the controller"},
      {"safekeeper", "storage-broker", "publishes its timelines to the broker"},
      {"safekeeper", "dev-minio", "offloads WAL to the object store"},
      {"compute", "compute-hook",
       "compute_ctl fetches its spec from --control-plane-uri at start (compute_tools/src/bin/compute_ctl.rs:319)"},
      {"compute", "storage-controller", "its init container attaches the tenant through the controller"},
      {"compute", "pageserver", "Postgres starts from a pageserver basebackup"},
      {"compute", "safekeeper", "Postgres streams WAL to the safekeepers"},
  };
  return k_needs;
}

const std::vector<Call>& later_calls() {
  static const std::vector<Call> k_calls = {
      {"storage-controller", "compute-hook",
       "notifies the hook of attachments; undelivered notifications are kept and resent"},
      {"compute-hook", "storage-controller", "looks up shards when a compute asks for its spec"},
      {"compute-hook", "compute", "pushes a new spec to compute_ctl after an attachment change"},
      {"compute-hook", "safekeeper", "names the safekeepers in the specs it serves computes; never calls them"},
      {"spec-sync", "storage-controller",
       "spec.sync's scheduled runs: tenants and timelines created, tenant config set, tenants split"},
      {"proxy", "compute-hook",
       "asks --auth-endpoint for role secrets and wake-ups when a client connects "
       "(proxy/src/control_plane/client/cplane_proxy_v1.rs:130-336), not at start"},
      {"proxy", "compute", "connects clients to the address wake_compute answers"},
  };
  return k_calls;
}

long rollout_seconds(const Json& object) {
  const std::string kind = object.value("kind", "");
  if ((kind != "StatefulSet" && kind != "Deployment") || !object.contains("spec")) {
    return 0;
  }
  const Json& spec = object["spec"];
  const long replicas = std::max(1L, number_at(spec, "/replicas", 1));
  const Json pod = spec.contains("template") ? spec["template"].value("spec", Json::object()) : Json::object();
  const long grace = number_at(pod, "/terminationGracePeriodSeconds", k_default_grace_seconds);
  const long per_pod = grace + start_seconds(pod);
  const bool all_at_once =
      kind == "Deployment" && spec.contains("strategy") && spec["strategy"].value("type", "") == "Recreate";
  return all_at_once ? per_pod : replicas * per_pod;
}

}  // namespace neon::gen
