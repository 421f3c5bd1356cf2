// `kubectl neon rollout pageservers` over 3 pageservers and 1,000 tenants (one secondary each)
// against the fake storage controller and the fake Kubernetes API (tests/support/rollout_rig.hpp):
// wall time, and the requests made to each, by kind. The fake moves 50 shards per read of a
// draining or filling node (the real controller runs its moves concurrently); a restarted pod is
// terminating for one pod list and not Ready for one more, and its node warms up for two reads.
// The run uses the default --interval (2s), so the time is mostly the waits' pauses.
#include <chrono>
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "tests/bench/bench_util.hpp"
#include "tests/support/rollout_rig.hpp"

using neon::bench::seconds_since;

namespace {

constexpr int k_pageservers = 3;
constexpr int k_tenants = 1000;

/// "GET /control/v1/node/10" -> "GET /control/v1/node/ID", "GET /control/v1/tenant?limit=...": one key per route.
std::string route_of(const std::string& method, std::string path) {
  path = path.substr(0, path.find('?'));
  std::string out;
  std::size_t at = 0;
  while (at < path.size()) {
    const auto slash = path.find('/', at + 1);
    std::string part = path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    if (part.size() > 1 && part.find_first_not_of("/0123456789") == std::string::npos) {
      part = "/ID";
    }
    out += part;
    at = slash == std::string::npos ? path.size() : slash;
  }
  return method + " " + out;
}

}  // namespace

int main() {
  neon::test::Rig rig("bench-rollout", k_pageservers, 0, k_tenants, 1);
  if (!rig.error.empty()) {
    fmt::print(stderr, "bench_rollout: {}\n", rig.error);
    return 1;
  }
  rig.storcon.set_moves_per_read(50);
  rig.new_image();
  rig.storcon.clear_requests();
  const auto kube_before = rig.kube.requests().size();

  const auto start = std::chrono::steady_clock::now();
  auto r = neon::test::run_cli({"rollout", "pageservers", "--storage-controller", rig.storcon.url()}, "", rig.env);
  const double wall = seconds_since(start);
  if (r.exit != 0) {
    fmt::print(stderr, "rollout failed ({}):\n{}{}\n", r.exit, r.out, r.err);
    return 1;
  }
  std::map<std::string, int> storcon_routes;
  for (const auto& req : rig.storcon.requests()) {
    ++storcon_routes[route_of(req.method, req.path)];
  }
  std::map<std::string, int> kube_routes;
  const auto kube_requests = rig.kube.requests();
  for (std::size_t i = kube_before; i < kube_requests.size(); ++i) {
    ++kube_routes[route_of(kube_requests[i].method, kube_requests[i].target)];
  }
  fmt::print("rollout pageservers: {} pageservers x {} tenants (1 secondary each): {:.1f} s wall\n", k_pageservers,
             k_tenants, wall);
  int storcon_total = 0;
  for (const auto& [route, n] : storcon_routes) {
    storcon_total += n;
  }
  fmt::print("  storage controller: {} requests\n", storcon_total);
  for (const auto& [route, n] : storcon_routes) {
    fmt::print("    {:5}  {}\n", n, route);
  }
  fmt::print("  Kubernetes API: {} requests\n", kube_requests.size() - kube_before);
  for (const auto& [route, n] : kube_routes) {
    fmt::print("    {:5}  {}\n", n, route);
  }
  std::fflush(stdout);
  return 0;
}
