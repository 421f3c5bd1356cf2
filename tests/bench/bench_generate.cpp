// generate_tree for 200 projects x 5 branches, written to a temporary folder with write_tree: wall
// time and peak RSS of this process, then `kubectl kustomize` on the same folder (a child process:
// wall time and peak RSS from RUSAGE_CHILDREN), with the time ratio; and kustomize of the tree
// against kustomize of the same objects as one plain file (the floor a tree can reach).
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
  // The floor: the same objects as one plain resource file in a kustomization with no
  // transformer, which is the least any kustomize build of them can cost.
  const auto flat = dir / "flat";
  std::filesystem::create_directories(flat);
  neon::test::write_text(flat / "objects.yaml", neon::gen::render_stream(spec));
  neon::test::write_text(flat / "kustomization.yaml", "resources:\n- objects.yaml\n");
  // Best of three runs each, alternating, so that a busy moment of the machine counts for neither.
  double tree_s = 1e9;
  double floor_s = 1e9;
  std::size_t tree_bytes = 0;
  for (int run = 0; run < 3; ++run) {
    const auto kstart = std::chrono::steady_clock::now();
    const auto built = neon::test::run_process({"kubectl", "kustomize", neon::gen::cluster_path(spec)}, dir);
    tree_s = std::min(tree_s, seconds_since(kstart));
    const auto fstart = std::chrono::steady_clock::now();
    const auto floor = neon::test::run_process({"kubectl", "kustomize", "flat"}, dir);
    floor_s = std::min(floor_s, seconds_since(fstart));
    if (built.exit != 0 || floor.exit != 0) {
      fmt::print(stderr, "kubectl kustomize failed: {}{}\n", built.err, floor.err);
      std::filesystem::remove_all(dir);
      return 1;
    }
    tree_bytes = built.out.size();
  }
  const double kustomize_mib = peak_mib(RUSAGE_CHILDREN);
  std::filesystem::remove_all(dir);
  fmt::print("kubectl kustomize of the tree: {} bytes of output: {:.3f} s wall (best of 3), peak RSS {:.1f} MiB\n",
             tree_bytes, tree_s, kustomize_mib);
  fmt::print("kubectl kustomize of the same objects as one plain file (the floor): {:.3f} s wall (best of 3)\n",
             floor_s);
  fmt::print("ratio (tree / floor): {:.2f}x (goal: <= 1.2x)\n", tree_s / floor_s);
  fmt::print("ratio (ours / kustomize of the tree): time {:.2f}x (goal: time <= 0.5x)\n", ours_s / tree_s);
  return 0;
}
