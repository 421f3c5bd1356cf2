#pragma once
// The pieces of `kubectl neon bootstrap safekeeper|compute` below the command line: which
// controller failures are worth retrying, the safekeeper's id file, and the compute's tenant and
// timelines from the computes file.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "generators/computes.hpp"
#include "generators/result.hpp"
#include "plugin/clients/storcon.hpp"

namespace neon::cli::bootstrap {

/// Whether retrying `e` cannot help: 400, 401, 403, 412, a 409 other than "Failed to schedule",
/// or a failure of ours (no status, no transport error, an answer that was read).
bool permanent(const storcon::CallError& e);

/// A failure of ours that retrying does not change (see permanent()).
storcon::CallError step_error(std::string message);

/// Makes `dir`/safekeeper.id hold `id` (written atomically and fsynced; the same id already there
/// is fine; another id is an error naming `pod`). Returns what was done, for the log.
Result<std::string> write_safekeeper_id(const std::filesystem::path& dir, std::uint64_t id, const std::string& pod);

/// The compute's project and its branches from the root to the compute's branch.
struct ComputePlan {
  const gen::ComputesProject* project = nullptr;  ///< points into the computes file
  std::vector<gen::ComputesBranch> path;
};
Result<ComputePlan> compute_plan(const gen::ComputesFile& file, const std::string& compute_id);

/// The project's tenant (described first, created only when unknown, never with another shard
/// count) and every timeline on `path`; warnings go to `err`.
storcon::Expected<void> create_compute_storage(storcon::Client& client, std::ostream& err,
                                               const gen::ComputesProject& project,
                                               const std::vector<gen::ComputesBranch>& path);

}  // namespace neon::cli::bootstrap
