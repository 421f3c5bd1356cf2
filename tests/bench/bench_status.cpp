// `status -o json` over 10,000 tenants and 100 pageservers served by the fake controller: wall
// time and peak RSS of the plugin (a child process), and the time curl(1) takes to fetch the same
// pages, with the ratio.
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

namespace {

constexpr int k_tenants = 10000;
constexpr int k_pageservers = 100;
constexpr int k_page = 1000;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

  const auto start = std::chrono::steady_clock::now();
  auto res = neon::test::run_process({NEON_BINARY, "status", "-o", "json", "--storage-controller", fake.url()});
  const double plugin_s = seconds_since(start);
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  if (res.exit != 0) {
    fmt::print(stderr, "status failed ({}): {}\n", res.exit, res.err);
    return 1;
  }
  fmt::print("status -o json: {} tenants, {} pageservers: {:.3f} s wall, peak RSS {:.1f} MiB, {} bytes of output\n",
             k_tenants, k_pageservers, plugin_s, static_cast<double>(usage.ru_maxrss) / 1024.0, res.out.size());

  if (!neon::test::have_program("curl")) {
    fmt::print("curl: not installed, no comparison\n");
    return 0;
  }
  std::vector<std::string> argv = {"curl", "-sf", "-o", "/dev/null", fake.url() + "/control/v1/node", "-o",
                                   "/dev/null", fake.url() + "/control/v1/safekeeper"};
  // The same pages the plugin reads: limit=1000 with start_after set to the last id of the page.
  for (int after = 0; after <= k_tenants; after += k_page) {
    std::string url = fmt::format("{}/control/v1/tenant?limit={}", fake.url(), k_page);
    if (after > 0) {
      url += fmt::format("&start_after={:032x}", after);
    }
    argv.insert(argv.end(), {"-o", "/dev/null", url});
  }
  const auto curl_start = std::chrono::steady_clock::now();
  auto curl = neon::test::run_process(argv);
  const double curl_s = seconds_since(curl_start);
  if (curl.exit != 0) {
    fmt::print(stderr, "curl failed ({}): {}\n", curl.exit, curl.err);
    return 1;
  }
  fmt::print("curl, same pages: {:.3f} s wall\nratio plugin/curl: {:.2f}\n", curl_s, plugin_s / curl_s);
  // The same pages with every encoding libcurl supports offered (brotli first for cpp-httplib):
  // what a client asking for compression costs against this server.
  argv.insert(argv.begin() + 1, "--compressed");
  const auto compressed_start = std::chrono::steady_clock::now();
  auto compressed = neon::test::run_process(argv);
  if (compressed.exit == 0) {
    fmt::print("curl --compressed, same pages: {:.3f} s wall\n", seconds_since(compressed_start));
  }
  return 0;
}
