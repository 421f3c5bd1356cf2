// `kubectl neon sync` of 1,000 projects x 5 branches (tests/support/big_spec.hpp) against a fake
// storage controller that already has every tenant and timeline: no drift. Prints the wall time of
// the plugin (a child process, median of several runs) and the requests it made, by route; then
// the first sync into an empty controller, which creates everything.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "generators/validate.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/big_spec.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

using neon::bench::seconds_since;

namespace {

constexpr int k_projects = 1000;
constexpr int k_branches = 5;
constexpr int k_runs = 3;

std::map<std::string, int> routes(const neon::test::FakeStorcon& fake) {
  std::map<std::string, int> out;
  for (const auto& r : fake.requests()) {
    std::string path = r.path.substr(0, r.path.find('?'));
    if (path.rfind("/v1/tenant/", 0) == 0) {
      path = "/v1/tenant/ID" + path.substr(std::min(path.size(), path.find('/', 11)));
    }
    ++out[r.method + " " + path];
  }
  return out;
}

int total(const std::map<std::string, int>& m) {
  int n = 0;
  for (const auto& [k, v] : m) {
    n += v;
  }
  return n;
}

}  // namespace

int main() {
  neon::test::ScratchDir dir("bench-sync");
  const auto spec = dir / "neon.yaml";
  const std::string text = neon::test::big_spec(k_projects, k_branches);
  neon::test::write_text(spec, text);
  neon::test::FakeStorcon fake;
  for (std::uint64_t n = 1; n <= 6; ++n) {
    fake.add_node(n, "a");
  }
  const std::vector<std::string> argv = {NEON_BINARY, "sync", "-f", spec.string(), "--storage-controller", fake.url()};

  auto start = std::chrono::steady_clock::now();
  auto first = neon::test::run_process(argv);
  const double create_s = seconds_since(start);
  const auto created = routes(fake);
  if (first.exit != 0) {
    fmt::print(stderr, "first sync failed ({}): {}\n", first.exit, first.err.substr(0, 2000));
    return 1;
  }
  fmt::print("sync into an empty controller: {} projects x {} branches created in {:.2f} s wall, {} requests\n",
             k_projects, k_branches, create_s, total(created));

  std::vector<double> runs;
  for (int i = 0; i < k_runs; ++i) {
    fake.clear_requests();
    start = std::chrono::steady_clock::now();
    auto r = neon::test::run_process(argv);
    runs.push_back(seconds_since(start));
    if (r.exit != 0) {
      fmt::print(stderr, "sync found drift ({}): {}\n", r.exit, r.out.substr(0, 2000));
      return 1;
    }
  }
  std::sort(runs.begin(), runs.end());
  const auto seen = routes(fake);
  fmt::print("sync with no drift: {} tenants x {} timelines: median {:.2f} s wall (min {:.2f}, {} runs), {} requests\n",
             k_projects, k_branches, runs[runs.size() / 2], runs.front(), k_runs, total(seen));
  for (const auto& [route, n] : seen) {
    fmt::print("    {:5}  {}\n", n, route);
  }
  std::fflush(stdout);
  return 0;
}
