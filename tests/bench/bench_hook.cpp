// Compute hook throughput: 1,000 notify-attach calls over 1,000 tenants, sent by the fake
// storage controller from 32 concurrent clients, each reconfiguring one compute behind 16 fake
// compute_ctl servers. Prints throughput and latency percentiles.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "plugin/hook_server.hpp"
#include "plugin/http.hpp"
#include "plugin/jwt.hpp"
#include "tests/support/fake_compute_ctl.hpp"
#include "tests/support/fake_storcon.hpp"

namespace {

constexpr int k_tenants = 1000;
constexpr int k_clients = 32;
constexpr int k_servers = 16;

}  // namespace

int main() {
  using neon::cli::hook::Json;
  using Clock = std::chrono::steady_clock;
  neon::cli::http::Global curl;
  neon::test::FakeStorcon storcon;
  storcon.add_node(1, "az-a");
  storcon.add_node(2, "az-b");
  std::vector<std::unique_ptr<neon::test::FakeComputeCtl>> servers;
  for (int i = 0; i < k_servers; ++i) {
    servers.push_back(std::make_unique<neon::test::FakeComputeCtl>(""));
  }
  std::vector<std::string> tenants;
  Json computes = Json::array();
  for (int i = 0; i < k_tenants; ++i) {
    tenants.push_back(fmt::format("{:032x}", 0xbe9c0000 + i));
    storcon.add_tenant(tenants.back());
    computes.push_back(Json{{"compute_id", fmt::format("bench-{}", i)},
                            {"tenant_id", tenants.back()},
                            {"timeline_id", fmt::format("{:032x}", 0x7100000 + i)},
                            {"mode", "primary"},
                            {"address", servers[static_cast<std::size_t>(i % k_servers)]->address()},
                            {"settings", Json::array()}});
  }
  neon::cli::hook::HookOptions options;
  auto parsed = neon::cli::hook::parse_computes(Json{{"safekeepers", {"sk-0:5454"}}, {"computes", computes}}.dump());
  auto key = neon::cli::jwt::generate_ed25519();
  if (!parsed || !key) {
    std::fprintf(stderr, "bench_hook: set-up failed\n");
    return 1;
  }
  options.computes = *parsed;
  options.storage_controller_url = storcon.url();
  options.signing_key_pem = key->private_pem;
  auto hook = neon::cli::hook::HookServer::create(std::move(options));
  if (!hook) {
    std::fprintf(stderr, "bench_hook: %s\n", hook.error().message.c_str());
    return 1;
  }
  auto port = (*hook)->bind("127.0.0.1", 0);
  if (!port) {
    return 1;
  }
  std::thread serving([&] { (*hook)->run(); });
  for (auto& s : servers) {
    s->trust((*hook)->jwks());
  }
  storcon.set_control_plane(fmt::format("http://127.0.0.1:{}", *port));

  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> latencies(k_clients);
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < k_clients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = next++; i < k_tenants; i = next++) {
        const auto t0 = Clock::now();
        if (storcon.notify_attach(tenants[static_cast<std::size_t>(i)]) != 200) {
          ++failures;
        }
        latencies[static_cast<std::size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*hook)->stop();
  serving.join();

  std::vector<double> all;
  for (const auto& l : latencies) {
    all.insert(all.end(), l.begin(), l.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<std::size_t>(p * static_cast<double>(all.size())))]; };
  std::size_t applied = 0;
  for (const auto& s : servers) {
    applied += s->specs().size();
  }
  fmt::print("bench_hook: {} notify-attach over {} tenants, {} clients: {:.1f} notifications/s, "
             "p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms; {} failed, {} specs applied\n",
             all.size(), k_tenants, k_clients, static_cast<double>(all.size()) / seconds, pct(0.50), pct(0.99),
             all.empty() ? 0.0 : all.back(), failures.load(), applied);
  return failures.load() == 0 && applied == static_cast<std::size_t>(k_tenants) ? 0 : 1;
}
