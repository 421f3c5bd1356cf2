#pragma once
// Scale to zero and wake on connect (issue 16). Suspendable computes (compute.suspendAfter) are put
// to sleep by the hook after their idle time, and woken by the proxy's wake_compute.
//
// compute_ctl never suspends itself: `suspend_timeout_seconds` only paces a metric
// (compute_tools/src/compute.rs:2800-2815). The hook reads GET /status (`last_active`, or
// `start_time` before the first session; compute_tools/src/monitor.rs), and after the idle time
// POST /terminate (fast: Postgres stops and the primary's last WAL reaches the safekeepers,
// compute.rs:2860-2930) and scales the Deployment to 0. A wake scales it to 1 and waits until
// compute_ctl says `running`, which it says only once it has fetched its spec from the hook and
// applied it. Concurrent wakes of one compute share one scale-up and one wait; the proxy does not
// coalesce them (its --wake-compute-lock is off by default, neon-connect.md §4.2).
//
// The outside world comes in as functions (PowerPlant): compute_ctl over HTTP and the Kubernetes
// scale subresource in the hook, fakes and an injected clock in tests.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generators/result.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

using Clock = std::chrono::system_clock;

/// compute_ctl's GET /status (libs/compute_api/src/responses.rs:140-151), or why it did not answer.
struct ComputeActivity {
  bool reachable = false;  ///< false: nothing answered (scaled to zero, starting, gone)
  std::string status;      ///< e.g. running, init, configuration_pending, failed
  std::optional<Clock::time_point> last_active;
  std::optional<Clock::time_point> start_time;
  std::string error;  ///< compute_ctl's `error`, or why it was not reachable
};

/// `2024-05-01T12:34:56.789Z` or with an offset (RFC 3339, as chrono serialises DateTime<Utc>).
std::optional<Clock::time_point> parse_rfc3339(const std::string& text);
/// The /status body read into ComputeActivity (reachable).
ComputeActivity parse_compute_status(const Json& body);

struct PowerPlant {
  std::function<ComputeActivity(const ComputeEntry&)> status;
  std::function<Result<void>(const ComputeEntry&)> terminate;
  /// spec.replicas of the compute's Deployment (its scale subresource).
  std::function<Result<int>(const std::string& deployment)> replicas;
  std::function<Result<void>(const std::string& deployment, int replicas)> scale;
  std::function<Clock::time_point()> now = [] { return Clock::now(); };
};

inline constexpr std::chrono::milliseconds k_wake_wait{20000};
inline constexpr std::chrono::milliseconds k_wake_deadline{120000};

struct PowerOptions {
  /// How long one wake_compute call waits before it answers "starting, retry".
  std::chrono::milliseconds wake_wait = k_wake_wait;
  /// A wake that has not reached `running` by then fails for good. The next call is told so (even
  /// when no call was waiting as it failed, within told_within); the one after that starts afresh.
  std::chrono::milliseconds wake_deadline = k_wake_deadline;
  /// How often a waking compute's /status is read.
  std::chrono::milliseconds wake_poll{20};
  /// Without the Kubernetes scale functions nothing is suspended, and a wake only waits.
  bool can_scale = true;
  std::function<void(const std::string&)> log = nullptr;
  /// A wake that failed while no call was waiting is told to a call that comes within this (by the
  /// plant's clock). The proxy calls again at most 2.7 s after the last call ended (8 retries,
  /// 100 ms x 1.6^(n-1): proxy/src/config.rs:256-257, proxy/src/proxy/retry.rs:107-111). A call
  /// after that starts afresh: it belongs to a new client, and the proxy would cache a stale
  /// failure for 30 s for every client of the endpoint.
  std::chrono::milliseconds told_within{10000};
};

enum class Power { unknown, awake, waking, suspending, asleep };
const char* power_name(Power p);

struct WakeOutcome {
  enum class Kind { ready, starting, failed } kind = Kind::ready;
  bool cold = false;    ///< this wake started the compute
  std::string message;  ///< why not ready
};

struct PowerCounts {
  long wakes = 0;          ///< wake_compute calls answered ready
  long cold_starts = 0;    ///< scale-ups from zero
  long wake_failures = 0;  ///< wakes that reached their deadline or found the compute failed
  long suspends = 0;
  long suspend_failures = 0;
  int asleep = 0;  ///< computes now scaled to zero
  int waking = 0;
  std::vector<double> cold_start_seconds;  ///< each scale-up until running, oldest first (last 1000)
};

class ComputePower {
public:
  ComputePower(const Computes& computes, PowerPlant plant, PowerOptions options);
  ~ComputePower();
  ComputePower(const ComputePower&) = delete;
  ComputePower& operator=(const ComputePower&) = delete;

  /// Blocks until `compute` is running (ready), wake_wait passes (starting) or the wake fails.
  WakeOutcome wake(const ComputeEntry& compute);
  /// One pass over the suspendable computes: each idle for its suspendAfter (by the plant's clock)
  /// is terminated and scaled to zero.
  void check_idle();
  /// Terminates `compute` and scales it to zero, unless a wake is under way.
  Result<void> suspend(const ComputeEntry& compute);

  /// Ends the wakes under way (they answer failed at once); for the hook's shutdown.
  void stop();

  Power power(const std::string& compute_id) const;
  PowerCounts counts() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace neon::cli::hook
