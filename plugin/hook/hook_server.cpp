#include "plugin/hook/hook_server.hpp"
#include "plugin/adapters/http_listen.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "plugin/adapters/http.hpp"
#include "plugin/adapters/http_gate.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/hook/hook_auth.hpp"
#include "plugin/hook/hook_bootstrap.hpp"
#include "plugin/hook/hook_configure.hpp"
#include "plugin/hook/hook_metrics.hpp"
#include "plugin/hook/hook_placement.hpp"
#include "plugin/hook/hook_proxy_front.hpp"
#include "plugin/hook/hook_roles.hpp"
#include "plugin/hook/hook_updates.hpp"
#include "plugin/hook/tenant_queues.hpp"

namespace neon::cli::hook {

namespace {

constexpr const char* k_json = "application/json";

using Kind = NotifyKind;

using Outcome = ConfigureResult;

std::string error_body(const std::string& message) { return Json{{"error", message}}.dump(); }

}  // namespace

struct HookServer::Impl {
  HookOptions options;
  std::string public_pem;
  std::string kid;  ///< of the signing key
  Json jwks;
  std::string listening;
  httplib::Server server;                  ///< on 127.0.0.1, behind the gate
  std::unique_ptr<HttpGate> gate;          ///< the public listener
  std::unique_ptr<HttpGate> metrics_gate;  ///< plaintext, /healthz and /metrics only; bound by bind_metrics()
  int backend_port = 0;
  bool metrics_bound = false;
  std::atomic<bool> stopping{false};
  std::atomic<bool> run_active{false};

  TenantQueues<Notification, Outcome> queues;  ///< notifications, in order per tenant

  std::unique_ptr<ControllerTokens> tokens;  ///< the hook's own, scoped and expiring
  std::unique_ptr<PlacementBook> book;
  std::unique_ptr<ComputeBootstrap> bootstraps;

  std::mutex log_mutex;
  HookMetrics metrics;
  std::unique_ptr<PasswordBook> passwords;
  std::unique_ptr<ComputeUpdates> updates;  ///< notifications carried to the computes; the specs
  std::unique_ptr<Ticker> password_ticker;
  std::set<std::string> unsent_passwords;  ///< role Secrets whose change a compute has not taken yet
  std::unique_ptr<ComputePower> power;     ///< wakes and suspends computes behind the proxy
  std::unique_ptr<ProxyFront> proxy;       ///< the /cplane routes; with a proxy token only
  std::unique_ptr<Ticker> idle_ticker;     ///< reads suspendable computes' activity

  void log(const std::string& line) {
    if (options.log != nullptr) {
      std::lock_guard<std::mutex> lock(log_mutex);
      *options.log << line << '\n' << std::flush;
    }
  }

  /// Reads the role Secrets again and sends /configure to every primary whose role passwords
  /// changed (replicas get roles through WAL: compute_tools/src/compute.rs:1009-1010).
  void reload_passwords(bool configure = true) {
    std::vector<std::string> problems;
    auto changed = passwords->refresh(problems);
    changed.insert(changed.end(), unsent_passwords.begin(), unsent_passwords.end());
    unsent_passwords.clear();
    for (const auto& [tenant, targets] : primaries_using(options.computes, configure ? changed : decltype(changed){})) {
      auto placement = book->current(tenant);
      const Outcome o =
          placement ? updates->configure_all(targets, *placement) : Outcome{503, placement.error().message};
      problems.push_back(
          fmt::format("password change, tenant {}: {}", tenant, o.status == 200 ? "applied" : o.message));
      if (o.status != 200) {  // tried again at the next tick
        for (const ComputeEntry* c : targets) {
          std::for_each(c->roles.begin(), c->roles.end(), [&](const auto& r) { unsent_passwords.insert(r["secret"]); });
        }
      }
    }
    std::for_each(problems.begin(), problems.end(), [this](const std::string& line) { log(line); });
  }

  /// 401 without a bearer token, 403 with a different one; nullopt when allowed.
  std::optional<Outcome> authorize(const httplib::Request& req) const {
    if (auto denied = check_bearer(req.get_header_value("Authorization"), options.expected_token)) {
      return Outcome{denied->status, denied->message};
    }
    return std::nullopt;
  }

  void handle_notify(Kind kind, const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    metrics[kind].received++;
    auto finish = [&](const Outcome& o) {
      res.status = o.status;
      res.set_content(o.status == 200 ? std::string("{}") : error_body(o.message), k_json);
      (o.status == 200 ? metrics[kind].applied : metrics[kind].failed)++;
      metrics.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
    if (auto denied = authorize(req)) {
      finish(*denied);
      return;
    }
    Notification notification;
    std::string tenant;
    std::string key;  ///< what a newer notification of the same kind may replace
    if (kind == k_attach) {
      auto n = parse_notify_attach(req.body);
      if (!n) {
        finish(Outcome{400, n.error().message});
        return;
      }
      tenant = key = n->tenant_id;
      notification = std::move(*n);
    } else {
      auto n = parse_notify_safekeepers(req.body);
      if (!n) {
        finish(Outcome{400, n.error().message});
        return;
      }
      tenant = n->tenant_id;
      key = n->tenant_id + "/" + n->timeline_id;
      notification = std::move(*n);
    }
    const std::string summary = fmt::format("notify-{} {}", kind_name(kind), key);
    Outcome o = queues.submit(
        tenant, kind, key, std::move(notification), [this](const Notification& n) { return updates->apply(n); },
        [this, kind] { metrics[kind].superseded++; });
    log(o.status == 200 ? summary + ": applied" : fmt::format("{}: {} {}", summary, o.status, o.message));
    finish(o);
  }

  /// Before any lookup, so an unknown caller learns nothing, not even which computes exist.
  bool compute_denied(const httplib::Request& req, httplib::Response& res, const std::string& id) const {
    auto denied = check_compute_token(req.get_header_value("Authorization"), options.compute_token_key, id);
    if (denied) {
      res.status = denied->status;
      res.set_content(error_body(denied->message), k_json);
    }
    return denied.has_value();
  }

  void handle_bootstrap(const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (!compute_denied(req, res, id)) {
      BootstrapAnswer a = bootstraps->run(id);
      log(fmt::format("bootstrap {}: {}", id, a.status == 200 ? "ready" : a.body.value("error", "")));
      res.status = a.status;
      res.set_content(a.body.dump(), k_json);
    }
  }

  void handle_spec(const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (compute_denied(req, res, id)) {
      return;
    }
    const ComputeEntry* compute = options.computes.compute(id);
    if (compute == nullptr) {
      res.status = 404;
      res.set_content(error_body("unknown compute " + id), k_json);
      return;
    }
    auto placement = book->current(compute->tenant_id);
    if (!placement) {
      placement = book->wait(compute->tenant_id, std::move(placement));
    }
    if (!placement) {
      res.status = 503;
      res.set_content(error_body(placement.error().message), k_json);
      return;
    }
    res.set_content(spec_reply(updates->spec_for(*compute, *placement), jwks).dump(), k_json);
  }

  std::string render_metrics() {
    return metrics.render(queues.waiting(), book->waiting()) + (proxy ? proxy->render_metrics() : std::string());
  }

  /// Scale to zero and the proxy's routes (hook_power.hpp, hook_proxy_front.hpp).
  void start_power() {
    PowerPlant plant = compute_ctl_plant(options.signing_key_pem, kid, options.configure_timeout);
    plant.replicas = options.get_scale;
    plant.scale = options.set_scale;
    plant.now = options.clock ? options.clock : plant.now;
    const bool can_scale = options.get_scale && options.set_scale;
    auto log_line = [this](const std::string& line) { log(line); };
    power = std::make_unique<ComputePower>(
        options.computes, std::move(plant),
        PowerOptions{options.wake_wait, options.wake_deadline, options.wake_poll, can_scale, log_line});
    if (!options.proxy_token.empty()) {
      auto verifier = [this](const std::string& secret) { return passwords->verifier(secret); };
      proxy = std::make_unique<ProxyFront>(options.computes, options.proxy_token, verifier, *power, log_line);
    }
    if (can_scale && std::any_of(options.computes.computes.begin(), options.computes.computes.end(),
                                 [](const ComputeEntry& c) { return c.suspend_after_seconds > 0; })) {
      idle_ticker = std::make_unique<Ticker>(options.activity_poll, [this] { power->check_idle(); });
    }
  }

  void routes() {
    const int threads = options.threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    server.set_payload_max_length(options.max_body);
    server.set_read_timeout(10, 0);
    server.Put("/notify-attach",
               [this](const httplib::Request& q, httplib::Response& r) { handle_notify(k_attach, q, r); });
    server.Put("/notify-safekeepers",
               [this](const httplib::Request& q, httplib::Response& r) { handle_notify(k_safekeepers, q, r); });
    server.Get(R"(/compute/api/v2/computes/([^/]+)/spec)",
               [this](const httplib::Request& q, httplib::Response& r) { handle_spec(q, r); });
    server.Post(R"(/bootstrap/v1/computes/([^/]+))",
                [this](const httplib::Request& q, httplib::Response& r) { handle_bootstrap(q, r); });
    if (proxy) {
      proxy->add_routes(server);
    }
    server.Get("/healthz", [](const httplib::Request&, httplib::Response& r) { r.set_content("ok\n", "text/plain"); });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& r) {
      r.set_content(render_metrics(), "text/plain; version=0.0.4");
    });
    server.set_exception_handler([this](const httplib::Request& q, httplib::Response& r, std::exception_ptr e) {
      log(handler_exception_line(q.method, q.path, e));
      r.status = 500;
      r.set_content(error_body("internal error"), k_json);
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& r) {
      if (r.body.empty()) {
        r.set_content(error_body(r.status == 413 ? "request body too large" : fmt::format("HTTP {}", r.status)),
                      k_json);
      }
    });
  }
};

Result<std::unique_ptr<HookServer>> HookServer::create(HookOptions options) {
  auto impl = std::make_unique<Impl>();
  if (options.compute_token_key.empty()) {
    return make_error("the compute token key is required: it derives each compute's spec token");
  }
  if (options.expected_token.empty()) {
    return make_error("the storage controller's token is required: notifications are accepted with it only");
  }
  // The key's RFC 7638 thumbprint names it in the JWKS and in every token it signs.
  auto hook_public = jwt::public_from_private(options.signing_key_pem);
  auto kid = hook_public ? jwt::key_id(*hook_public) : Result<std::string>(hook_public.error());
  if (!kid) {
    return kid.error();
  }
  impl->kid = *kid;
  auto keys = signing_keys(options.signing_key_pem, impl->kid);
  if (!keys) {
    return keys.error();
  }
  std::tie(impl->public_pem, impl->jwks) = std::move(*keys);
  std::map<std::string, std::string> storage_tokens;  ///< by tenant
  if (options.storage_signing_key_pem) {
    auto tokens = tenant_tokens(options.computes, *options.storage_signing_key_pem);
    if (!tokens) {
      return tokens.error();
    }
    storage_tokens = std::move(*tokens);
  }
  auto tokens = ControllerTokens::create(options.storage_signing_key_pem);
  if (!tokens) {
    return tokens.error();
  }
  impl->tokens = std::make_unique<ControllerTokens>(std::move(*tokens));
  PlacementBook::Options book;
  book.controller_url = options.storage_controller_url;
  book.tokens = impl->tokens.get();
  book.ca_file = options.ca_file;
  book.wait = options.spec_wait;
  book.max_waiting = options.max_waiting_specs > 0 ? options.max_waiting_specs : std::max(1, options.threads / 4);
  impl->book = std::make_unique<PlacementBook>(std::move(book));
  GateOptions gate;
  gate.request_deadline = options.request_deadline;
  gate.max_body = options.max_body;
  gate.relay_threads = options.threads;
  gate.tls_cert_file = options.tls_cert_file;
  gate.tls_key_file = options.tls_key_file;
  gate.tls_reload = options.tls_reload;
  gate.log = [p = impl.get()](const std::string& line) { p->log(line); };
  impl->gate = std::make_unique<HttpGate>(gate);
  if (auto problem = impl->gate->problem()) {
    return make_error(*problem, ErrorKind::invalid);
  }
  gate.tls_cert_file.clear();
  gate.tls_key_file.clear();
  gate.only_get = {"/healthz", "/metrics"};
  impl->metrics_gate = std::make_unique<HttpGate>(gate);
  impl->passwords = std::make_unique<PasswordBook>(options.passwords_dir, options.computes);
  impl->options = std::move(options);
  impl->updates = std::make_unique<ComputeUpdates>(UpdateContext{
      impl->options.computes, *impl->book, *impl->passwords, impl->options.signing_key_pem, impl->kid, impl->jwks,
      impl->options.configure_timeout, std::move(storage_tokens), impl->options.configure_workers});
  ComputeBootstrap::Options bootstrap;
  bootstrap.controller_url = impl->options.storage_controller_url;
  bootstrap.tokens = impl->tokens.get();
  bootstrap.ca_file = impl->options.ca_file;
  impl->bootstraps = std::make_unique<ComputeBootstrap>(impl->options.computes, std::move(bootstrap));
  if (!impl->options.passwords_dir.empty()) {
    impl->reload_passwords(false);  // before the first spec is served: nothing to reconfigure yet
    impl->password_ticker =
        std::make_unique<Ticker>(impl->options.password_poll, [p = impl.get()] { p->reload_passwords(); });
  }
  impl->start_power();
  impl->routes();
  return std::unique_ptr<HookServer>(new HookServer(std::move(impl)));
}

HookServer::HookServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

HookServer::~HookServer() { stop(); }

Result<int> HookServer::bind(const std::string& host, int port) {
  Impl& m = *m_impl;
  if (m.backend_port <= 0) {
    m.backend_port = bind_http_server(m.server, "127.0.0.1", 0);
    if (m.backend_port <= 0) {
      return make_error("cannot listen on 127.0.0.1 for the gate");
    }
  }
  std::vector<std::string> candidates{host};
  if (host.empty()) {
    candidates = {"::", "0.0.0.0"};  // without IPv6 in the kernel the first one fails
  }
  for (const std::string& h : candidates) {
    const int bound = m.gate->bind(h, port);
    if (bound > 0) {
      m.listening = host_port(h, bound);
      return bound;
    }
  }
  const std::string where = host.empty() ? fmt::format(":{}", port) : host_port(host, port);
  return make_error(fmt::format("cannot listen on {}", where));
}

Result<int> HookServer::bind_metrics(const std::string& host, int port) {
  for (const std::string& h :
       host.empty() ? std::vector<std::string>{"::", "0.0.0.0"} : std::vector<std::string>{host}) {
    const int bound = m_impl->metrics_gate->bind(h, port);
    if (bound > 0) {
      m_impl->metrics_bound = true;
      return bound;
    }
  }
  return make_error(
      fmt::format("cannot listen on {}", host.empty() ? fmt::format(":{}", port) : host_port(host, port)));
}

std::string HookServer::listening_on() const { return m_impl->listening; }

void HookServer::run() {
  Impl& m = *m_impl;
  m.run_active = true;
  if (!m.stopping) {
    std::atomic<bool> backend_done{false};
    std::thread backend([&m, &backend_done] {
      m.server.listen_after_bind();
      backend_done = true;
    });
    std::thread metrics;
    if (m.metrics_bound) {
      metrics = std::thread([&m] { m.metrics_gate->run(m.backend_port); });
    }
    m.gate->run(m.backend_port);
    if (metrics.joinable()) {
      m.metrics_gate->stop();
      metrics.join();
    }
    // stop() was called: the server stops once it is accepting (stop() reaches no other).
    while (!backend_done && !m.server.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    m.server.stop();
    backend.join();
  }
  m.run_active = false;
}

void HookServer::stop() {
  m_impl->stopping = true;
  for (auto* ticker : {m_impl->password_ticker.get(), m_impl->idle_ticker.get()}) {
    if (ticker != nullptr) {
      ticker->stop();
    }
  }
  m_impl->book->stop();
  m_impl->power->stop();  // a wake_compute call waiting for its compute returns now
  m_impl->gate->stop();
  m_impl->metrics_gate->stop();
}

const Json& HookServer::jwks() const { return m_impl->jwks; }

}  // namespace neon::cli::hook
