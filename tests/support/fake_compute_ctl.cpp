#include "tests/support/fake_compute_ctl.hpp"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <openssl/evp.h>

#include "plugin/hook_server.hpp"
#include "plugin/jwt.hpp"

namespace neon::test {

using Json = nlohmann::json;

std::string jwk_to_pem(const Json& jwk) {
  if (!jwk.is_object() || jwk.value("kty", "") != "OKP" || jwk.value("crv", "") != "Ed25519" ||
      !jwk.contains("x") || !jwk["x"].is_string()) {
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
  mutable std::mutex mu;
  mutable std::condition_variable held_cv;
  bool holding = false;
  int held = 0;
  std::optional<Json> trusted;
  Mode mode = Mode::running;
  std::vector<Json> specs;
  int rejected = 0;
  int requests = 0;
  int port = 0;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;

  void reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
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
    const std::string header = req.get_header_value("Authorization");
    if (header.rfind("Bearer ", 0) != 0) {
      ++rejected;
      return reply(res, 400, Json{{"error", "invalid authorization token"}});
    }
    const Json jwks = trusted ? *trusted : body["compute_ctl_config"]["jwks"];
    std::optional<Json> claims;
    if (jwks.is_object() && jwks.contains("keys") && jwks["keys"].is_array()) {
      for (const Json& key : jwks["keys"]) {
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
      ++rejected;
      return reply(res, 401, Json{{"error", "invalid authorization token"}});
    }
    const std::string claimed = claims->value("compute_id", "");
    if (claimed.empty() || (!compute_id.empty() && claimed != compute_id)) {
      ++rejected;
      return reply(res, 403, Json{{"error", "invalid compute ID"}});
    }
    if (mode == Mode::not_running) {
      return reply(res, 412, Json{{"error", "invalid compute status: init"}});
    }
    if (mode == Mode::failing) {
      return reply(res, 500, Json{{"error", "compute failed"}});
    }
    specs.push_back(body["spec"]);
    reply(res, 200, Json{{"start_time", "2026-01-01T00:00:00Z"}, {"tenant", body["spec"].value("tenant_id", "")},
                         {"timeline", body["spec"].value("timeline_id", "")}, {"status", "running"},
                         {"last_active", nullptr}, {"error", nullptr}});
  }

  void start() {
    server = std::make_unique<httplib::Server>();
    server->Post("/configure", [this](const httplib::Request& q, httplib::Response& r) { configure(q, r); });
    server->Get("/metrics", [](const httplib::Request&, httplib::Response& r) { r.set_content("", "text/plain"); });
    // The hook reconfigures many computes at once; httplib's own backlog of 5 would drop some.
    if (port == 0) {
      port = cli::hook::bind_http_server(*server, "127.0.0.1", 0);
    } else {
      // The same port again after set_down(false); SO_REUSEPORT lets it rebind at once.
      for (int i = 0; i < 100 && cli::hook::bind_http_server(*server, "127.0.0.1", port) < 0; ++i) {
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

FakeComputeCtl::FakeComputeCtl(std::string compute_id) : m_state(std::make_unique<State>()) {
  m_state->compute_id = std::move(compute_id);
  m_state->start();
}

FakeComputeCtl::~FakeComputeCtl() { m_state->halt(); }

int FakeComputeCtl::port() const { return m_state->port; }

std::string FakeComputeCtl::address() const { return "127.0.0.1:" + std::to_string(m_state->port); }

void FakeComputeCtl::trust(const Json& jwks) {
  std::lock_guard<std::mutex> lock(m_state->mu);
  m_state->trusted = jwks;
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

int FakeComputeCtl::requests() const {
  std::lock_guard<std::mutex> lock(m_state->mu);
  return m_state->requests;
}

}  // namespace neon::test
