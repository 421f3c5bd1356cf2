#include "tests/support/fake_compute_ctl.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <openssl/evp.h>

#include "plugin/adapters/http.hpp"
#include "plugin/adapters/http_listen.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/hook/hook_server.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::test {

using Json = nlohmann::json;

namespace {

/// What compute_ctl would say about spec.cluster's roles and databases (neon-connect.md 1.1-1.4):
/// both required arrays (libs/compute_api/src/spec.rs:516-529); a role is {name, encrypted_password
/// string|null, options array|null} (:547-551), a database {name, owner, options} (:556-566). A
/// verifier is written unescaped inside '...' (compute_tools/src/pg_helpers.rs:146-167) and a
/// database owner must exist (spec_apply.rs:923-984): those fail the apply (500, configurator.rs:46-57).
/// "" when the spec is fine.
std::string cluster_problem(const Json& spec) {
  const Json cluster = spec.value("cluster", Json());
  if (!cluster.is_object() || !cluster.contains("roles") || !cluster["roles"].is_array() ||
      !cluster.contains("databases") || !cluster["databases"].is_array()) {
    return "invalid configuration request: cluster.roles and cluster.databases must be arrays";
  }
  std::vector<std::string> roles{"cloud_admin"};
  for (const Json& r : cluster["roles"]) {
    const Json pw = r.value("encrypted_password", Json());
    const Json opts = r.value("options", Json());
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string() || !(pw.is_null() || pw.is_string()) ||
        !(opts.is_null() || opts.is_array())) {
      return "invalid configuration request: bad role " + r.dump();
    }
    if (pw.is_string() && (pw.get<std::string>().rfind("SCRAM-SHA-256$", 0) != 0 ||
                           pw.get<std::string>().find('\'') != std::string::npos)) {
      return "apply: role " + r["name"].get<std::string>() + " has an encrypted_password that is not a SCRAM verifier";
    }
    roles.push_back(r["name"]);
  }
  for (const Json& d : cluster["databases"]) {
    if (!d.is_object() || !d.contains("name") || !d["name"].is_string() || !d.contains("owner") ||
        !d["owner"].is_string()) {
      return "invalid configuration request: bad database " + d.dump();
    }
    if (std::find(roles.begin(), roles.end(), d["owner"].get<std::string>()) == roles.end()) {
      return "apply: role \"" + d["owner"].get<std::string>() + "\" does not exist";
    }
  }
  return "";
}

}  // namespace

std::string jwk_to_pem(const Json& jwk) {
  if (!jwk.is_object() || jwk.value("kty", "") != "OKP" || jwk.value("crv", "") != "Ed25519" || !jwk.contains("x") ||
      !jwk["x"].is_string()) {
    return "";
  }
  auto raw = cli::jwt::base64url_decode(jwk["x"].get<std::string>());
  if (!raw || raw->size() != 32) {
    return "";
  }
  // SubjectPublicKeyInfo for id-Ed25519 (RFC 8410): a fixed 12-byte prefix and the key.
  std::string der("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);
  der += *raw;
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
  b64.resize(static_cast<std::size_t>(n));
  return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
}

struct FakeComputeCtl::State {
  std::string compute_id;
  std::string host;
  mutable std::mutex mu;
  mutable std::condition_variable held_cv;
  bool holding = false;
  int held = 0;
  std::optional<Json> trusted;
  Mode mode = Mode::running;
  std::vector<Json> specs;
  int rejected = 0;
  Json last_rejection;
  int requests = 0;
  std::string ctl_status = "running";  ///< what GET /status says
  std::optional<std::string> last_active;
  std::string start_time = "2026-01-01T00:00:00Z";
  int terminations = 0;
  int status_requests = 0;
  int port = 0;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;

  void reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }

  void refuse(httplib::Response& res, int status, const std::string& message) {
    ++rejected;
    last_rejection = Json{{"error", message}};
    reply(res, status, last_rejection);
  }

  /// compute_ctl's JWT check of every authenticated route (http/middleware/authorize.rs); answers the refusal.
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    const std::string header = req.get_header_value("Authorization");
    if (header.rfind("Bearer ", 0) != 0) {
      refuse(res, 400, "invalid authorization token");  // authorize.rs:81-86
      return false;
    }
    std::optional<Json> claims;
    if (trusted && trusted->is_object() && trusted->contains("keys") && (*trusted)["keys"].is_array()) {
      for (const Json& key : (*trusted)["keys"]) {
        const std::string pem = jwk_to_pem(key);
        if (pem.empty()) {
          continue;
        }
        auto verified = cli::jwt::verify(header.substr(7), pem, static_cast<std::int64_t>(std::time(nullptr)));
        if (verified) {
          claims = *verified;
          break;
        }
      }
    }
    if (!claims || !claims->contains("exp")) {
      refuse(res, 401, "failed to verify authorization token");  // authorize.rs:88-91, :184
      return false;
    }
    const std::string claimed = claims->value("compute_id", "");
    if (claimed.empty()) {
      refuse(res, 403, "missing compute_id in authorization token claims");  // authorize.rs:120-125
      return false;
    }
    if (!compute_id.empty() && claimed != compute_id) {
      refuse(res, 403, "invalid compute ID in authorization token claims");  // authorize.rs:127-132
      return false;
    }
    return true;
  }

  void configure(const httplib::Request& req, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu);
    ++requests;
    if (holding) {
      ++held;
      held_cv.notify_all();
      held_cv.wait(lock, [this] { return !holding; });
      --held;
    }
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("spec") || !body.contains("compute_ctl_config") ||
        !body["compute_ctl_config"].is_object() || !body["compute_ctl_config"].contains("jwks")) {
      return reply(res, 400, Json{{"error", "invalid configuration request"}});
    }
    if (!authorized(req, res)) {
      return;
    }
    if (mode == Mode::not_running) {
      return reply(res, 412, Json{{"error", "invalid compute status: init"}});
    }
    if (mode == Mode::failing) {
      return reply(res, 500, Json{{"error", "compute failed"}});
    }
    if (const std::string bad = cluster_problem(body["spec"]); !bad.empty()) {
      return reply(res, bad.rfind("apply: ", 0) == 0 ? 500 : 400, Json{{"error", bad}});
    }
    specs.push_back(body["spec"]);
    reply(res, 200,
          Json{{"start_time", "2026-01-01T00:00:00Z"},
               {"tenant", body["spec"].value("tenant_id", "")},
               {"timeline", body["spec"].value("timeline_id", "")},
               {"status", "running"},
               {"last_active", nullptr},
               {"error", nullptr}});
  }

  /// GET /status (compute_tools/src/http/routes/status.rs; responses.rs:140-151).
  void get_status(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    ++requests;
    ++status_requests;
    if (!authorized(req, res)) {
      return;
    }
    reply(res, 200,
          Json{{"start_time", start_time},
               {"tenant", nullptr},
               {"timeline", nullptr},
               {"status", ctl_status},
               {"last_active", last_active ? Json(*last_active) : Json(nullptr)},
               {"error", ctl_status == "failed" ? Json("postgres exited") : Json(nullptr)}});
  }

  /// POST /terminate (compute_tools/src/http/routes/terminate.rs:19-85): 201 when terminated
  /// already, 200 after a fast shutdown of a running compute, 412 otherwise.
  void terminate(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    ++requests;
    if (!authorized(req, res)) {
      return;
    }
    if (ctl_status == "terminated") {
      return reply(res, 201, Json{{"lsn", nullptr}});
    }
    if (ctl_status != "running") {
      return reply(res, 412, Json{{"error", "invalid compute status: " + ctl_status}});
    }
    ctl_status = "terminated";
    ++terminations;
    reply(res, 200, Json{{"lsn", "0/169AD58"}});
  }

  void start() {
    server = std::make_unique<httplib::Server>();
    server->Get("/status", [this](const httplib::Request& q, httplib::Response& r) { get_status(q, r); });
    server->Post("/terminate", [this](const httplib::Request& q, httplib::Response& r) { terminate(q, r); });
    server->Post("/configure", [this](const httplib::Request& q, httplib::Response& r) { configure(q, r); });
    server->Get("/metrics", [](const httplib::Request&, httplib::Response& r) { r.set_content("", "text/plain"); });
    // The hook reconfigures many computes at once; httplib's own backlog of 5 would drop some.
    if (port == 0) {
      port = cli::hook::bind_http_server(*server, host, 0);
    } else {
      // The same port again after set_down(false); SO_REUSEPORT lets it rebind at once.
      for (int i = 0; i < 100 && cli::hook::bind_http_server(*server, host, port) < 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    httplib::Server* s = server.get();
    thread = std::thread([s] { s->listen_after_bind(); });
    while (!server->is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void halt() {
    {
      // A held request would keep the server from stopping.
      std::lock_guard<std::mutex> lock(mu);
      holding = false;
    }
    held_cv.notify_all();
    if (server) {
      server->stop();
      thread.join();
      server.reset();
    }
  }
};

FakeComputeCtl::FakeComputeCtl(std::string compute_id, std::string host) : m_state(std::make_unique<State>()) {
  m_state->compute_id = std::move(compute_id);
  m_state->host = std::move(host);
  m_state->start();
}

FakeComputeCtl::~FakeComputeCtl() { m_state->halt(); }

int FakeComputeCtl::port() const { return m_state->port; }

void FakeComputeCtl::set_status(const std::string& status) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->ctl_status = status;
}

void FakeComputeCtl::set_activity(std::optional<std::string> last_active, std::string start_time) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->last_active = std::move(last_active);
  m_state->start_time = std::move(start_time);
}

int FakeComputeCtl::terminations() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->terminations;
}

int FakeComputeCtl::status_requests() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->status_requests;
}

std::string FakeComputeCtl::address() const { return cli::hook::host_port(m_state->host, m_state->port); }

bool FakeComputeCtl::trust(const Json& jwks) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  if (m_state->trusted) {
    return *m_state->trusted == jwks;
  }
  m_state->trusted = jwks;
  return true;
}

FakeComputeCtl::Fetch FakeComputeCtl::fetch_spec(const std::string& base_url, const std::string& token) {
  Fetch f;
  cli::http::CurlTransport transport;
  cli::http::Request req;
  req.url = base_url + "/compute/api/v2/computes/" + m_state->compute_id + "/spec";
  req.headers = {{"Authorization", "Bearer " + token}};  // spec.rs:27-29, :79
  req.timeout = std::chrono::seconds(30);                // reqwest's blocking client default
  while (f.attempts < 3) {                               // spec.rs:89, `while attempt < 4` from 1
    ++f.attempts;
    bool retry = true;
    auto out = transport.send(req);
    f.status = out.response ? out.response->status : 0;
    if (!out.response) {
      f.error = out.error ? out.error->message : "no response";
    } else if (f.status == 200) {
      const Json body = Json::parse(out.response->body, nullptr, false);
      const std::string status = body.is_object() ? body.value("status", "") : std::string();
      const bool decodes = (status == "empty" || status == "attached") && body.contains("compute_ctl_config") &&
                           body["compute_ctl_config"].is_object() && body["compute_ctl_config"].contains("jwks");
      if (decodes && body["status"] == "attached" && body.value("spec", Json()).is_null()) {
        f.error = "compute is attached, but spec is empty";  // spec.rs:100-105
        return f;
      }
      if (decodes) {
        f.reply = body;
        if (!trust(body["compute_ctl_config"]["jwks"])) {
          f.error = "the keys were fixed before";
          return f;
        }
        f.ok = true;
        return f;
      }
      f.error = "could not deserialize control plane response";
    } else {
      retry = f.status == 503 || f.status == 502;  // spec.rs:49-71
      f.error = "control plane answered " + std::to_string(f.status);
    }
    if (!retry) {
      return f;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // spec.rs:128
  }
  return f;
}

void FakeComputeCtl::set_mode(Mode mode) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->mode = mode;
}

void FakeComputeCtl::set_down(bool down) {
  if (down) {
    m_state->halt();
  } else if (!m_state->server) {
    m_state->start();
  }
}

void FakeComputeCtl::hold() {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->holding = true;
}

void FakeComputeCtl::release() {
  {
    std::lock_guard<std::mutex> lock(m_state->mu);
    m_state->holding = false;
  }
  m_state->held_cv.notify_all();
}

bool FakeComputeCtl::wait_held(int count, std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock(m_state->mu);
  return m_state->held_cv.wait_for(lock, limit, [&] { return m_state->held >= count; });
}

std::vector<Json> FakeComputeCtl::specs() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->specs;
}

int FakeComputeCtl::rejected() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->rejected;
}

Json FakeComputeCtl::last_rejection() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->last_rejection;
}

int FakeComputeCtl::requests() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->requests;
}

}  // namespace neon::test
