#include "plugin/hook/hook_metrics.hpp"

#include <fmt/format.h>

namespace neon::cli::hook {

const char* kind_name(NotifyKind kind) { return kind == k_attach ? "attach" : "safekeepers"; }

void HookMetrics::observe(double seconds) {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::size_t i = 0;
  while (i < k_buckets.size() && seconds > k_buckets[i]) {
    ++i;
  }
  m_histogram[i]++;
  m_sum += seconds;
}

std::string HookMetrics::render(std::size_t notifications_waiting, std::size_t spec_requests_waiting) {
  std::string out;
  for (const char* name : {"received", "applied", "failed", "superseded"}) {
    out += fmt::format("# TYPE neon_hook_notifications_{}_total counter\n", name);
    for (std::size_t k = 0; k < k_kinds; ++k) {
      const Counters& m = m_counters[k];
      const std::uint64_t v = std::string(name) == "received"  ? m.received.load()
                              : std::string(name) == "applied" ? m.applied.load()
                              : std::string(name) == "failed"  ? m.failed.load()
                                                               : m.superseded.load();
      out += fmt::format("neon_hook_notifications_{}_total{{kind=\"{}\"}} {}\n", name,
                         kind_name(static_cast<NotifyKind>(k)), v);
    }
  }
  out += "# TYPE neon_hook_notifications_waiting gauge\n";
  out += fmt::format("neon_hook_notifications_waiting {}\n", notifications_waiting);
  out += "# TYPE neon_hook_spec_requests_waiting gauge\n";
  out += fmt::format("neon_hook_spec_requests_waiting {}\n", spec_requests_waiting);
  std::lock_guard<std::mutex> lock(m_mutex);
  out += "# TYPE neon_hook_notification_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    cumulative += m_histogram[i];
    out += fmt::format("neon_hook_notification_seconds_bucket{{le=\"{}\"}} {}\n", k_buckets[i], cumulative);
  }
  cumulative += m_histogram[k_buckets.size()];
  out += fmt::format("neon_hook_notification_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("neon_hook_notification_seconds_sum {}\n", m_sum);
  out += fmt::format("neon_hook_notification_seconds_count {}\n", cumulative);
  return out;
}

}  // namespace neon::cli::hook
