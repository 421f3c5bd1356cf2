#pragma once
// The compute hook's Prometheus metrics: notifications received, applied, failed and superseded
// by kind, and a histogram of the time from a notification's arrival to its answer.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

namespace neon::cli::hook {

/// The two notifications the storage controller sends (neon-api.md §4.2).
enum NotifyKind : std::size_t { k_attach = 0, k_safekeepers = 1, k_kinds = 2 };

/// "attach" or "safekeepers", as the metrics label and the log name them.
const char* kind_name(NotifyKind kind);

class HookMetrics {
public:
  struct Counters {
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> applied{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> superseded{0};
  };

  Counters& operator[](NotifyKind kind) { return m_counters[kind]; }

  /// Records one notification's time to its answer.
  void observe(double seconds);

  /// The text exposition format (version 0.0.4), with the two gauges the server knows.
  std::string render(std::size_t notifications_waiting, std::size_t spec_requests_waiting);

private:
  static constexpr std::array<double, 10> k_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  std::array<Counters, k_kinds> m_counters;
  std::mutex m_mutex;
  std::array<std::uint64_t, k_buckets.size() + 1> m_histogram{};
  double m_sum = 0;
};

}  // namespace neon::cli::hook
