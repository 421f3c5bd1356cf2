#include "generators/sync_job.hpp"

#include <fmt/format.h>

#include "generators/members.hpp"
#include "generators/names.hpp"
#include "generators/tls.hpp"

namespace neon::gen {

namespace {

/// A run that takes longer is stopped (a controller that hangs, a split that does not finish);
/// the next schedule starts afresh, since every step of sync is idempotent.
constexpr int k_active_deadline_seconds = 1800;
/// A schedule missed by more than this (the controller manager was down) is skipped, not caught up.
constexpr int k_starting_deadline_seconds = 600;

}  // namespace

Json sync_cronjob(const ClusterSpec& spec) {
  if (!spec.sync.enabled) {
    return nullptr;
  }
  const std::string name = names::k_sync;
  const auto& auth = spec.storage_controller.auth;
  const std::string computes_file = fmt::format("{}/{}", k_sync_computes_dir, names::k_computes_key);
  // No --prune ever: a tenant or timeline the spec does not have is reported, not deleted.
  Json args = Json::array({"sync", "--computes-file", computes_file, "--storage-controller", tls::controller_url(spec),
                           "--summary-file", "/dev/termination-log"});
  Json mounts = Json::array({Json{{"name", "computes"}, {"mountPath", k_sync_computes_dir}, {"readOnly", true}}});
  Json volumes = Json::array({Json{{"name", "computes"}, {"configMap", Json{{"name", names::k_computes_config}}}}});
  if (auth.enabled) {
    // The key the hook mints its controller tokens from: sync mints its own from it, one scope per
    // route and ten minutes each (plugin/hook/controller_tokens.hpp), so no long-lived admin
    // token sits in a Secret the pod can read.
    args.push_back("--signing-key-file");
    args.push_back(fmt::format("{}/{}", k_sync_signing_dir, names::k_signing_key));
    mounts.push_back(Json{{"name", "storage-signing-key"}, {"mountPath", k_sync_signing_dir}, {"readOnly", true}});
    volumes.push_back(
        members::secret_file_volume("storage-signing-key", auth.storage_signing_secret, names::k_signing_key));
  }
  if (Json ca = tls::ca_volume(spec, names::k_controller); !ca.is_null()) {
    args.push_back("--ca-file");
    args.push_back(tls::k_ca_file);
    mounts.push_back(tls::ca_mount());
    volumes.push_back(std::move(ca));
  }
  members::mount_scratch(mounts, volumes, "16Mi");  // a spare for the read-only root
  Json container = members::hook_container(spec, k_sync_container, std::move(args), Json::array(), std::move(mounts));
  container["resources"] = resources_json({}, Resources{{{"cpu", "50m"}, {"memory", "64Mi"}}, {{"memory", "256Mi"}}});
  // The summary is the termination message; a run that dies before writing it leaves its log's tail.
  container["terminationMessagePolicy"] = "FallbackToLogsOnError";

  Json pod_spec{{"restartPolicy", "Never"},
                {"automountServiceAccountToken", false},
                {"securityContext", pod_security_context(names::k_hook_uid)},
                {"containers", Json::array({std::move(container)})},
                {"volumes", std::move(volumes)}};
  const Json labels = common_labels(name, name);
  Json job_spec{{"backoffLimit", 1},
                {"activeDeadlineSeconds", k_active_deadline_seconds},
                {"template", Json{{"metadata", Json{{"labels", labels}}}, {"spec", std::move(pod_spec)}}}};
  // Forbid: a run still going when the next is due keeps the controller to one sync at a time.
  // The history keeps the last run of each outcome, whose pod `status` reads.
  return Json{
      {"apiVersion", "batch/v1"},
      {"kind", "CronJob"},
      {"metadata", object_meta(name, name, Wave::hook)},
      {"spec", Json{{"schedule", spec.sync.schedule},
                    {"suspend", spec.sync.suspend},
                    {"concurrencyPolicy", "Forbid"},
                    {"startingDeadlineSeconds", k_starting_deadline_seconds},
                    {"successfulJobsHistoryLimit", 1},
                    {"failedJobsHistoryLimit", 1},
                    {"jobTemplate", Json{{"metadata", Json{{"labels", labels}}}, {"spec", std::move(job_spec)}}}}}};
}

}  // namespace neon::gen
