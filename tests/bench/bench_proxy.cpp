// The hook as Neon's proxy's control plane (issue 16):
// 1. Wake-up latency the hook adds: 200 wake_compute calls for a compute scaled to zero. The fake
//    Kubernetes API receives the scale to 1; the fake compute_ctl then takes k_start_ms to come up
//    (its own start time, measured from the scale to `running`). Added = the call's latency minus
//    that start time. Goal: p99 at most 100 ms.
// 2. get_endpoint_access_control throughput: clients on kept-alive connections asking for a role's
//    SCRAM secret for 5 s. Goal: at least 2,000 requests/s on 2 cores.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/hook/hook_server.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/fake_compute_ctl.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int k_wakes = 200;
constexpr int k_start_ms = 50;
constexpr int k_clients = 8;
constexpr auto k_throughput_for = std::chrono::seconds(5);
const std::string k_tenant = "1f359dd625e519a1a4e8d7509690f6fc";
const std::string k_timeline = "de200bd42b49cc1814412c7e592dd6e9";
const std::string k_proxy_token = "bench-proxy-token";

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main() {
  neon::cli::http::Global curl;
  neon::test::ScratchDir dir("bench-proxy");
  neon::test::TestPki pki(dir.path());
  if (!pki.ok) {
    std::fprintf(stderr, "openssl: %s\n", pki.error.c_str());
    return 1;
  }
  neon::test::FakeKubeApi kube(pki, neon::test::FakeKubeOptions{"kube-token", false, ""});
  kube.workloads().add_deployment("neon", "compute-app-main", {{"app.kubernetes.io/component", "compute"}}, 0, 0, 0);
  neon::test::FakeStorcon storcon;
  storcon.add_node(1, "az-a");
  storcon.add_tenant(k_tenant);
  neon::test::FakeComputeCtl compute("app-main");
  neon::test::write_text(dir / "app-main-app", "bench password");

  Json entry{{"compute_id", "app-main"},
             {"project", "app"},
             {"branch", "main"},
             {"tenant_id", k_tenant},
             {"timeline_id", k_timeline},
             {"address", compute.address()},
             {"pg_port", 55433},
             {"endpoint", "app"},
             {"deployment", "compute-app-main"},
             {"suspend_after_seconds", 300},
             {"roles", Json::array({Json{{"name", "app"}, {"options", nullptr}, {"secret", "app-main-app"}}})}};
  auto computes = neon::cli::hook::parse_computes(Json{{"computes", Json::array({entry})}}.dump());
  if (!computes) {
    std::fprintf(stderr, "%s\n", computes.error().message.c_str());
    return 1;
  }
  neon::cli::kube::ApiServer api;
  api.server = kube.url();
  api.tls.ca_file = pki.ca_crt.string();
  api.headers = {{"Authorization", "Bearer kube-token"}};
  neon::cli::hook::HookOptions o;
  o.computes = *computes;
  o.storage_controller_url = storcon.url();
  o.signing_key_pem = neon::cli::jwt::generate_ed25519()->private_pem;
  o.compute_token_key = "bench-compute-token-key";
  o.expected_token = "bench-control-plane-token";
  o.proxy_token = k_proxy_token;
  o.passwords_dir = dir.path().string();
  o.get_scale = [api](const std::string& d) -> neon::Result<int> {
    neon::cli::http::CurlTransport t(api.tls);
    return neon::cli::kube::Client(api, t).get_scale("neon", d);
  };
  o.set_scale = [api](const std::string& d, int n) -> neon::Result<void> {
    neon::cli::http::CurlTransport t(api.tls);
    return neon::cli::kube::Client(api, t).set_scale("neon", d, n);
  };
  o.activity_poll = std::chrono::hours(1);  // no idle suspend during the bench
  auto server = neon::cli::hook::HookServer::create(std::move(o));
  if (!server) {
    std::fprintf(stderr, "%s\n", server.error().message.c_str());
    return 1;
  }
  const int port = *(*server)->bind("127.0.0.1", 0);
  std::thread serving([&] { (*server)->run(); });
  compute.trust((*server)->jwks());

  // 1. Wake-ups from zero.
  std::mutex mu;
  Clock::time_point scaled_at;
  Clock::time_point running_at;
  std::thread starting;
  kube.workloads().on_scaled([&](const std::string&, const std::string&, int replicas) {
    if (replicas != 1) {
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    scaled_at = Clock::now();
    starting = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(k_start_ms));
      compute.set_down(false);
      std::lock_guard<std::mutex> l(mu);
      running_at = Clock::now();
    });
  });
  neon::cli::http::CurlTransport to_kube(api.tls);
  neon::cli::kube::Client kube_client(api, to_kube);
  httplib::Client proxy("127.0.0.1", port);
  proxy.set_read_timeout(60);
  const httplib::Headers headers{{"Authorization", "Bearer " + k_proxy_token}};
  std::vector<double> added_ms;
  std::vector<double> start_ms;
  int failures = 0;
  for (int i = 0; i < k_wakes; ++i) {
    compute.set_down(true);
    (void)kube_client.set_scale("neon", "compute-app-main", 0);
    const auto t0 = Clock::now();
    auto res = proxy.Get("/cplane/wake_compute?endpointish=app&session_id=b&application_name=bench", headers);
    const auto t1 = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (starting.joinable()) {
        starting.join();
      }
    }
    if (!res || res->status != 200 || Json::parse(res->body)["aux"]["cold_start_info"] != "pool_miss") {
      ++failures;
      continue;
    }
    std::lock_guard<std::mutex> lock(mu);
    const double own = std::chrono::duration<double, std::milli>(running_at - scaled_at).count();
    start_ms.push_back(own);
    added_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count() - own);
  }
  fmt::print("wake from zero: {} wake-ups ({} failed), compute's own start p50 {:.1f} ms\n", added_ms.size(), failures,
             percentile(start_ms, 0.5));
  fmt::print(
      "  latency added by the hook: p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms (goal p99 <= 100 ms)\n",
      percentile(added_ms, 0.5), percentile(added_ms, 0.9), percentile(added_ms, 0.99), percentile(added_ms, 1.0));

  // 2. Role secrets.
  std::atomic<long> done{0};
  std::atomic<long> errors{0};
  std::vector<std::thread> clients;
  const auto until = Clock::now() + k_throughput_for;
  const auto started = Clock::now();
  for (int c = 0; c < k_clients; ++c) {
    clients.emplace_back([&] {
      httplib::Client cl("127.0.0.1", port);
      cl.set_keep_alive(true);
      while (Clock::now() < until) {
        auto r = cl.Get("/cplane/get_endpoint_access_control?endpointish=app&role=app&session_id=b", headers);
        (r && r->status == 200 && r->body.find("SCRAM-SHA-256$4096:") != std::string::npos ? done : errors)++;
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  const double secs = neon::bench::seconds_since(started);
  fmt::print(
      "get_endpoint_access_control: {} clients, {} requests in {:.1f} s = {:.0f} requests/s ({} errors; "
      "goal >= 2000/s)\n",
      k_clients, done.load(), secs, static_cast<double>(done.load()) / secs, errors.load());
  (*server)->stop();
  serving.join();
  return failures == 0 && errors == 0 ? 0 : 1;
}
