// generate_tree for 200 projects x 5 branches, written to a temporary folder with write_tree: wall
// time and peak RSS of this process, then `kubectl kustomize` on the same folder (a child process:
// wall time and peak RSS from RUSAGE_CHILDREN), with the time ratio.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "plugin/gitops/tree_writer.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/big_spec.hpp"
#include "tests/support/run.hpp"

using neon::bench::peak_mib;
using neon::bench::seconds_since;

namespace {

constexpr int k_projects = 200;
constexpr int k_branches = 5;

}  // namespace

int main() {
  auto loaded = neon::gen::load_spec(neon::test::big_spec(k_projects, k_branches), "bench.yaml");
  if (!loaded.spec) {
    for (const auto& d : loaded.diagnostics) {
      fmt::print(stderr, "{}\n", d.message);
    }
    return 1;
  }
  const auto& spec = *loaded.spec;
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("neon-bench-generate-{}", ::getpid());
  std::filesystem::remove_all(dir);

  const auto start = std::chrono::steady_clock::now();
  const auto tree = neon::gen::generate_tree(spec);
  auto written = neon::cli::write_tree(tree, dir, neon::cli::tree_scope(spec));
  const double ours_s = seconds_since(start);
  const double ours_mib = peak_mib(RUSAGE_SELF);
  if (!written) {
    fmt::print(stderr, "write_tree failed: {}\n", written.error().message);
    return 1;
  }
  std::size_t bytes = 0;
  for (const auto& [path, data] : tree) {
    bytes += data.size();
  }
  fmt::print(
      "generate_tree + write_tree: {} projects x {} branches, {} files, {} bytes: {:.3f} s wall, peak RSS "
      "{:.1f} MiB\n",
      k_projects, k_branches, tree.size(), bytes, ours_s, ours_mib);

  if (!neon::test::have_program("kubectl")) {
    fmt::print("kubectl: not installed, no comparison\n");
    std::filesystem::remove_all(dir);
    return 0;
  }
  const auto kstart = std::chrono::steady_clock::now();
  const auto built = neon::test::run_process({"kubectl", "kustomize", neon::gen::cluster_path(spec)}, dir);
  const double kustomize_s = seconds_since(kstart);
  const double kustomize_mib = peak_mib(RUSAGE_CHILDREN);
  std::filesystem::remove_all(dir);
  if (built.exit != 0) {
    fmt::print(stderr, "kubectl kustomize failed ({}): {}\n", built.exit, built.err);
    return 1;
  }
  fmt::print("kubectl kustomize: {} bytes of output: {:.3f} s wall, peak RSS {:.1f} MiB\n", built.out.size(),
             kustomize_s, kustomize_mib);
  fmt::print("ratio (ours / kustomize): time {:.2f}x, peak RSS {:.2f}x (goal: time <= 0.5x)\n", ours_s / kustomize_s,
             ours_mib / kustomize_mib);
  return 0;
}
