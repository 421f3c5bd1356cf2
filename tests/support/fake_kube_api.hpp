#pragma once
// A fake Kubernetes API server for tests: cpp-httplib's SSLServer on 127.0.0.1 (port 0) in a
// background thread, with a test PKI made by the openssl CLI, optional client-certificate
// verification, bearer tokens, an in-memory Secrets store, workloads (pods, StatefulSets,
// Deployments, events; fake_workloads.hpp), pods/log (fake_pod_logs.hpp) and the service proxy
// (/api/v1/namespaces/<ns>/services/<svc>/proxy/<rest>) forwarding to a plain-HTTP upstream.
// GET /api/v1/namespaces/<ns>/secrets lists the stored Secrets.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fake_pod_logs.hpp"
#include "tests/support/fake_workloads.hpp"

namespace neon::test {

/// A CA, a server certificate for IP 127.0.0.1 and a client certificate (CN "neon-admin"), all
/// signed by the CA, written as PEM files into `dir`.
struct TestPki {
  explicit TestPki(const std::filesystem::path& dir);
  std::filesystem::path ca_crt, ca_key, server_crt, server_key, client_crt, client_key;
  bool ok = false;    ///< every openssl step succeeded
  std::string error;  ///< the failing step's stderr otherwise
};

struct FakeKubeOptions {
  std::string token;                 ///< required bearer token (when no client certificate is required)
  bool require_client_cert = false;  ///< TLS handshake demands a certificate signed by the CA
  std::string proxy_upstream;        ///< e.g. http://127.0.0.1:PORT; the service proxy forwards there
};

class FakeKubeApi {
public:
  struct LoggedRequest {
    std::string method;
    std::string target;  ///< path and query
    std::string authorization;
    std::string body;
  };

  FakeKubeApi(const TestPki& pki, FakeKubeOptions options);
  ~FakeKubeApi();
  FakeKubeApi(const FakeKubeApi&) = delete;
  FakeKubeApi& operator=(const FakeKubeApi&) = delete;

  bool running() const;
  int port() const;
  std::string url() const;  ///< https://127.0.0.1:<port>

  /// The stored Secret object (data base64, as the API returns it), or nullopt.
  std::optional<nlohmann::json> secret(const std::string& ns, const std::string& name) const;
  std::vector<std::string> secret_names(const std::string& ns) const;
  /// Stores a v1 Secret with these (plain) values, base64 in `data`, as a user's own Secret.
  void put_secret(const std::string& ns, const std::string& name, const std::map<std::string, std::string>& data);
  /// A pod with the given labels, phase and Ready condition.
  void add_pod(const std::string& ns, const std::string& name, const std::map<std::string, std::string>& labels,
               const std::string& phase, bool ready);

  /// A StatefulSet (apps/v1) with its update strategy and status.updateRevision, listed by
  /// GET /apis/apps/v1/namespaces/<ns>/statefulsets (labelSelector as for pods).
  void add_statefulset(const std::string& ns, const std::string& name, const std::map<std::string, std::string>& labels,
                       const std::string& strategy, const std::string& update_revision);

  /// Pods, StatefulSets, Deployments and events, with pod deletion and re-creation (fake_workloads.hpp).
  FakeWorkloads& workloads();
  /// The canned logs pods/log serves (fake_pod_logs.hpp).
  FakePodLogs& pod_logs();
  /// The service proxy forwards calls to `service` (as the URL names it, "http:compute-hook:8080")
  /// to `upstream` instead of FakeKubeOptions::proxy_upstream.
  void proxy_service(const std::string& service, const std::string& upstream);

  std::vector<LoggedRequest> requests() const;
  /// From now on, only these namespaces exist (GET/POST /api/v1/namespaces; creating a Secret in a
  /// missing namespace is 404, as on a real API server). Until called, every namespace exists (GET
  /// is 200, POST 409 AlreadyExists).
  void track_namespaces(const std::vector<std::string>& existing);
  /// A CustomResourceDefinition that exists (GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/<name>).
  void add_crd(const std::string& name);
  /// The stored Namespace object (only when namespaces are tracked), or nullopt.
  std::optional<nlohmann::json> namespace_object(const std::string& name) const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace neon::test
