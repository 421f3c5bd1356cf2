#pragma once
// POST /bootstrap/v1/computes/<id>: the compute's tenant and the timelines from the root to its
// branch, created by the hook on behalf of the compute's init container (`kubectl neon bootstrap
// compute --hook`). The init container holds only its compute's spec token; the hook calls the
// storage controller with its own short-lived, scoped tokens (controller_tokens.hpp), so no
// compute pod holds a storage controller token and computes need no route to the controller.
//
// Answers: 200 {"tenant_id","timelines"} when everything exists; 503 {"error","retry":true} while
// retrying helps (controller unreachable, no schedulable pageserver yet, too many bootstraps at
// once); 409 {"error"} for what retrying cannot change (a tenant with another shard count, a
// timestamp outside the ancestor's history). Creation is idempotent, so a retried or concurrent
// call for the same compute is safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin/hook/controller_tokens.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

/// Bootstraps running at once; more get 503 at once, so they never hold the request threads.
inline constexpr int k_default_bootstraps = 4;

struct BootstrapAnswer {
  int status = 200;
  nlohmann::json body;
};

class ComputeBootstrap {
public:
  struct Options {
    std::string controller_url;
    ControllerTokens* tokens = nullptr;  ///< not owned; nullptr: no token (auth off)
    std::string ca_file;                 ///< CA bundle (PEM) for an https controller_url; empty: the system store
    int max_running = k_default_bootstraps;
    /// One controller call: tenant create waits up to 30 s for its reconcile (neon-api.md 2.4).
    std::chrono::milliseconds call_timeout{45000};
    std::size_t max_answer = 4 * 1024 * 1024;
  };

  ComputeBootstrap(const Computes& computes, Options options);

  /// One attempt for compute `compute_id` (whose token the caller has checked).
  BootstrapAnswer run(const std::string& compute_id);
  /// Bootstraps in flight now (for /metrics).
  int running() const;

private:
  const Computes& m_computes;
  Options m_options;
  mutable std::mutex m_mutex;
  int m_running = 0;
};

}  // namespace neon::cli::hook
