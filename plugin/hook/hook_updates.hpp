#pragma once
// What the storage controller's notifications change, carried to the computes (neon-api.md §4).
// A notify-attach moves a tenant's computes to the pageservers it names; a notify-safekeepers
// gives a timeline's computes a new safekeeper set. Either way each compute gets a spec built
// afresh through compute_ctl POST /configure (hook_configure.hpp), the computes of one
// notification concurrently on a bounded pool. The spec served at start (GET .../spec) is built
// here too, so it carries the newest safekeeper set as well.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "plugin/hook/hook_configure.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli {
class WorkPool;
}

namespace neon::cli::hook {

class PasswordBook;
class PlacementBook;

using Notification = std::variant<AttachNotification, SafekeepersNotification>;

struct UpdateContext {
  const Computes& computes;
  PlacementBook& book;
  PasswordBook& passwords;  ///< the roles in every spec, and redaction of compute_ctl's errors
  const std::string& signing_key_pem;
  std::string kid;
  const Json& jwks;
  std::chrono::milliseconds configure_timeout;
  std::map<std::string, std::string> storage_tokens;  ///< by tenant; never logged
  int workers = 1;                                    ///< /configure calls in flight, over all notifications
};

class ComputeUpdates {
public:
  explicit ComputeUpdates(UpdateContext context);
  ~ComputeUpdates();
  ComputeUpdates(const ComputeUpdates&) = delete;
  ComputeUpdates& operator=(const ComputeUpdates&) = delete;

  /// The compute's spec for `placement`, with its timeline's newest safekeeper set.
  Json spec_for(const ComputeEntry& compute, const Placement& placement);
  /// Configures every compute in `targets` concurrently; the worst outcome wins
  /// (503 retry soon, then 423 busy, then any other failure).
  ConfigureResult configure_all(const std::vector<const ComputeEntry*>& targets, const Placement& placement);
  /// A notification applied to the computes it concerns.
  ConfigureResult apply(const Notification& notification);

private:
  std::optional<std::string> storage_token(const std::string& tenant_id) const;
  SafekeeperSet safekeepers_for(const std::string& timeline_id);
  ConfigureResult configure(const ComputeEntry& compute, const Json& spec);
  ConfigureResult apply_attach(const AttachNotification& n);
  ConfigureResult apply_safekeepers(const SafekeepersNotification& n);

  UpdateContext m_context;
  std::mutex m_mutex;
  std::map<std::string, SafekeeperSet> m_safekeepers;  ///< by timeline, from notifications
  std::unique_ptr<WorkPool> m_pool;                    ///< last: joined before the rest goes
};

}  // namespace neon::cli::hook
