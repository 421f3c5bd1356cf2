#pragma once
// A fixed set of worker threads running queued tasks: bounded fan-out for work that one request
// spreads over many peers (the hook configuring every compute of a tenant).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace neon::cli {

class WorkPool {
public:
  explicit WorkPool(std::size_t threads);
  ~WorkPool();  ///< runs what is queued, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  /// Queues `task`; its result (or exception) arrives through the future.
  template <typename F>
  auto submit(F task) -> std::future<decltype(task())> {
    auto packaged = std::make_shared<std::packaged_task<decltype(task())()>>(std::move(task));
    auto future = packaged->get_future();
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_tasks.emplace_back([packaged] { (*packaged)(); });
    }
    m_cv.notify_one();
    return future;
  }

  std::size_t size() const { return m_threads.size(); }

private:
  void work();
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_tasks;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

}  // namespace neon::cli
