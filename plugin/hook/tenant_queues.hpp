#pragma once
// Per-tenant FIFO queues run by their callers: a job waits behind the earlier jobs of its tenant,
// and the caller whose job reaches the front of an idle queue applies it on its own thread; other
// tenants' jobs run meanwhile. A job whose kind and key equal those of the newest job still
// waiting replaces that job's payload instead of queueing, and both callers get its outcome (a
// newer notification supersedes an older one that has not started).

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace neon::cli::hook {

template <typename Payload, typename Outcome>
class TenantQueues {
public:
  using Apply = std::function<Outcome(const Payload&)>;

  /// Queues `payload` and returns its outcome once applied (by this thread or by the caller of a
  /// newer job). `superseding` is called (under the lock) when it replaces a waiting job.
  Outcome submit(const std::string& tenant, std::size_t kind, const std::string& key, Payload payload,
                 const Apply& apply, const std::function<void()>& superseding) {
    auto ticket = std::make_shared<Ticket>();
    std::unique_lock<std::mutex> lock(m_mutex);
    Queue& q = m_queues[tenant];
    if (!q.waiting.empty() && q.waiting.back()->kind == kind && q.waiting.back()->key == key) {
      superseding();
      q.waiting.back()->payload = std::move(payload);
      q.waiting.back()->tickets.push_back(ticket);
    } else {
      q.waiting.push_back(std::make_shared<Job>(Job{kind, key, std::move(payload), {ticket}}));
    }
    ++m_waiting;
    for (;;) {
      if (ticket->done) {
        return ticket->outcome;
      }
      auto it = m_queues.find(tenant);
      if (it != m_queues.end() && !it->second.running && !it->second.waiting.empty() &&
          holds(*it->second.waiting.front(), ticket)) {
        std::shared_ptr<Job> mine = it->second.waiting.front();
        it->second.waiting.pop_front();
        it->second.running = true;
        m_waiting -= mine->tickets.size();
        lock.unlock();
        Outcome outcome = apply(mine->payload);
        lock.lock();
        for (auto& t : mine->tickets) {
          t->done = true;
          t->outcome = outcome;
        }
        auto again = m_queues.find(tenant);
        again->second.running = false;
        if (again->second.waiting.empty()) {
          m_queues.erase(again);
        }
        m_changed.notify_all();
        return outcome;
      }
      m_changed.wait(lock);
    }
  }

  /// Callers whose job has not started yet.
  std::size_t waiting() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_waiting;
  }

private:
  struct Ticket {
    bool done = false;
    Outcome outcome;
  };
  struct Job {
    std::size_t kind = 0;
    std::string key;
    Payload payload;
    std::vector<std::shared_ptr<Ticket>> tickets;
  };
  struct Queue {
    bool running = false;
    std::deque<std::shared_ptr<Job>> waiting;
  };
  static bool holds(const Job& job, const std::shared_ptr<Ticket>& t) {
    return std::find(job.tickets.begin(), job.tickets.end(), t) != job.tickets.end();
  }

  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::string, Queue> m_queues;
  std::size_t m_waiting = 0;
};

}  // namespace neon::cli::hook
