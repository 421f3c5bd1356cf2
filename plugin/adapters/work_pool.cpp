#include "plugin/adapters/work_pool.hpp"

#include <algorithm>

namespace neon::cli {

WorkPool::WorkPool(std::size_t threads) {
  const std::size_t n = std::max<std::size_t>(1, threads);
  m_threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    m_threads.emplace_back([this] { work(); });
  }
}

WorkPool::~WorkPool() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  for (auto& t : m_threads) {
    t.join();
  }
}

void WorkPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_cv.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
      if (m_tasks.empty()) {
        return;
      }
      task = std::move(m_tasks.front());
      m_tasks.pop_front();
    }
    task();  // a packaged_task: exceptions go to its future
  }
}

}  // namespace neon::cli
