// `status -o json` over 10,000 tenants and 100 pageservers served by the fake controller: wall
// time and peak RSS of the plugin (a child process), and the time curl(1) takes to fetch the same
// pages, with the ratio of the medians of several runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "tests/bench/bench_util.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

using neon::bench::peak_mib;
using neon::bench::seconds_since;

namespace {

constexpr int k_tenants = 10000;
constexpr int k_pageservers = 100;
constexpr int k_page = 1000;
constexpr int k_runs = 5;
namespace fs = std::filesystem;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  neon::test::FakeStorcon fake;
  for (int i = 1; i <= k_pageservers; ++i) {
    fake.add_node(static_cast<std::uint64_t>(i), fmt::format("az-{}", i % 3));
  }
  fake.add_safekeeper(1, "az-0");
  for (int i = 1; i <= k_tenants; ++i) {
    fake.add_tenant(fmt::format("{:032x}", i), 1, 1);
  }

  // Several runs each, medians compared: one run on a busy 2-core machine swings by a third.
  std::vector<double> plugin_runs;
  std::string out;
  for (int run = 0; run < k_runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    auto res = neon::test::run_process({NEON_BINARY, "status", "-o", "json", "--storage-controller", fake.url()});
    plugin_runs.push_back(seconds_since(start));
    if (res.exit != 0) {
      fmt::print(stderr, "status failed ({}): {}\n", res.exit, res.err);
      return 1;
    }
    out = std::move(res.out);
  }
  const double plugin_s = median(plugin_runs);
  fmt::print(
      "status -o json: {} tenants, {} pageservers: median {:.3f} s wall (min {:.3f}, {} runs), {} bytes of "
      "output\n",
      k_tenants, k_pageservers, plugin_s, *std::min_element(plugin_runs.begin(), plugin_runs.end()), k_runs,
      out.size());
  // Peak memory from time(1): a child started with posix_spawn shares this process's memory
  // until exec, so its own rusage would report this (large) process's peak instead.
  if (neon::test::have_program("time") || fs::exists("/usr/bin/time")) {
    auto timed = neon::test::run_process(
        {"/usr/bin/time", "-f", "%M", NEON_BINARY, "status", "-o", "json", "--storage-controller", fake.url()});
    const auto last = timed.err.find_last_not_of('\n');
    const auto line = timed.err.rfind('\n', last);
    const std::string kib = timed.err.substr(line == std::string::npos ? 0 : line + 1);
    fmt::print("status -o json: peak RSS {:.1f} MiB (time -f %M)\n", std::stod(kib) / 1024.0);
  } else {
    fmt::print("status -o json: peak RSS not measured (/usr/bin/time is not installed)\n");
  }

  if (!neon::test::have_program("curl")) {
    fmt::print("curl: not installed, no comparison\n");
    return 0;
  }
  std::vector<std::string> argv = {"curl",
                                   "-sf",
                                   "-o",
                                   "/dev/null",
                                   fake.url() + "/control/v1/node",
                                   "-o",
                                   "/dev/null",
                                   fake.url() + "/control/v1/safekeeper"};
  // The same pages the plugin reads: limit=1000 with start_after set to the last id of the page.
  for (int after = 0; after <= k_tenants; after += k_page) {
    std::string url = fmt::format("{}/control/v1/tenant?limit={}", fake.url(), k_page);
    if (after > 0) {
      url += fmt::format("&start_after={:032x}", after);
    }
    argv.insert(argv.end(), {"-o", "/dev/null", url});
  }
  std::vector<double> curl_runs;
  for (int run = 0; run < k_runs; ++run) {
    const auto curl_start = std::chrono::steady_clock::now();
    auto curl = neon::test::run_process(argv);
    curl_runs.push_back(seconds_since(curl_start));
    if (curl.exit != 0) {
      fmt::print(stderr, "curl failed ({}): {}\n", curl.exit, curl.err);
      return 1;
    }
  }
  const double curl_s = median(curl_runs);
  fmt::print("curl, same pages: median {:.3f} s wall (min {:.3f})\nratio plugin/curl (medians): {:.2f}\n", curl_s,
             *std::min_element(curl_runs.begin(), curl_runs.end()), plugin_s / curl_s);
  // The same pages with every encoding libcurl supports offered (brotli first for cpp-httplib):
  // what a client asking for compression costs against this server.
  argv.insert(argv.begin() + 1, "--compressed");
  const auto compressed_start = std::chrono::steady_clock::now();
  auto compressed = neon::test::run_process(argv);
  if (compressed.exit == 0) {
    fmt::print("curl --compressed, same pages (one run): {:.3f} s wall\n", seconds_since(compressed_start));
  }
  return 0;
}
