// kubectl neon hook serve: the compute hook service (plugin/hook/hook_server.hpp).
#include <pthread.h>
#include <csignal>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/spec_parse.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/adapters/http.hpp"
#include "plugin/adapters/text.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/hook/hook_server.hpp"

namespace neon::cli {

namespace {

constexpr std::size_t k_max_computes_file = 16 * 1024 * 1024;
constexpr std::size_t k_max_small_file = 64 * 1024;

/// What `hook serve` says when the signing key is missing or unreadable.
std::string signing_key_help(const std::string& problem) {
  return problem +
         "\nThe compute hook needs a stable signing key: compute_ctl fixes the keys it accepts when it starts, so a "
         "key made at each start would leave running computes refusing the hook (401). Mount key private.pem of the "
         "Secret named by spec.storageController.auth.computeSigningSecret (default neon-compute-hook-key; "
         "`kubectl neon secrets init` creates it) and point NEON_HOOK_SIGNING_KEY_FILE at it.";
}

/// What `hook serve` says when the compute token key is missing or unreadable.
std::string hook_tokens_help(const std::string& problem) {
  return problem +
         "\nThe compute hook takes notifications only with the storage controller's token and a compute's spec "
         "request only with that compute's own token, derived from a key: mount keys control-plane and "
         "compute-token-key of the Secret named by spec.storageController.auth.hookTokenSecret (default "
         "neon-compute-hook-tokens; `kubectl neon secrets init` creates it) and point NEON_HOOK_EXPECTED_TOKEN_FILE "
         "and NEON_HOOK_COMPUTE_TOKEN_KEY_FILE at them.";
}

/// The contents of the file named by environment variable `name`; nullopt when it is unset or empty.
std::optional<Result<std::string>> env_file(Context& ctx, const char* name) {
  auto path = ctx.getenv(name);
  if (!path || path->empty()) {
    return std::nullopt;
  }
  auto text = read_file(*path, k_max_small_file);
  if (!text) {
    return Result<std::string>(make_error(fmt::format("{}: {}", name, text.error().message)));
  }
  return Result<std::string>(std::move(*text));
}

/// Serves until SIGINT or SIGTERM. The signals are taken by a waiting thread (sigwait), so no
/// handler touches shared state.
void serve_until_signalled(hook::HookServer& server) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &set, &previous);
  std::thread waiter([&server, set] {
    int sig = 0;
    sigwait(&set, &sig);
    server.stop();
  });
  server.run();
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

OptionSet hook_serve_options(const Context& ctx) {
  auto opts = make_options(ctx, "hook serve",
                           "Run the compute hook: the storage controller's --control-plane-url and compute_ctl's\n"
                           "--control-plane-uri, which also creates each compute's tenant and timelines. Environment:\n"
                           "NEON_HOOK_SIGNING_KEY_FILE (Ed25519 private key for compute_ctl tokens; required),\n"
                           "NEON_HOOK_STORAGE_SIGNING_KEY_FILE (storage auth private key: specs carry tenant tokens,\n"
                           "and the hook's calls to the controller carry scoped tokens that expire, minted from it),\n"
                           "NEON_HOOK_COMPUTE_TOKEN_KEY_FILE (key of the computes' spec tokens; required),\n"
                           "NEON_HOOK_EXPECTED_TOKEN_FILE (the storage controller's token on /notify-*; required),\n"
                           "NEON_HOOK_PROXY_TOKEN_FILE (Neon's proxy's control-plane token: serves it /cplane/*).");
  opts.add_options()("listen", "Address to listen on: HOST:PORT, [IPV6]:PORT or :PORT (every address family)",
                     cxxopts::value<std::string>()->default_value(":8080"))(
      "metrics-listen",
      "Also serve GET /healthz and /metrics, and nothing else, in plaintext here (Prometheus and probes while "
      "--listen serves HTTPS)",
      cxxopts::value<std::string>())("computes", "computes.json (the compute-hook-computes ConfigMap)",
                                     cxxopts::value<std::string>())(
      "storage-controller", "Storage controller URL",
      cxxopts::value<std::string>()->default_value("http://storage-controller:1234"))(
      "passwords", "Folder of the mounted role Secrets: file <folder>/<secret> holds the role's password",
      cxxopts::value<std::string>())("tls-cert-file",
                                     "Serve HTTPS with this certificate chain (PEM, e.g. tls.crt of a cert-manager "
                                     "Secret; read again when it changes); needs --tls-key-file",
                                     cxxopts::value<std::string>())(
      "tls-key-file", "Private key (PEM) of --tls-cert-file", cxxopts::value<std::string>())(
      "ca-file", "CA bundle (PEM) that verifies an https:// --storage-controller (default: the system's)",
      cxxopts::value<std::string>()->default_value(""))(
      "scale-computes",
      "Suspend idle computes (compute.suspendAfter) and start them for the proxy, by scaling their Deployments "
      "through the Kubernetes API (in a pod: its ServiceAccount; else --kubeconfig/--context)")(
      "wake-timeout", "How long a compute may take to start before the proxy's client gets an error",
      cxxopts::value<std::string>()->default_value("2m"))("activity-interval",
                                                          "How often suspendable computes' activity is read",
                                                          cxxopts::value<std::string>()->default_value("10s"));
  opts.files({"computes", "tls-cert-file", "tls-key-file", "ca-file"});
  return opts;
}

int hook_serve(Context& ctx, const Args& args) {
  auto opts = hook_serve_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  if (!r->count("computes")) {
    return usage_error(ctx, "hook serve", "--computes is required");
  }
  auto listen = hook::parse_listen((*r)["listen"].as<std::string>());
  if (!listen) {
    return usage_error(ctx, "hook serve", "--listen must be HOST:PORT, [IPV6]:PORT or :PORT");
  }
  if (r->count("tls-cert-file") != r->count("tls-key-file")) {
    return usage_error(ctx, "hook serve", "--tls-cert-file and --tls-key-file go together");
  }
  std::optional<hook::ListenAddress> metrics_listen;
  if (r->count("metrics-listen") != 0) {
    metrics_listen = hook::parse_listen((*r)["metrics-listen"].as<std::string>());
    if (!metrics_listen) {
      return usage_error(ctx, "hook serve", "--metrics-listen must be HOST:PORT, [IPV6]:PORT or :PORT");
    }
  }
  hook::HookOptions options;
  options.log = &ctx.err;
  if (r->count("tls-cert-file") != 0) {
    options.tls_cert_file = (*r)["tls-cert-file"].as<std::string>();
    options.tls_key_file = (*r)["tls-key-file"].as<std::string>();
  }
  if (auto bad = check_ca_file(*r)) {  // the rule of every other --ca-file
    return usage_error(ctx, "hook serve", *bad);
  }
  options.ca_file = (*r)["ca-file"].as<std::string>();
  auto text = read_file((*r)["computes"].as<std::string>(), k_max_computes_file);
  if (!text) {
    return fail(ctx, text.error().message);
  }
  auto computes = hook::parse_computes(*text);
  if (!computes) {
    return fail(ctx, computes.error().message);
  }
  options.computes = std::move(*computes);
  options.storage_controller_url = (*r)["storage-controller"].as<std::string>();
  if (r->count("passwords")) {
    options.passwords_dir = (*r)["passwords"].as<std::string>();
  }
  auto signing = env_file(ctx, "NEON_HOOK_SIGNING_KEY_FILE");
  if (!signing) {
    return fail(ctx, signing_key_help("NEON_HOOK_SIGNING_KEY_FILE is not set."));
  }
  if (!*signing) {
    return fail(ctx, signing_key_help(signing->error().message));
  }
  if (auto key = jwt::public_from_private(**signing); !key) {
    return fail(ctx, signing_key_help("NEON_HOOK_SIGNING_KEY_FILE: " + key.error().message));
  }
  options.signing_key_pem = std::move(**signing);
  if (auto storage = env_file(ctx, "NEON_HOOK_STORAGE_SIGNING_KEY_FILE")) {
    if (!*storage) {
      return fail(ctx, storage->error().message);
    }
    options.storage_signing_key_pem = std::move(**storage);
  }
  auto compute_key = env_file(ctx, "NEON_HOOK_COMPUTE_TOKEN_KEY_FILE");
  if (!compute_key || !*compute_key || trim(**compute_key).empty()) {
    return fail(ctx, hook_tokens_help(!compute_key    ? "NEON_HOOK_COMPUTE_TOKEN_KEY_FILE is not set."
                                      : !*compute_key ? compute_key->error().message
                                                      : "NEON_HOOK_COMPUTE_TOKEN_KEY_FILE: the file is empty"));
  }
  options.compute_token_key = trim(**compute_key);
  // The storage controller's token, in every profile: without it anyone could send notifications.
  auto expected = env_file(ctx, "NEON_HOOK_EXPECTED_TOKEN_FILE");
  if (!expected || !*expected || trim(**expected).empty()) {
    return fail(ctx, hook_tokens_help(!expected    ? "NEON_HOOK_EXPECTED_TOKEN_FILE is not set."
                                      : !*expected ? expected->error().message
                                                   : "NEON_HOOK_EXPECTED_TOKEN_FILE: the file is empty"));
  }
  options.expected_token = trim(**expected);
  if (auto proxy = env_file(ctx, "NEON_HOOK_PROXY_TOKEN_FILE")) {
    if (!*proxy || trim(**proxy).empty()) {
      return fail(ctx,
                  hook_tokens_help(!*proxy ? proxy->error().message : "NEON_HOOK_PROXY_TOKEN_FILE: the file is empty"));
    }
    options.proxy_token = trim(**proxy);
  }
  for (const auto& [flag, field] :
       {std::pair<const char*, std::chrono::milliseconds*>{"wake-timeout", &options.wake_deadline},
        {"activity-interval", &options.activity_poll}}) {
    const auto d = gen::humantime_duration((*r)[flag].as<std::string>());
    if (!d || (d->first == 0 && d->second < 1000000)) {
      return usage_error(ctx, "hook serve", fmt::format("--{} must be a duration such as 30s or 2m", flag));
    }
    *field = std::chrono::milliseconds(d->first * 1000 + d->second / 1000000);
  }
  options.wake_wait = std::min(options.wake_wait, options.wake_deadline);
  if (r->count("scale-computes") != 0) {
    // Resolved at each call: a projected ServiceAccount token is rotated under the running pod.
    const std::string ns = options.computes.namespace_;
    auto client = [&ctx, ns](const std::function<Result<void>(kube::Client&)>& use) -> Result<void> {
      auto api = kube::resolve_api_server(ctx, ns);
      NEON_TRY(api);
      http::CurlTransport transport(api->tls);
      kube::Client kube(*api, transport);
      return use(kube);
    };
    options.get_scale = [client, ns](const std::string& deployment) -> Result<int> {
      int replicas = 0;
      auto done = client([&](kube::Client& kube) -> Result<void> {
        auto got = kube.get_scale(ns, deployment);
        NEON_TRY(got);
        replicas = *got;
        return {};
      });
      NEON_TRY(done);
      return replicas;
    };
    options.set_scale = [client, ns](const std::string& deployment, int replicas) {
      return client([&](kube::Client& kube) { return kube.set_scale(ns, deployment, replicas); });
    };
  }
  const std::size_t compute_count = options.computes.computes.size();
  const bool tls = !options.tls_cert_file.empty();
  http::Global curl;
  auto server = hook::HookServer::create(std::move(options));
  if (!server) {
    return fail(ctx, server.error().message);
  }
  auto port = (*server)->bind(listen->host, listen->port);
  if (!port) {
    return fail(ctx, port.error().message);
  }
  if (metrics_listen) {
    auto bound = (*server)->bind_metrics(metrics_listen->host, metrics_listen->port);
    if (!bound) {
      return fail(ctx, bound.error().message);
    }
    fmt::print(ctx.err, "compute hook serving /healthz and /metrics on :{} (http)\n", *bound);
  }
  fmt::print(ctx.err, "compute hook listening on {} ({}, {} compute{})\n", (*server)->listening_on(),
             tls ? "https" : "http", compute_count, compute_count == 1 ? "" : "s");
  serve_until_signalled(**server);
  return k_exit_ok;
}

}  // namespace

const VerbGroup& hook_verbs() {
  static const VerbGroup k_group{"The compute hook: the control plane the storage controller and compute_ctl call.",
                                 {{"serve", "Run the compute hook service", hook_serve, hook_serve_options}}};
  return k_group;
}

}  // namespace neon::cli
