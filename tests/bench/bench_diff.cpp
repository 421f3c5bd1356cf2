// `diff` on 200 projects x 5 branches with one changed line in the spec (a branch renamed, same
// timelineId): first the real `kubectl-neon diff` on a repository holding that change (a child:
// wall time, peak RSS); then, in process as cmd_diff does it, the time to render both sides with
// render_stream against the time of diff_streams and its text output, and the peak RSS.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "plugin/gitops/diff_report.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/big_spec.hpp"
#include "tests/support/run.hpp"

using neon::bench::peak_mib;
using neon::bench::seconds_since;

namespace {

constexpr int k_projects = 200;
constexpr int k_branches = 5;

std::string changed_spec(std::string text) {
  const std::string from = "    - name: p199\n      tenantId: ";
  const auto at = text.find(from);
  const auto branch = text.find("        - name: b4\n", at);
  return text.replace(branch, 19, "        - name: c4\n");
}

/// The real `kubectl-neon diff` on a repository whose HEAD holds `base` and whose working tree
/// holds `head`. Run first: a child's peak RSS counts its parent's at fork time.
int run_binary(const std::string& base, const std::string& head) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("neon-bench-diff-{}", ::getpid());
  fs::remove_all(dir);
  const auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    return neon::test::run_process(args, dir, neon::test::k_git_env).exit == 0;
  };
  fs::create_directories(dir);
  neon::test::write_text(dir / "clusters/bench/neon.yaml", base);
  if (!git({"init", "-q", "-b", "main"}) || !git({"add", "."}) || !git({"commit", "-q", "-m", "base"})) {
    fmt::print(stderr, "git failed\n");
    return 1;
  }
  neon::test::write_text(dir / "clusters/bench/neon.yaml", head);
  const auto start = std::chrono::steady_clock::now();
  const auto r = neon::test::run_process({NEON_BINARY, "diff", "--repo", dir.string()}, dir);
  const double cmd_s = seconds_since(start);
  fs::remove_all(dir);
  if (r.exit != 1) {
    fmt::print(stderr, "kubectl-neon diff exited {}: {}\n", r.exit, r.err);
    return 1;
  }
  fmt::print("kubectl-neon diff (the binary): {:.3f} s wall, peak RSS {:.1f} MiB\n", cmd_s, peak_mib(RUSAGE_CHILDREN));
  return 0;
}

}  // namespace

int main() {
  const std::string base = neon::test::big_spec(k_projects, k_branches);
  const std::string head = changed_spec(base);
  if (run_binary(base, head) != 0) {
    return 1;
  }
  auto a = neon::gen::load_spec(base, "base.yaml");
  auto b = neon::gen::load_spec(head, "head.yaml");
  if (!a.spec || !b.spec) {
    fmt::print(stderr, "the bench spec is not valid\n");
    return 1;
  }
  // As cmd_diff does: render both sides, then diff the two streams.
  const auto rstart = std::chrono::steady_clock::now();
  const std::string before = neon::gen::render_stream(*a.spec);
  const std::string after = neon::gen::render_stream(*b.spec);
  const double render_s = seconds_since(rstart);
  const double render_mib = peak_mib(RUSAGE_SELF);
  const auto dstart = std::chrono::steady_clock::now();
  auto report = neon::cli::diff_streams(before, after);
  if (!report) {
    fmt::print(stderr, "diff failed: {}\n", report.error().message);
    return 1;
  }
  neon::cli::check_spec_changes(&a.spec->spec(), &b.spec->spec(), *report);
  const std::string text = neon::cli::render_text(*report, {"clusters/bench", "HEAD", "working tree"});
  const double diff_s = seconds_since(dstart);
  fmt::print(
      "in process, {} projects x {} branches ({} + {} bytes rendered): render both sides {:.3f} s, diff + text "
      "{:.3f} s ({} changes, {} bytes of diff): ratio {:.2f}x (goal <= 1.5x)\n"
      "peak RSS: {:.1f} MiB once both sides are rendered, {:.1f} MiB after the diff (goal < 200 MiB)\n",
      k_projects, k_branches, before.size(), after.size(), render_s, diff_s, report->changes.size(), text.size(),
      diff_s / render_s, render_mib, peak_mib(RUSAGE_SELF));
  return 0;
}
