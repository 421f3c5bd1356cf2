#include "tests/support/fake_kube_api.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/evp.h>

#include "plugin/adapters/base64.hpp"
#include "tests/support/fake_workloads.hpp"
#include "tests/support/run.hpp"

namespace neon::test {
namespace {

namespace fs = std::filesystem;

std::string b64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

nlohmann::json status_body(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

void reply(httplib::Response& res, int code, const nlohmann::json& body) {
  res.status = code;
  res.set_content(body.dump(), "application/json");
}

}  // namespace

TestPki::TestPki(const fs::path& dir)
    : ca_crt(dir / "ca.crt"),
      ca_key(dir / "ca.key"),
      server_crt(dir / "server.crt"),
      server_key(dir / "server.key"),
      client_crt(dir / "client.crt"),
      client_key(dir / "client.key") {
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
  const auto step = [&](std::vector<std::string> argv) {
    if (!error.empty()) {
      return;
    }
    auto r = run_process(argv, dir);
    if (r.exit != 0) {
      error = fmt::format("{} failed: {}", fmt::join(argv, " "), r.err);
    }
  };
  const auto with_ec = [&](std::vector<std::string> head, const std::vector<std::string>& tail) {
    head.insert(head.end(), ec.begin(), ec.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  step(with_ec({"openssl", "req", "-x509"},
               {"-keyout", ca_key.string(), "-out", ca_crt.string(), "-subj", "/CN=neon-test-ca", "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"}));
  const auto leaf = [&](const fs::path& crt, const fs::path& key, const std::string& cn,
                        const std::vector<std::string>& exts, const std::string& serial) {
    std::vector<std::string> tail = {"-keyout", key.string(), "-out", (dir / (cn + ".csr")).string(),
                                     "-subj",   "/CN=" + cn};
    tail.insert(tail.end(), exts.begin(), exts.end());
    step(with_ec({"openssl", "req", "-new"}, tail));
    step({"openssl", "x509", "-req", "-in", (dir / (cn + ".csr")).string(), "-CA", ca_crt.string(), "-CAkey",
          ca_key.string(), "-set_serial", serial, "-days", "2", "-out", crt.string(), "-copy_extensions", "copyall"});
  };
  leaf(server_crt, server_key, "127.0.0.1",
       {"-addext", "subjectAltName=IP:127.0.0.1", "-addext", "extendedKeyUsage=serverAuth"}, "2");
  leaf(client_crt, client_key, "neon-admin", {"-addext", "extendedKeyUsage=clientAuth"}, "3");
  ok = error.empty();
}

struct FakeKubeApi::Impl {
  FakeKubeOptions options;
  std::unique_ptr<httplib::SSLServer> server;
  std::thread thread;
  int port = -1;
  mutable std::mutex mu;
  std::map<std::string, std::map<std::string, nlohmann::json>> secrets;  // ns -> name -> object
  FakeWorkloads workloads;                                               // its own lock
  FakePodLogs pod_logs;                                                  // its own lock
  std::map<std::string, std::string> proxy_services;                     // service -> upstream
  bool track_namespaces = false;
  std::map<std::string, nlohmann::json> namespaces;  // name -> object, when tracked
  std::vector<std::string> crds;
  std::vector<LoggedRequest> log;
  long version = 100;

  bool authorized(const httplib::Request& req) const {
    if (options.require_client_cert) {
      return true;  // the handshake already verified the certificate against the CA
    }
    return options.token.empty() || req.get_header_value("Authorization") == "Bearer " + options.token;
  }

  void handle_secrets(const httplib::Request& req, httplib::Response& res) {
    const std::string ns = req.matches[1];
    const std::string name = req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
    std::lock_guard<std::mutex> lock(mu);
    if (track_namespaces && req.method == "POST" && namespaces.count(ns) == 0) {
      return reply(res, 404, status_body(404, "NotFound", fmt::format("namespaces \"{}\" not found", ns)));
    }
    auto& store = secrets[ns];
    if (req.method == "GET" && name.empty()) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& [n, object] : store) {
        items.push_back(object);
      }
      return reply(
          res, 200,
          {{"kind", "SecretList"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", "1"}}}, {"items", items}});
    }
    if (req.method == "GET" && !name.empty()) {
      const auto it = store.find(name);
      if (it == store.end()) {
        return reply(res, 404, status_body(404, "NotFound", fmt::format("secrets \"{}\" not found", name)));
      }
      return reply(res, 200, it->second);
    }
    if (req.method != "POST" && req.method != "PUT") {
      return reply(res, 405, status_body(405, "MethodNotAllowed", "method not allowed"));
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || body.value("kind", "") != "Secret" ||
        body.value("apiVersion", "") != "v1" || !body.contains("metadata") ||
        body["metadata"].value("name", "").empty()) {
      return reply(res, 400, status_body(400, "BadRequest", "body is not a v1 Secret with metadata.name"));
    }
    const std::string obj_name = body["metadata"]["name"];
    if (body["metadata"].contains("namespace") && body["metadata"]["namespace"] != ns) {
      return reply(res, 400, status_body(400, "BadRequest", "the namespace of the object does not match the URL"));
    }
    if (req.method == "PUT" && obj_name != name) {
      return reply(res, 400, status_body(400, "BadRequest", "the name of the object does not match the URL"));
    }
    const auto existing = store.find(obj_name);
    if (req.method == "POST" && existing != store.end()) {
      return reply(res, 409, status_body(409, "AlreadyExists", fmt::format("secrets \"{}\" already exists", obj_name)));
    }
    if (req.method == "PUT") {
      if (existing == store.end()) {
        return reply(res, 404, status_body(404, "NotFound", fmt::format("secrets \"{}\" not found", obj_name)));
      }
      const std::string rv = body["metadata"].value("resourceVersion", "");
      if (!rv.empty() && rv != existing->second["metadata"]["resourceVersion"]) {
        return reply(res, 409, status_body(409, "Conflict", "the object has been modified"));
      }
    }
    // stringData is write-only: the API server folds it into data.
    if (!body.contains("data") || body["data"].is_null()) {
      body["data"] = nlohmann::json::object();
    }
    const nlohmann::json string_data_obj = body.value("stringData", nlohmann::json::object());
    for (const auto& [k, v] : string_data_obj.items()) {
      body["data"][k] = b64(v.get<std::string>());
    }
    body.erase("stringData");
    body["metadata"]["namespace"] = ns;
    body["metadata"]["resourceVersion"] = std::to_string(++version);
    if (!body.contains("type")) {
      body["type"] = "Opaque";
    }
    store[obj_name] = body;
    reply(res, req.method == "POST" ? 201 : 200, body);
  }

  // core/v1 Namespaces: GET one, POST a new one (409 when it exists).
  void handle_namespaces(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    if (!track_namespaces) {  // every namespace exists
      const std::string name = req.method == "GET" ? std::string(req.matches[1]) : std::string();
      return req.method == "GET"
                 ? reply(res, 200, {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}})
                 : reply(res, 409, status_body(409, "AlreadyExists", "namespace already exists"));
    }
    if (req.method == "GET") {
      const std::string name = req.matches[1];
      const auto it = namespaces.find(name);
      if (it == namespaces.end()) {
        return reply(res, 404, status_body(404, "NotFound", fmt::format("namespaces \"{}\" not found", name)));
      }
      return reply(res, 200, it->second);
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || body.value("kind", "") != "Namespace" ||
        body.value("apiVersion", "") != "v1" || !body.contains("metadata") ||
        body["metadata"].value("name", "").empty()) {
      return reply(res, 400, status_body(400, "BadRequest", "body is not a v1 Namespace with metadata.name"));
    }
    const std::string name = body["metadata"]["name"];
    if (namespaces.count(name) > 0) {
      return reply(res, 409, status_body(409, "AlreadyExists", fmt::format("namespaces \"{}\" already exists", name)));
    }
    body["metadata"]["resourceVersion"] = std::to_string(++version);
    namespaces[name] = body;
    reply(res, 201, body);
  }

  void handle_crd(const httplib::Request& req, httplib::Response& res) const {
    const std::string name = req.matches[1];
    std::lock_guard<std::mutex> lock(mu);
    if (std::find(crds.begin(), crds.end(), name) == crds.end()) {
      return reply(res, 404,
                   status_body(404, "NotFound",
                               fmt::format("customresourcedefinitions.apiextensions.k8s.io \"{}\" not found", name)));
    }
    reply(res, 200,
          {{"apiVersion", "apiextensions.k8s.io/v1"},
           {"kind", "CustomResourceDefinition"},
           {"metadata", {{"name", name}}}});
  }

  void handle_list(const httplib::Request& req, httplib::Response& res, const std::string& kind) {
    const std::string selector = req.has_param("labelSelector") ? req.get_param_value("labelSelector") : "";
    reply(res, 200, workloads.list(kind, req.matches[1], selector));
  }

  void handle_delete_pod(const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body;
    const std::string name = req.matches[2];
    if (workloads.delete_pod(req.matches[1], name, body) == 404) {
      reply(res, 404, status_body(404, "NotFound", fmt::format("pods \"{}\" not found", name)));
      return;
    }
    reply(res, 200, body);
  }

  void handle_proxy(const httplib::Request& req, httplib::Response& res) const {
    std::string upstream_url = options.proxy_upstream;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (const auto it = proxy_services.find(req.matches[2]); it != proxy_services.end()) {
        upstream_url = it->second;
      }
    }
    if (upstream_url.empty()) {
      return reply(res, 503, status_body(503, "ServiceUnavailable", "no endpoints available for service"));
    }
    httplib::Client upstream(upstream_url);
    upstream.set_connection_timeout(5, 0);
    upstream.set_read_timeout(30, 0);
    httplib::Request fwd;
    fwd.method = req.method;
    fwd.path = req.matches[3].length() > 0 ? std::string(req.matches[3]) : std::string("/");
    if (const auto q = req.target.find('?'); q != std::string::npos) {
      fwd.path += req.target.substr(q);
    }
    // The API server authenticates the caller itself and does not pass its credentials on.
    for (const auto& [k, v] : req.headers) {
      std::string lower = k;
      for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (lower != "authorization" && lower != "host" && lower != "content-length" && lower != "connection" &&
          lower != "remote_addr" && lower != "remote_port" && lower != "local_addr" && lower != "local_port") {
        fwd.headers.emplace(k, v);
      }
    }
    fwd.body = req.body;
    auto result = upstream.send(fwd);
    if (!result) {
      return reply(res, 503,
                   status_body(503, "ServiceUnavailable",
                               fmt::format("error trying to reach service: {}", httplib::to_string(result.error()))));
    }
    res.status = result->status;
    const std::string type = result->get_header_value("Content-Type");
    res.set_content(result->body, type.empty() ? "text/plain" : type.c_str());
  }
};

FakeKubeApi::FakeKubeApi(const TestPki& pki, FakeKubeOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->options = std::move(options);
  const std::string ca = pki.ca_crt.string();
  m_impl->server =
      std::make_unique<httplib::SSLServer>(pki.server_crt.string().c_str(), pki.server_key.string().c_str(),
                                           m_impl->options.require_client_cert ? ca.c_str() : nullptr);
  if (!m_impl->server->is_valid()) {
    return;
  }
  m_impl->server->set_tcp_nodelay(true);  // no 40 ms wait per answer on a kept-alive connection
  Impl* impl = m_impl.get();
  auto& srv = *m_impl->server;
  srv.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      impl->log.push_back({req.method, req.target, req.get_header_value("Authorization"), req.body});
    }
    if (!impl->authorized(req)) {
      reply(res, 401, status_body(401, "Unauthorized", "Unauthorized"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  const char* secrets_coll = R"(/api/v1/namespaces/([^/]+)/secrets)";
  const char* secrets_item = R"(/api/v1/namespaces/([^/]+)/secrets/([^/]+))";
  const auto secrets = [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_secrets(req, res); };
  srv.Post(secrets_coll, secrets);
  srv.Get(secrets_coll, secrets);
  srv.Get(secrets_item, secrets);
  srv.Put(secrets_item, secrets);
  const auto namespaces = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->handle_namespaces(req, res);
  };
  srv.Get(R"(/api/v1/namespaces/([^/]+))", namespaces);
  srv.Post(R"(/api/v1/namespaces)", namespaces);
  srv.Get(R"(/apis/apiextensions\.k8s\.io/v1/customresourcedefinitions/([^/]+))",
          [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_crd(req, res); });
  srv.Get(R"(/api/v1/namespaces/([^/]+)/pods)",
          [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_list(req, res, "PodList"); });
  srv.Get(R"(/api/v1/namespaces/([^/]+)/events)",
          [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_list(req, res, "EventList"); });
  srv.Get(R"(/api/v1/namespaces/([^/]+)/pods/([^/]+)/log)",
          [impl](const httplib::Request& req, httplib::Response& res) {
            const std::string ns = req.matches[1];
            const std::string pod = req.matches[2];
            impl->pod_logs.serve(ns, pod, impl->workloads.has_pod(ns, pod), req, res);
          });
  srv.Delete(R"(/api/v1/namespaces/([^/]+)/pods/([^/]+))",
             [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_delete_pod(req, res); });
  srv.Get(
      R"(/apis/apps/v1/namespaces/([^/]+)/statefulsets)",
      [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_list(req, res, "StatefulSetList"); });
  srv.Get(
      R"(/apis/apps/v1/namespaces/([^/]+)/deployments)",
      [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_list(req, res, "DeploymentList"); });
  srv.Get(R"(/apis/batch/v1/namespaces/([^/]+)/cronjobs)",
          [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_list(req, res, "CronJobList"); });
  // The scale subresource (apps/v1 Deployment /scale): GET, and PATCH with a merge patch only.
  const char* scale = R"(/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)/scale)";
  srv.Get(scale, [impl](const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body;
    if (impl->workloads.get_scale(req.matches[1], req.matches[2], body) != 200) {
      return reply(
          res, 404,
          status_body(404, "NotFound", fmt::format("deployments.apps \"{}\" not found", std::string(req.matches[2]))));
    }
    reply(res, 200, body);
  });
  srv.Patch(scale, [impl](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Content-Type") != "application/merge-patch+json") {
      return reply(res, 415,
                   status_body(415, "UnsupportedMediaType", "the body of the request was in an unknown format"));
    }
    nlohmann::json body;
    const int status = impl->workloads.patch_scale(req.matches[1], req.matches[2],
                                                   nlohmann::json::parse(req.body, nullptr, false), body);
    if (status != 200) {
      return reply(res, status, status_body(status, status == 404 ? "NotFound" : "Invalid", "cannot scale"));
    }
    reply(res, 200, body);
  });
  const char* proxy = R"(/api/v1/namespaces/([^/]+)/services/([^/]+)/proxy(/.*)?)";
  const auto forward = [impl](const httplib::Request& req, httplib::Response& res) { impl->handle_proxy(req, res); };
  srv.Get(proxy, forward);
  srv.Post(proxy, forward);
  srv.Put(proxy, forward);
  srv.Patch(proxy, forward);
  srv.Delete(proxy, forward);
  srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      reply(res, res.status, status_body(res.status, "NotFound", "the server could not find the requested resource"));
    }
  });
  m_impl->port = srv.bind_to_any_port("127.0.0.1");
  if (m_impl->port <= 0) {
    return;
  }
  m_impl->thread = std::thread([impl] { impl->server->listen_after_bind(); });
  while (!srv.is_running()) {
    std::this_thread::yield();
  }
}

FakeKubeApi::~FakeKubeApi() {
  if (m_impl->server) {
    m_impl->server->stop();
  }
  if (m_impl->thread.joinable()) {
    m_impl->thread.join();
  }
}

bool FakeKubeApi::running() const { return m_impl->thread.joinable(); }
int FakeKubeApi::port() const { return m_impl->port; }
std::string FakeKubeApi::url() const { return fmt::format("https://127.0.0.1:{}", m_impl->port); }

std::optional<nlohmann::json> FakeKubeApi::secret(const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(m_impl->mu);
  const auto nit = m_impl->secrets.find(ns);
  if (nit == m_impl->secrets.end() || nit->second.count(name) == 0) {
    return std::nullopt;
  }
  return nit->second.at(name);
}

void FakeKubeApi::put_secret(const std::string& ns, const std::string& name,
                             const std::map<std::string, std::string>& data) {
  nlohmann::json encoded = nlohmann::json::object();
  for (const auto& [k, v] : data) {
    encoded[k] = cli::base64_encode(v);
  }
  std::lock_guard<std::mutex> lock(m_impl->mu);
  m_impl->secrets[ns][name] =
      nlohmann::json{{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", "1"}}},
                     {"type", "Opaque"},
                     {"data", encoded}};
}

void FakeKubeApi::track_namespaces(const std::vector<std::string>& existing) {
  std::lock_guard<std::mutex> lock(m_impl->mu);
  m_impl->track_namespaces = true;
  for (const auto& name : existing) {
    m_impl->namespaces[name] = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  }
}

void FakeKubeApi::add_crd(const std::string& name) {
  std::lock_guard<std::mutex> lock(m_impl->mu);
  m_impl->crds.push_back(name);
}

std::optional<nlohmann::json> FakeKubeApi::namespace_object(const std::string& name) const {
  std::lock_guard<std::mutex> lock(m_impl->mu);
  const auto it = m_impl->namespaces.find(name);
  return it == m_impl->namespaces.end() ? std::nullopt : std::optional<nlohmann::json>(it->second);
}

std::vector<std::string> FakeKubeApi::secret_names(const std::string& ns) const {
  std::lock_guard<std::mutex> lock(m_impl->mu);
  std::vector<std::string> out;
  if (const auto nit = m_impl->secrets.find(ns); nit != m_impl->secrets.end()) {
    for (const auto& [name, obj] : nit->second) {
      out.push_back(name);
    }
  }
  return out;
}

void FakeKubeApi::add_pod(const std::string& ns, const std::string& name,
                          const std::map<std::string, std::string>& labels, const std::string& phase, bool ready) {
  m_impl->workloads.add_pod(ns, name, labels, phase, ready);
}

void FakeKubeApi::add_statefulset(const std::string& ns, const std::string& name,
                                  const std::map<std::string, std::string>& labels, const std::string& strategy,
                                  const std::string& update_revision) {
  m_impl->workloads.add_statefulset(ns, name, labels, strategy, update_revision);
}

FakeWorkloads& FakeKubeApi::workloads() { return m_impl->workloads; }

FakePodLogs& FakeKubeApi::pod_logs() { return m_impl->pod_logs; }

void FakeKubeApi::proxy_service(const std::string& service, const std::string& upstream) {
  std::lock_guard<std::mutex> lock(m_impl->mu);
  m_impl->proxy_services[service] = upstream;
}

std::vector<FakeKubeApi::LoggedRequest> FakeKubeApi::requests() const {
  std::lock_guard<std::mutex> lock(m_impl->mu);
  return m_impl->log;
}

}  // namespace neon::test
