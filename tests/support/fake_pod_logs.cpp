#include "tests/support/fake_pod_logs.hpp"

#include <memory>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace neon::test {

namespace {

void bad_request(httplib::Response& res, int code, const std::string& reason, const std::string& message) {
  res.status = code;
  res.set_content(nlohmann::json{{"kind", "Status"},
                                 {"apiVersion", "v1"},
                                 {"metadata", nlohmann::json::object()},
                                 {"status", "Failure"},
                                 {"message", message},
                                 {"reason", reason},
                                 {"code", code}}
                      .dump(),
                  "application/json");
}

}  // namespace

void FakePodLogs::set(const std::string& ns, const std::string& pod, const std::string& container,
                      std::vector<std::string> lines) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_logs[ns + "/" + pod][container] = std::move(lines);
}

void FakePodLogs::set_follow_pause(std::chrono::milliseconds pause) {
  std::lock_guard<std::mutex> lock(m_mu);
  m_pause = pause;
}

void FakePodLogs::serve(const std::string& ns, const std::string& pod, bool pod_exists, const httplib::Request& req,
                        httplib::Response& res) const {
  if (!pod_exists) {
    return bad_request(res, 404, "NotFound", fmt::format("pods \"{}\" not found", pod));
  }
  std::vector<std::string> lines;
  std::chrono::milliseconds pause{};
  {
    std::lock_guard<std::mutex> lock(m_mu);
    pause = m_pause;
    const auto it = m_logs.find(ns + "/" + pod);
    const std::string container = req.has_param("container") ? req.get_param_value("container") : "";
    if (it != m_logs.end()) {
      if (container.empty() && it->second.size() > 1) {
        std::string names;
        for (const auto& [name, l] : it->second) {
          names += (names.empty() ? "" : " ") + name;
        }
        return bad_request(
            res, 400, "BadRequest",
            fmt::format("a container name must be specified for pod {}, choose one of: [{}]", pod, names));
      }
      const auto c = container.empty() ? it->second.begin() : it->second.find(container);
      if (c == it->second.end()) {
        return bad_request(res, 400, "BadRequest", fmt::format("container {} is not valid for pod {}", container, pod));
      }
      lines = c->second;
    } else if (!container.empty()) {
      return bad_request(res, 400, "BadRequest", fmt::format("container {} is not valid for pod {}", container, pod));
    }
  }
  if (req.has_param("tailLines")) {
    const auto n = static_cast<std::size_t>(std::stoll(req.get_param_value("tailLines")));
    if (n < lines.size()) {
      lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
    }
  }
  if (req.get_param_value("follow") != "true") {
    std::string body;
    for (const auto& l : lines) {
      body += l + "\n";
    }
    res.set_content(body, "text/plain");
    return;
  }
  auto next = std::make_shared<std::size_t>(0);
  auto shared = std::make_shared<std::vector<std::string>>(std::move(lines));
  res.set_chunked_content_provider("text/plain", [next, shared, pause](std::size_t, httplib::DataSink& sink) {
    if (*next >= shared->size()) {
      sink.done();
      return true;
    }
    if (*next > 0) {
      std::this_thread::sleep_for(pause);
    }
    const std::string line = (*shared)[(*next)++] + "\n";
    return sink.write(line.data(), line.size());
  });
}

}  // namespace neon::test
