#pragma once
// The compute hook on loopback for the hook tests: a fake storage controller with pageservers 1
// and 2, one fake compute_ctl per ComputeDef, and a real HookServer in a thread.

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/compute_token.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/hook/hook_server.hpp"
#include "tests/support/fake_compute_ctl.hpp"
#include "tests/support/fake_storcon.hpp"

namespace hook_test {

using neon::cli::hook::HookOptions;
using neon::cli::hook::HookServer;
using neon::cli::hook::Json;
using neon::test::FakeComputeCtl;
using neon::test::FakeStorcon;

inline const std::string k_tenant = "1f359dd625e519a1a4e8d7509690f6fc";
inline const std::string k_sharded = "2a359dd625e519a1a4e8d7509690f6fc";
inline const std::string k_lonely = "3b359dd625e519a1a4e8d7509690f6fc";
inline const std::string k_timeline = "de200bd42b49cc1814412c7e592dd6e9";
inline const std::string k_timeline2 = "ee200bd42b49cc1814412c7e592dd6e9";
/// The key the test hooks derive the computes' spec tokens from.
inline const std::string k_compute_token_key = "test-compute-token-key";

/// Compute `id`'s spec token: what its Deployment passes to compute_ctl as NEON_CONTROL_PLANE_TOKEN.
inline std::string compute_token(const std::string& id) {
  return neon::cli::compute_token::derive(k_compute_token_key, id);
}

struct ComputeDef {
  std::string id;
  std::string tenant;
  std::string timeline;
  std::string mode = "primary";
  Json settings = Json::array();
  Json roles = Json::array();  ///< computes.json roles: [{"name", "options", "secret"}]
  Json databases = Json::array();
  std::string project = "";
  std::string branch = "";
  std::string endpoint = "";  ///< behind the proxy; with `deployment`
  std::string deployment = "";
  long suspend_after_seconds = 0;
  int pooler_port = 0;
  int pg_port = 55433;
};

/// A HookServer serving in a thread until it goes out of scope.
class RunningHook {
public:
  RunningHook(HookOptions options, const std::string& host = "127.0.0.1") {
    auto created = HookServer::create(std::move(options));
    REQUIRE_MESSAGE(created, (created ? std::string() : created.error().message));
    server = std::move(*created);
    auto bound = server->bind(host, 0);
    REQUIRE_MESSAGE(bound, (bound ? std::string() : bound.error().message));
    port = *bound;
    thread = std::thread([this] { server->run(); });
  }
  ~RunningHook() {
    server->stop();
    thread.join();
  }
  RunningHook(const RunningHook&) = delete;
  RunningHook& operator=(const RunningHook&) = delete;

  std::string url(const std::string& host = "127.0.0.1") const {
    return fmt::format("http://{}", neon::cli::hook::host_port(host, port));
  }

  std::unique_ptr<HookServer> server;
  int port = 0;
  std::thread thread;
};

inline std::string new_key() {
  auto key = neon::cli::jwt::generate_ed25519();
  REQUIRE(key);
  return key->private_pem;
}

/// Cluster::put's token argument for a request without an Authorization header.
inline const std::string k_no_token = "(no token)";

struct ClusterOptions {
  std::string token = "test-control-plane-token";                        ///< the controller's bearer token on /notify-*
  std::vector<std::string> safekeepers{"safekeeper-0.safekeeper:5454"};  ///< computes.json's
  std::string signing_key_pem;                                           ///< empty: a fresh key
  std::optional<std::string> storage_key_pem;                            ///< the storage auth private key
  std::chrono::milliseconds spec_wait = neon::cli::hook::k_spec_wait;
  int max_waiting_specs = 0;
  std::string hook_host = "127.0.0.1";
  std::string compute_host = "127.0.0.1";
  bool computes_trust_hook = true;  ///< computes start with the hook's JWKS
  std::ostream* log = nullptr;      ///< the hook's log
  int configure_workers = neon::cli::hook::k_default_configure_workers;
  std::chrono::milliseconds request_deadline = neon::cli::hook::k_request_deadline;
  std::string passwords_dir;  ///< the mounted role Secrets
  std::chrono::milliseconds password_poll{10000};
  std::string tls_cert_file, tls_key_file;  ///< the hook serves HTTPS with these
  std::chrono::milliseconds tls_reload{60000};
  std::string proxy_token;  ///< set: the hook serves /cplane for Neon's proxy
  std::function<neon::Result<int>(const std::string&)> get_scale;
  std::function<neon::Result<void>(const std::string&, int)> set_scale;
  std::function<neon::cli::hook::Clock::time_point()> clock;
  std::chrono::milliseconds activity_poll{10000};
  std::chrono::milliseconds wake_wait = neon::cli::hook::k_wake_wait;
  std::chrono::milliseconds wake_deadline = neon::cli::hook::k_wake_deadline;
};

/// The computes.json entries the hook reads for `defs` served by `computes`.
inline HookOptions hook_options(const std::vector<ComputeDef>& defs,
                                const std::vector<std::unique_ptr<FakeComputeCtl>>& computes,
                                const std::string& controller_url,
                                const std::vector<std::string>& safekeepers = {"safekeeper-0.safekeeper:5454"}) {
  Json list = Json::array();
  for (std::size_t i = 0; i < defs.size(); ++i) {
    const ComputeDef& d = defs[i];
    list.push_back(Json{{"compute_id", d.id},
                        {"tenant_id", d.tenant},
                        {"timeline_id", d.timeline},
                        {"pg_version", 17},
                        {"mode", d.mode},
                        {"address", computes[i]->address()},
                        {"settings", d.settings},
                        {"roles", d.roles},
                        {"databases", d.databases},
                        {"pg_port", d.pg_port}});
    if (!d.project.empty()) {
      list.back()["project"] = d.project;
      list.back()["branch"] = d.branch;
    }
    if (!d.endpoint.empty()) {
      list.back()["endpoint"] = d.endpoint;
      list.back()["deployment"] = d.deployment;
    }
    if (d.suspend_after_seconds > 0) {
      list.back()["suspend_after_seconds"] = d.suspend_after_seconds;
    }
    if (d.pooler_port > 0) {
      list.back()["pooler_port"] = d.pooler_port;
    }
  }
  HookOptions options;
  auto parsed = neon::cli::hook::parse_computes(Json{{"safekeepers", safekeepers}, {"computes", list}}.dump());
  REQUIRE(parsed);
  options.computes = *parsed;
  options.storage_controller_url = controller_url;
  options.compute_token_key = k_compute_token_key;
  options.expected_token = "test-control-plane-token";
  return options;
}

class Cluster {
public:
  explicit Cluster(const std::vector<ComputeDef>& defs, ClusterOptions o = {}) {
    storcon.add_node(1, "az-a");
    storcon.add_node(2, "az-a");
    for (const ComputeDef& d : defs) {
      computes.push_back(std::make_unique<FakeComputeCtl>(d.id, o.compute_host));
    }
    HookOptions options = hook_options(defs, computes, storcon.url(), o.safekeepers);
    options.expected_token = o.token;
    options.signing_key_pem = o.signing_key_pem.empty() ? new_key() : o.signing_key_pem;
    options.storage_signing_key_pem = o.storage_key_pem;
    options.spec_wait = o.spec_wait;
    options.max_waiting_specs = o.max_waiting_specs;
    options.log = o.log;
    options.configure_workers = o.configure_workers;
    options.request_deadline = o.request_deadline;
    options.passwords_dir = o.passwords_dir;
    options.password_poll = o.password_poll;
    options.tls_cert_file = o.tls_cert_file;
    options.tls_key_file = o.tls_key_file;
    options.tls_reload = o.tls_reload;
    options.proxy_token = o.proxy_token;
    options.get_scale = o.get_scale;
    options.set_scale = o.set_scale;
    options.clock = o.clock;
    options.activity_poll = o.activity_poll;
    options.wake_wait = o.wake_wait;
    options.wake_deadline = o.wake_deadline;
    hook = std::make_unique<RunningHook>(std::move(options), o.hook_host);
    port = hook->port;
    if (o.computes_trust_hook) {
      for (auto& c : computes) {
        REQUIRE(c->trust(hook->server->jwks()));
      }
    }
    storcon.set_control_plane(hook->url(o.hook_host == "::1" ? "::1" : "127.0.0.1") + "/", o.token);
    token = o.token;
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(20);
    return c;
  }
  /// PUT with the controller's token (`bearer` empty), another one, or none (k_no_token).
  int put(const std::string& path, const std::string& body, const std::string& bearer = "",
          std::string* reply = nullptr) const {
    httplib::Headers headers;
    if (bearer != k_no_token) {
      headers.emplace("Authorization", "Bearer " + (bearer.empty() ? token : bearer));
    }
    auto res = client().Put(path.c_str(), headers, body, "application/json");
    if (res && reply != nullptr) {
      *reply = res->body;
    }
    return res ? res->status : -1;
  }
  const Json& jwks() const { return hook->server->jwks(); }
  /// GET compute `id`'s spec as compute_ctl does, with `bearer` (default: that compute's own token).
  httplib::Result get_spec(const std::string& id, std::optional<std::string> bearer = std::nullopt) const {
    httplib::Headers headers{{"Authorization", "Bearer " + bearer.value_or(compute_token(id))}};
    return client().Get(("/compute/api/v2/computes/" + id + "/spec").c_str(), headers);
  }

  FakeStorcon storcon;
  std::vector<std::unique_ptr<FakeComputeCtl>> computes;
  std::unique_ptr<RunningHook> hook;
  int port = 0;
  std::string token;  ///< the controller's
};

inline std::string attach_body(const std::string& tenant, std::uint64_t node) {
  return Json{{"tenant_id", tenant},
              {"preferred_az", nullptr},
              {"stripe_size", nullptr},
              {"shards", {Json{{"node_id", node}, {"shard_number", 0}}}}}
      .dump();
}

/// The value of one sample of the hook's /metrics, e.g. `neon_hook_notifications_received_total{kind="attach"}`.
inline long metric(const Cluster& cluster, const std::string& sample) {
  auto res = cluster.client().Get("/metrics");
  REQUIRE(res);
  const std::string line = "\n" + sample + " ";
  const auto at = res->body.find(line);
  REQUIRE(at != std::string::npos);
  return std::stol(res->body.substr(at + line.size()));
}

/// PUT as the storage controller's HTTP client does (libcurl here, no Expect: 100-continue), with
/// the controller's token: the status, or -1 without an answer.
inline long put_with_curl(const Cluster& cluster, const std::string& path, const std::string& body) {
  neon::cli::http::CurlTransport transport;
  neon::cli::http::Request req;
  req.method = "PUT";
  req.url = cluster.hook->url() + path;
  req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + cluster.token}};
  req.body = body;
  auto out = transport.send(req);
  return out.response ? out.response->status : -1;
}

inline std::string url_of(std::uint64_t node) {
  return fmt::format("postgres://no_user@pageserver-{}.pageserver:6400", node);
}

}  // namespace hook_test
