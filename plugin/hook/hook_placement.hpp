#pragma once
// Where the compute hook's tenants are attached: from notify-attach bodies and from the storage
// controller's tenant describe, with the pageservers' libpq URLs. Also holds a starting compute's
// spec request while its tenant's placement is pending (see wait()). Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "generators/result.hpp"
#include "plugin/hook/controller_tokens.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

class PlacementBook {
public:
  struct Options {
    std::string controller_url;
    std::string ca_file;  ///< CA bundle (PEM) for an https controller_url; empty: the system store
    /// The hook's own tokens (controller_tokens.hpp); nullptr or without a key: none sent.
    ControllerTokens* tokens = nullptr;
    std::chrono::milliseconds wait{10000};
    int max_waiting = 8;
    /// The most read of one controller answer (a tenant listing of a large cluster fits).
    std::size_t max_answer = 16 * 1024 * 1024;
  };

  explicit PlacementBook(Options options);

  /// The placement a notification names, with each node's libpq URL (asked of the controller
  /// once per node, then cached: a registered node cannot change its pg address).
  Result<Placement> from_notification(const AttachNotification& n);
  /// Keeps a notification's placement for when the controller cannot answer, and wakes waiters.
  void remember(const std::string& tenant_id, const Placement& placement);

  /// The tenant's placement as the controller describes it now (shard numbers and count from
  /// tenant_shard_id); the last notification's when the controller cannot answer. An error says
  /// why it is pending: not created, not attached, splitting, controller unreachable.
  Result<Placement> current(const std::string& tenant_id);

  /// Why the controller reports the tenant in the middle of a shard split, or nothing (also when
  /// it cannot answer). A notify-attach body never shows a split itself: the controller sends one
  /// only once every shard of a single count is known (storage_controller/src/compute_hook.rs:442-468)
  /// and starts over when the count changes (:215-223).
  std::optional<std::string> splitting(const std::string& tenant_id);

  /// Waits for a pending placement (`last` is the first answer): compute_ctl asks for its spec
  /// only 3 times, 100 ms apart (compute_tools/src/spec.rs:77-135), then exits. Asks the
  /// controller again every poll interval, and at once when a notification brings a placement;
  /// gives up after Options::wait. At most Options::max_waiting wait at once; beyond that, and
  /// after stop(), `last` comes back at once.
  Result<Placement> wait(const std::string& tenant_id, Result<Placement> last);
  /// Requests in wait() now.
  int waiting() const;
  /// Releases every wait().
  void stop();

private:
  std::optional<std::string> cached_node_url(std::uint64_t node_id);
  Result<std::string> node_url(std::uint64_t node_id);

  Options m_options;
  std::mutex m_node_fetch;  ///< held while asking the controller for a node
  std::mutex m_mutex;
  std::map<std::uint64_t, std::string> m_node_urls;
  std::map<std::string, Placement> m_placements;  ///< by tenant, from notifications

  mutable std::mutex m_wait_mutex;
  std::condition_variable m_changed;  ///< a placement arrived, or stopping
  std::uint64_t m_version = 0;
  int m_waiting = 0;
  bool m_stopping = false;
};

}  // namespace neon::cli::hook
