#include "plugin/hook/hook_power.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace neon::cli::hook {

namespace {

constexpr const char* k_running = "running";
constexpr std::size_t k_kept_samples = 1000;

int digits(const std::string& s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') {
      return -1;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<Clock::time_point> parse_rfc3339(const std::string& text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  std::tm tm{};
  const int fields[] = {digits(text, 0, 4),  digits(text, 5, 2),  digits(text, 8, 2),
                        digits(text, 11, 2), digits(text, 14, 2), digits(text, 17, 2)};
  if (std::any_of(std::begin(fields), std::end(fields), [](int v) { return v < 0; })) {
    return std::nullopt;
  }
  tm.tm_year = fields[0] - 1900;
  tm.tm_mon = fields[1] - 1;
  tm.tm_mday = fields[2];
  tm.tm_hour = fields[3];
  tm.tm_min = fields[4];
  tm.tm_sec = fields[5];
  std::size_t at = 19;
  long long nanos = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    long long scale = 100000000;
    const std::size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      nanos += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) {
      return std::nullopt;
    }
  }
  long offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) {
    offset = 0;
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    const int h = digits(text, at + 1, 2);
    const int m = digits(text, at + 4, 2);
    if (h < 0 || m < 0) {
      return std::nullopt;
    }
    offset = (text[at] == '+' ? 1 : -1) * (h * 3600L + m * 60L);
  } else {
    return std::nullopt;
  }
  const time_t secs = timegm(&tm);
  if (secs == static_cast<time_t>(-1)) {
    return std::nullopt;
  }
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(secs - offset) +
                                                                       std::chrono::nanoseconds(nanos)));
}

ComputeActivity parse_compute_status(const Json& body) {
  ComputeActivity a;
  a.reachable = true;
  if (!body.is_object()) {
    a.status = "unknown";
    a.error = "GET /status: not a JSON object";
    return a;
  }
  a.status = body.value("status", std::string("unknown"));
  auto when = [&](const char* key) -> std::optional<Clock::time_point> {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? parse_rfc3339(it->get<std::string>()) : std::nullopt;
  };
  a.last_active = when("last_active");
  a.start_time = when("start_time");
  if (auto e = body.find("error"); e != body.end() && e->is_string()) {
    a.error = e->get<std::string>();
  }
  return a;
}

const char* power_name(Power p) {
  switch (p) {
    case Power::awake:
      return "awake";
    case Power::waking:
      return "waking";
    case Power::suspending:
      return "suspending";
    case Power::asleep:
      return "asleep";
    case Power::unknown:
      break;
  }
  return "unknown";
}

struct ComputePower::Impl {
  struct Slot {
    Power power = Power::unknown;
    std::shared_future<WakeOutcome> waking;  ///< valid while a wake is under way
    bool suspending = false;
    std::uint64_t wakes_started = 0;  ///< numbers the wakes: the newest one's number
    /// The newest wake's failure until a caller has been told of it. A wake can fail while no call
    /// waits (each waits only wake_wait); the next call, if within told_within, then gets the
    /// failure, not a fresh wake.
    std::optional<WakeOutcome> untold_failure;
    Clock::time_point failed_at;  ///< of untold_failure, by the plant's clock
  };

  Impl(const Computes& c, PowerPlant p, PowerOptions o) : computes(c), plant(std::move(p)), options(std::move(o)) {}

  const Computes& computes;
  PowerPlant plant;
  PowerOptions options;
  mutable std::mutex mutex;  ///< guards slots, counts and threads
  std::condition_variable changed;
  std::map<std::string, Slot> slots;
  PowerCounts counts;
  int wake_threads = 0;  ///< running wakes; the destructor waits for none
  std::atomic<bool> stopping{false};

  void log(const std::string& line) const {
    if (options.log) {
      options.log(line);
    }
  }

  void sample(double seconds) {
    counts.cold_start_seconds.push_back(seconds);
    if (counts.cold_start_seconds.size() > k_kept_samples) {
      counts.cold_start_seconds.erase(counts.cold_start_seconds.begin());
    }
  }

  /// The wake itself, on its own thread: scale up if nothing runs, then wait for `running`.
  WakeOutcome run_wake(const ComputeEntry& c, const ComputeActivity& first) {
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + options.wake_deadline;
    bool cold = false;
    if (!first.reachable && options.can_scale && !c.deployment.empty()) {
      auto replicas = plant.replicas(c.deployment);
      if (!replicas) {
        return WakeOutcome{WakeOutcome::Kind::failed, false,
                           fmt::format("reading the scale of {}: {}", c.deployment, replicas.error().message)};
      }
      if (*replicas == 0) {
        if (auto scaled = plant.scale(c.deployment, 1); !scaled) {
          return WakeOutcome{WakeOutcome::Kind::failed, false,
                             fmt::format("scaling {} to 1: {}", c.deployment, scaled.error().message)};
        }
        cold = true;
        log(fmt::format("wake {}: scaled {} to 1", c.compute_id, c.deployment));
      }
    }
    ComputeActivity a = first;
    while (!stopping) {
      if (a.reachable && a.status == k_running) {
        if (cold) {
          std::lock_guard<std::mutex> lock(mutex);
          sample(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
        return WakeOutcome{WakeOutcome::Kind::ready, cold, ""};
      }
      if (a.reachable && a.status == "failed") {
        return WakeOutcome{WakeOutcome::Kind::failed, cold,
                           fmt::format("compute {} failed to start: {}", c.compute_id, a.error)};
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        const std::string last = a.reachable ? "compute_ctl status " + a.status : a.error;
        return WakeOutcome{WakeOutcome::Kind::failed, cold,
                           fmt::format("compute {} did not start within {} s ({})", c.compute_id,
                                       std::chrono::duration_cast<std::chrono::seconds>(options.wake_deadline).count(),
                                       last.empty() ? "no answer" : last)};
      }
      std::this_thread::sleep_for(options.wake_poll);
      a = plant.status(c);
    }
    return WakeOutcome{WakeOutcome::Kind::failed, cold, "the hook is stopping"};
  }

  void finish_wake(const ComputeEntry& c, const WakeOutcome& o) {
    std::lock_guard<std::mutex> lock(mutex);
    Slot& s = slots[c.compute_id];
    s.waking = {};
    s.power = o.kind == WakeOutcome::Kind::ready ? Power::awake : Power::unknown;
    if (o.kind == WakeOutcome::Kind::ready) {
      counts.cold_starts += o.cold ? 1 : 0;
      s.untold_failure.reset();
    } else {
      counts.wake_failures++;
      s.untold_failure = o;
      s.failed_at = plant.now();
      log(fmt::format("wake {}: {}", c.compute_id, o.message));
    }
    changed.notify_all();
  }
};

ComputePower::ComputePower(const Computes& computes, PowerPlant plant, PowerOptions options)
    : m_impl(std::make_unique<Impl>(computes, std::move(plant), std::move(options))) {
  for (const ComputeEntry& c : computes.computes) {
    if (!c.endpoint.empty()) {
      m_impl->slots[c.compute_id] = Impl::Slot{};
    }
  }
}

ComputePower::~ComputePower() {
  m_impl->stopping = true;
  std::unique_lock<std::mutex> lock(m_impl->mutex);
  m_impl->changed.wait(lock, [this] { return m_impl->wake_threads == 0; });
}

WakeOutcome ComputePower::wake(const ComputeEntry& c) {
  Impl& m = *m_impl;
  std::shared_future<WakeOutcome> waiting;
  std::uint64_t waiting_for = 0;  ///< the number of the wake `waiting` belongs to
  {
    std::unique_lock<std::mutex> lock(m.mutex);
    // A suspend under way finishes first: then this wake scales the compute up again.
    m.changed.wait_for(lock, m.options.wake_wait, [&] { return !m.slots[c.compute_id].suspending; });
    if (m.slots[c.compute_id].suspending) {
      return WakeOutcome{WakeOutcome::Kind::starting, false, "the compute is being suspended"};
    }
    waiting = m.slots[c.compute_id].waking;
    waiting_for = m.slots[c.compute_id].wakes_started;
  }
  if (!waiting.valid()) {
    const ComputeActivity a = m.plant.status(c);
    std::lock_guard<std::mutex> lock(m.mutex);
    Impl::Slot& s = m.slots[c.compute_id];
    if (a.reachable && a.status == k_running && !s.waking.valid()) {
      s.power = Power::awake;
      s.untold_failure.reset();
      m.counts.wakes++;
      return WakeOutcome{};
    }
    if (!s.waking.valid() && s.untold_failure) {  // told once; the call after it starts afresh
      WakeOutcome failed = std::move(*s.untold_failure);
      s.untold_failure.reset();
      if (m.plant.now() - s.failed_at <= m.options.told_within) {
        return failed;
      }
    }
    if (!s.waking.valid()) {  // the first caller starts the wake; the others join it
      ++s.wakes_started;
      auto task = std::make_shared<std::packaged_task<WakeOutcome()>>([&m, &c, a] {
        WakeOutcome o = m.run_wake(c, a);
        m.finish_wake(c, o);
        return o;
      });
      s.waking = task->get_future().share();
      s.power = Power::waking;
      m.wake_threads++;
      std::thread([&m, task] {
        (*task)();
        std::lock_guard<std::mutex> done(m.mutex);
        m.wake_threads--;
        m.changed.notify_all();
      }).detach();
    }
    waiting = s.waking;
    waiting_for = s.wakes_started;
  }
  if (waiting.wait_for(m.options.wake_wait) != std::future_status::ready) {
    return WakeOutcome{WakeOutcome::Kind::starting, false, "the compute is starting"};
  }
  WakeOutcome o = waiting.get();
  std::lock_guard<std::mutex> lock(m.mutex);
  if (o.kind == WakeOutcome::Kind::ready) {
    m.counts.wakes++;
  } else if (Impl::Slot& s = m.slots[c.compute_id]; s.wakes_started == waiting_for) {
    s.untold_failure.reset();  // this caller tells it
  }
  return o;
}

Result<void> ComputePower::suspend(const ComputeEntry& c) {
  Impl& m = *m_impl;
  if (!m.options.can_scale || c.deployment.empty()) {
    return make_error(fmt::format("compute {} cannot be suspended: the hook has no Kubernetes access", c.compute_id));
  }
  {
    std::lock_guard<std::mutex> lock(m.mutex);
    Impl::Slot& s = m.slots[c.compute_id];
    if (s.waking.valid() || s.suspending) {
      return make_error(fmt::format("compute {} is {}", c.compute_id, s.suspending ? "being suspended" : "waking"));
    }
    s.suspending = true;
    s.power = Power::suspending;
  }
  // A failed /terminate still ends in the scale-down: the pod's SIGTERM then stops Postgres.
  if (auto t = m.plant.terminate(c); !t) {
    m.log(fmt::format("suspend {}: /terminate: {}; scaling down anyway", c.compute_id, t.error().message));
  }
  auto scaled = m.plant.scale(c.deployment, 0);
  std::lock_guard<std::mutex> lock(m.mutex);
  Impl::Slot& s = m.slots[c.compute_id];
  s.suspending = false;
  s.power = scaled ? Power::asleep : Power::unknown;
  (scaled ? m.counts.suspends : m.counts.suspend_failures)++;
  m.changed.notify_all();
  if (!scaled) {
    return make_error(fmt::format("scaling {} to 0: {}", c.deployment, scaled.error().message));
  }
  m.log(fmt::format("suspend {}: idle, scaled {} to 0", c.compute_id, c.deployment));
  return {};
}

void ComputePower::check_idle() {
  Impl& m = *m_impl;
  if (!m.options.can_scale) {
    return;
  }
  for (const ComputeEntry& c : m.computes.computes) {
    if (c.suspend_after_seconds <= 0 || c.deployment.empty() || m.stopping) {
      continue;
    }
    Power now_power;
    {
      std::lock_guard<std::mutex> lock(m.mutex);
      now_power = m.slots[c.compute_id].power;
      if (now_power == Power::waking || now_power == Power::suspending) {
        continue;
      }
    }
    const ComputeActivity a = m.plant.status(c);
    // An asleep compute is polled too: `kubectl neon resume` starts it without the hook.
    if (!a.reachable) {
      if (now_power == Power::unknown) {  // after a hook restart: asleep, or starting?
        auto replicas = m.plant.replicas(c.deployment);
        if (replicas && *replicas == 0) {
          std::lock_guard<std::mutex> lock(m.mutex);
          m.slots[c.compute_id].power = Power::asleep;
        }
      }
      continue;
    }
    if (a.status != k_running) {
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(m.mutex);
      m.slots[c.compute_id].power = Power::awake;
    }
    const auto idle_from = a.last_active ? a.last_active : a.start_time;
    if (!idle_from) {
      continue;
    }
    if (m.plant.now() - *idle_from >= std::chrono::seconds(c.suspend_after_seconds)) {
      if (auto r = suspend(c); !r) {
        m.log(fmt::format("suspend {}: {}", c.compute_id, r.error().message));
      }
    }
  }
}

void ComputePower::stop() { m_impl->stopping = true; }

Power ComputePower::power(const std::string& compute_id) const {
  std::lock_guard<std::mutex> lock(m_impl->mutex);
  auto it = m_impl->slots.find(compute_id);
  return it == m_impl->slots.end() ? Power::unknown : it->second.power;
}

PowerCounts ComputePower::counts() const {
  std::lock_guard<std::mutex> lock(m_impl->mutex);
  PowerCounts c = m_impl->counts;
  c.asleep = 0;
  c.waking = 0;
  for (const auto& [id, s] : m_impl->slots) {
    c.asleep += s.power == Power::asleep ? 1 : 0;
    c.waking += s.power == Power::waking ? 1 : 0;
  }
  return c;
}

}  // namespace neon::cli::hook
