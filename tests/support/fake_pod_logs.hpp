#pragma once
// The pods/log subresource of the fake Kubernetes API (fake_kube_api.hpp): canned lines per pod
// and container, served as GET /api/v1/namespaces/<ns>/pods/<name>/log answers them (core/v1
// PodLogOptions: container, follow, tailLines, sinceSeconds):
// - no container named: the pod's only container; a pod with several is 400 "a container name
//   must be specified for pod <pod>, choose one of: [...]";
// - a container the pod does not have: 400 "container <c> is not valid for pod <pod>";
// - tailLines: the last N lines;
// - follow=true: the lines one chunk at a time (a pause between two), then the stream ends, as it
//   does when the container stops;
// - sinceSeconds is recorded in the request log only: canned lines carry no time.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace neon::test {

class FakePodLogs {
public:
  /// The lines (without '\n') of `container` in `pod`.
  void set(const std::string& ns, const std::string& pod, const std::string& container, std::vector<std::string> lines);
  /// The pause between two lines of a followed stream (default 5 ms).
  void set_follow_pause(std::chrono::milliseconds pause);
  /// Answers GET .../pods/<pod>/log; `pod_exists` says whether the pod is there at all.
  void serve(const std::string& ns, const std::string& pod, bool pod_exists, const httplib::Request& req,
             httplib::Response& res) const;

private:
  mutable std::mutex m_mu;
  /// "ns/pod" -> container -> lines
  std::map<std::string, std::map<std::string, std::vector<std::string>>> m_logs;
  std::chrono::milliseconds m_pause{5};
};

}  // namespace neon::test
