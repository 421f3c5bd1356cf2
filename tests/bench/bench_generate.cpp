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
#include "plugin/tree_writer.hpp"
#include "tests/support/run.hpp"

namespace {

constexpr int k_projects = 200;
constexpr int k_branches = 5;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double peak_mib(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// A prod spec with 3 zones, auth on and k_projects x k_branches; IDs from a counter.
std::string big_spec() {
  std::string s = R"(apiVersion: kubectl-neon.io/v1alpha1
kind: NeonCluster
metadata:
  name: bench
  namespace: neon
spec:
  profile: prod
  images:
    storage: docker.io/neondatabase/neon:8463
    compute:
      "17": docker.io/neondatabase/compute-node-v17:8463
    hook: ghcr.io/kubectl-neon/kubectl-neon:v0.1.0
  objectStorage:
    bucket: bench
    region: eu-west-1
    credentials:
      secretRef:
        name: neon-s3-credentials
  storageController:
    database:
      secretRef:
        name: neon-storage-controller-db
    auth:
      enabled: true
      keySecret: neon-auth-public-key
      tokenSecret: neon-auth-tokens
      computeSigningSecret: neon-compute-hook-key
  pageservers:
    count: 6
    zones: [a, b, c]
    storage:
      size: 1Ti
  safekeepers:
    count: 3
    zones: [a, b, c]
    storage:
      size: 100Gi
  storageBroker:
    replicas: 2
  projects:
)";
  unsigned id = 0;
  for (int p = 0; p < k_projects; ++p) {
    s += fmt::format("    - name: p{}\n      tenantId: {:032x}\n      branches:\n", p, ++id);
    for (int b = 0; b < k_branches; ++b) {
      s += fmt::format("        - name: b{}\n          timelineId: {:032x}\n", b, ++id);
      if (b > 0) {
        s += "          parent: b0\n";
      }
    }
  }
  return s;
}

} // namespace

int main() {
  auto loaded = neon::gen::load_spec(big_spec(), "bench.yaml");
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
  fmt::print("ratio (ours / kustomize): time {:.2f}x, peak RSS {:.2f}x (goal: time <= 0.5x)\n",
             ours_s / kustomize_s, ours_mib / kustomize_mib);
  return 0;
}
