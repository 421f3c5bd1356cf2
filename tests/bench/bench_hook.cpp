// Compute hook throughput: 1,000 notify-attach calls over 1,000 tenants (the fake storage
// controller's bodies) from 32 concurrent clients, each on a fresh connection and reconfiguring
// one compute behind 16 fake compute_ctl servers. Prints throughput, latency percentiles, the
// answers by status or client error, and the hook's log lines for failed notifications.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/hook/hook_server.hpp"
#include "tests/support/fake_compute_ctl.hpp"
#include "tests/support/fake_storcon.hpp"

namespace {

constexpr int k_tenants = 1000;
constexpr int k_clients = 32;
constexpr int k_servers = 16;

/// TcpExtListenOverflows from /proc/net/netstat: SYNs dropped because an accept queue was full.
/// The counter is per network namespace, so other processes on the host may add to it.
long listen_overflows() {
  std::ifstream in("/proc/net/netstat");
  std::string names;
  std::string values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (names.rfind("TcpExt:", 0) != 0) {
      continue;
    }
    std::istringstream n(names);
    std::istringstream v(values);
    std::string name;
    std::string value;
    while (n >> name && v >> value) {
      if (name == "ListenOverflows") {
        return std::stol(value);
      }
    }
  }
  return -1;
}

/// PUTs the controller's notify-attach body like the storage controller does, on a connection of
/// its own; returns the HTTP status or the client-side error.
std::string notify_attach(const neon::test::FakeStorcon& storcon, int port, const std::string& tenant) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(10);
  client.set_read_timeout(10);
  const httplib::Headers headers{{"Authorization", "Bearer bench-control-plane-token"}};
  auto res = client.Put("/notify-attach", headers, storcon.notify_attach_body(tenant).dump(), "application/json");
  return res ? std::to_string(res->status) : httplib::to_string(res.error());
}

/// Keeps the hook's log lines for notifications that failed.
class FailureLog : public std::stringbuf {
public:
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    std::istringstream in(str());
    for (std::string line; std::getline(in, line);) {
      const std::string ok = ": applied";
      if (line.size() < ok.size() || line.compare(line.size() - ok.size(), ok.size(), ok) != 0) {
        out.push_back(line);
      }
    }
    return out;
  }
};

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
  options.compute_token_key = "bench-compute-token-key";
  options.expected_token = "bench-control-plane-token";
  FailureLog log_buf;
  std::ostream log(&log_buf);
  options.log = &log;
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

  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::mutex status_mutex;
  std::map<std::string, int> statuses;
  const long overflows_before = listen_overflows();
  std::vector<std::vector<double>> latencies(k_clients);
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < k_clients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = next++; i < k_tenants; i = next++) {
        const auto t0 = Clock::now();
        const std::string status = notify_attach(storcon, *port, tenants[static_cast<std::size_t>(i)]);
        if (status != "200") {
          ++failures;
        }
        {
          std::lock_guard<std::mutex> lock(status_mutex);
          statuses[status]++;
        }
        latencies[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const long overflows = listen_overflows() - overflows_before;
  (*hook)->stop();
  serving.join();

  std::vector<double> all;
  for (const auto& l : latencies) {
    all.insert(all.end(), l.begin(), l.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1, static_cast<std::size_t>(p * static_cast<double>(all.size())))];
  };
  std::size_t applied = 0;
  for (const auto& s : servers) {
    applied += s->specs().size();
  }
  fmt::print(
      "bench_hook: {} notify-attach over {} tenants, {} clients: {:.1f} notifications/s, "
      "p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms; {} failed, {} specs applied\n",
      all.size(), k_tenants, k_clients, static_cast<double>(all.size()) / seconds, pct(0.50), pct(0.99),
      all.empty() ? 0.0 : all.back(), failures.load(), applied);
  std::string by_status;
  for (const auto& [status, count] : statuses) {
    by_status += fmt::format(" {} x {};", count, status);
  }
  fmt::print("bench_hook: answers:{} listen queue overflows on the host during the run: {}\n", by_status, overflows);
  const auto failed_lines = log_buf.lines();
  for (std::size_t i = 0; i < failed_lines.size() && i < 20; ++i) {
    fmt::print("bench_hook: hook log: {}\n", failed_lines[i]);
  }
  return failures.load() == 0 && applied == static_cast<std::size_t>(k_tenants) ? 0 : 1;
}
