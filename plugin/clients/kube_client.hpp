#pragma once
// A few typed Kubernetes API calls over http::Transport: Secrets (get, create, replace), pods
// (list by label selector, delete), and the StatefulSets and Deployments `status` and `rollout`
// read. Bodies are JSON; API errors carry the Status message.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/result.hpp"
#include "plugin/adapters/base64.hpp"
#include "plugin/adapters/http.hpp"
#include "plugin/clients/kubeconfig.hpp"

namespace neon::cli::kube {

struct Secret {
  std::string name;
  std::string namespace_;
  std::map<std::string, std::string> data;  ///< decoded values
  std::map<std::string, std::string> labels;
  std::string type = "Opaque";
  std::string resource_version;  ///< set on read; sent on replace for optimistic concurrency
};

/// A container's state.terminated (core/v1 ContainerStateTerminated).
struct Terminated {
  int exit_code = 0;
  std::string reason;       ///< Completed, Error, OOMKilled, ...
  std::string message;      ///< the termination message (terminationMessagePath, or the log's tail)
  std::string finished_at;  ///< RFC 3339
};

struct Pod {
  std::string name;
  std::string uid;           ///< a pod re-created under the same name (a StatefulSet's) has a new one
  std::string phase;         ///< Pending, Running, Succeeded, Failed, Unknown
  bool ready = false;        ///< condition Ready is True
  bool terminating = false;  ///< metadata.deletionTimestamp is set
  std::map<std::string, std::string> labels;
  std::string reason;                    ///< status.reason, e.g. DeadlineExceeded
  std::optional<Terminated> terminated;  ///< the first container's, once it has ended

  /// A label's value, or "".
  std::string label(const std::string& key) const;
};

/// What `status` and `rollout` need of a StatefulSet: its update strategy and the revision new pods get.
struct StatefulSet {
  std::string name;
  std::string update_strategy;  ///< spec.updateStrategy.type: RollingUpdate (the default) or OnDelete
  std::string update_revision;  ///< status.updateRevision; pods carry theirs as controller-revision-hash
  std::map<std::string, std::string> labels;
};

/// A Deployment's rollout state, read as `kubectl rollout status` reads it.
struct Deployment {
  std::string name;
  std::map<std::string, std::string> labels;
  long long generation = 0;
  long long observed_generation = 0;
  long long replicas = 1;  ///< spec.replicas
  long long status_replicas = 0;
  long long updated_replicas = 0;
  long long available_replicas = 0;

  /// The controller has seen the latest spec, every replica runs it, no old one is left and all
  /// are available (kubectl's rollout status for a Deployment).
  bool rolled_out() const;
};

/// What GET .../pods/NAME/log asks for (core/v1 PodLogOptions).
struct LogOptions {
  std::string container;                   ///< empty: the pod's only container
  bool follow = false;                     ///< stream until the container stops or the caller does
  std::optional<long long> tail_lines;     ///< the last N lines only
  std::optional<long long> since_seconds;  ///< only lines newer than this
};

enum class Created { created, already_exists };

/// Standard base64 (plugin/base64.hpp), as Secret `data` and kubeconfig `*-data` use it.
using neon::cli::base64_decode;
using neon::cli::base64_encode;

/// The Secret as a v1 manifest with `data` (base64), for the API.
nlohmann::json secret_to_json(const Secret& secret);

class Client {
public:
  /// `transport` must outlive the client and be configured with `api.tls`.
  Client(ApiServer api, http::Transport& transport) : m_api(std::move(api)), m_transport(transport) {}

  const ApiServer& api() const { return m_api; }

  /// nullopt when the Secret does not exist.
  Result<std::optional<Secret>> get_secret(const std::string& ns, const std::string& name);
  /// POST; 409 Conflict is Created::already_exists, not an error.
  Result<Created> create_secret(const Secret& secret);
  /// PUT; replaces data and labels.
  Result<void> replace_secret(const Secret& secret);
  Result<std::vector<Pod>> list_pods(const std::string& ns, const std::string& label_selector);
  Result<std::vector<StatefulSet>> list_statefulsets(const std::string& ns, const std::string& label_selector);
  Result<std::vector<Deployment>> list_deployments(const std::string& ns, const std::string& label_selector);
  /// DELETE; a pod that is already gone (404) is not an error.
  Result<void> delete_pod(const std::string& ns, const std::string& name);
  /// GET .../pods/NAME/log: the log text handed to `on_chunk` piece by piece as it arrives (pieces
  /// do not follow line ends). Returns when the stream ends or `on_chunk` returns false. With
  /// `follow` the transfer has no time limit, without it five minutes.
  Result<void> pod_log(const std::string& ns, const std::string& pod, const LogOptions& options,
                       const http::BodyChunk& on_chunk);

  /// GET `path_base` (with the selector): the `items` of a `list_kind` (e.g. "EventList"), as the
  /// API server returns them.
  Result<nlohmann::json> list(const std::string& path_base, const std::string& label_selector, const char* list_kind);

  /// spec.replicas of a Deployment, from its scale subresource (GET .../deployments/NAME/scale).
  Result<int> get_scale(const std::string& ns, const std::string& deployment);
  /// Sets spec.replicas through the scale subresource (a merge PATCH): RBAC can grant exactly
  /// `patch` on `deployments/scale` and nothing of the Deployment itself.
  Result<void> set_scale(const std::string& ns, const std::string& deployment, int replicas);

  /// A raw call to `path` (starting with /api or /apis); the response whatever its status.
  Result<http::Response> call(const std::string& method, const std::string& path, const std::string& body = "",
                              const std::string& content_type = "application/json");

private:
  ApiServer m_api;
  http::Transport& m_transport;
};

/// `METHOD PATH: STATUS: message` from a Kubernetes Status body (or the raw body).
Error api_error(const std::string& method, const std::string& path, const http::Response& response);

}  // namespace neon::cli::kube
