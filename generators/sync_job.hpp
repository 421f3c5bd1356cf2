#pragma once
// spec.sync: the `spec-sync` CronJob. Each run is `kubectl-neon sync` (no --prune) against the
// computes.json of the hook's ConfigMap, so the storage controller follows the committed spec
// even when nobody runs the command; the run's findings go to its termination message
// (--summary-file /dev/termination-log), where `kubectl neon status` reads them.

#include "generators/resource.hpp"

namespace neon::gen {

inline constexpr const char* k_sync_container = "sync";
/// Where the hook's computes ConfigMap is mounted in the sync pods.
inline constexpr const char* k_sync_computes_dir = "/etc/neon/computes";
/// Where the storage signing key is mounted (auth on): sync mints its own short-lived tokens.
inline constexpr const char* k_sync_signing_dir = "/var/run/secrets/neon/storage-signing";

/// The CronJob; null when spec.sync is absent.
Json sync_cronjob(const ClusterSpec& spec);

}  // namespace neon::gen
