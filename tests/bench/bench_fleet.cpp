// Regenerating and committing a fleet (200 projects x 5 branches), measured in one run with the
// real binary and the real git CLI (issue 14, "Regenerate in a blink" and "Commit cost"):
//  - a no-op `generate` (nothing changed) against the full first one (goal: <= 0.1x; it skips
//    rendering through the render stamp, gitops/render_stamp.hpp), and rendering alone
//    (gen::generate_tree), the floor of every run that renders;
//  - a one-branch change (one branch added to one project) against the full first one;
//  - committing the whole written tree: Repository::stage_changes + commit in this process
//    against `git add -A && git commit` of the same tree, each in a fresh repository
//    (goal: <= 0.7x).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/git.hpp"
#include "plugin/gitops/tree_writer.hpp"
#include "tests/bench/bench_util.hpp"
#include "tests/support/big_spec.hpp"
#include "tests/support/run.hpp"

namespace fs = std::filesystem;
using neon::bench::seconds_since;
using neon::test::run_process;

namespace {

constexpr int k_projects = 200;
constexpr int k_branches = 5;

/// User + system CPU seconds of this process or of its waited-for children.
double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Timed {
  double seconds = 0;  ///< wall
  double cpu = 0;      ///< user + system
  neon::test::ProcResult result;
};

Timed timed(const std::vector<std::string>& argv, const fs::path& cwd) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu = cpu_seconds(RUSAGE_CHILDREN);
  auto r = run_process(argv, cwd, neon::test::k_git_env);
  return Timed{seconds_since(start), cpu_seconds(RUSAGE_CHILDREN) - cpu, std::move(r)};
}

std::string figures(const Timed& t, const Timed& base) {
  return fmt::format("{:.3f} s wall ({:.2f}x), {:.3f} s CPU ({:.2f}x)", t.seconds, t.seconds / base.seconds, t.cpu,
                     t.cpu / base.cpu);
}

bool ok(const Timed& t, const char* what) {
  if (t.result.exit != 0) {
    fmt::print(stderr, "{} failed ({}): {}{}\n", what, t.result.exit, t.result.out, t.result.err);
    return false;
  }
  return true;
}

/// The big spec with one more branch in project p0 (after its b0).
std::string one_more_branch(std::string spec) {
  const std::string after = fmt::format("timelineId: {:032x}\n", 2);
  const auto pos = spec.find(after);
  spec.insert(pos + after.size(),
              "        - name: extra\n          timelineId: ffffffffffffffffffffffffffffff01\n          parent: b0\n");
  return spec;
}

void write(const fs::path& file, const std::string& text) {
  std::FILE* f = std::fopen(file.c_str(), "wb");
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

}  // namespace

int main() {
  const std::string text = neon::test::big_spec(k_projects, k_branches);
  auto loaded = neon::gen::load_spec(text, "bench.yaml");
  if (!loaded.spec) {
    return 1;
  }
  const auto dir = fs::temp_directory_path() / fmt::format("neon-bench-fleet-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  write(dir / "spec.yaml", text);
  write(dir / "changed.yaml", one_more_branch(text));

  // Rendering alone: the fixed cost of every run.
  auto start = std::chrono::steady_clock::now();
  const double render_cpu_start = cpu_seconds(RUSAGE_SELF);
  const auto tree = neon::gen::generate_tree(*loaded.spec);
  const double render_s = seconds_since(start);
  const double render_cpu = cpu_seconds(RUSAGE_SELF) - render_cpu_start;

  const fs::path repo = dir / "repo";
  const std::string bin = NEON_BINARY;
  const auto full = timed({bin, "generate", "--repo", repo.string(), "-f", (dir / "spec.yaml").string()}, dir);
  const auto noop = timed({bin, "generate", "--repo", repo.string(), "-f", (dir / "spec.yaml").string()}, dir);
  const auto change = timed({bin, "generate", "--repo", repo.string(), "-f", (dir / "changed.yaml").string()}, dir);
  if (!ok(full, "full generate") || !ok(noop, "no-op generate") || !ok(change, "one-branch generate")) {
    return 1;
  }
  const auto changed_files = run_process({"git", "show", "--name-only", "--format=", "HEAD"}, repo).out;
  const auto count = std::count(changed_files.begin(), changed_files.end(), '\n');
  fmt::print("{} projects x {} branches, {} files\n", k_projects, k_branches, tree.size());
  fmt::print("full generate (first, commits): {:.3f} s wall, {:.3f} s CPU\n", full.seconds, full.cpu);
  fmt::print("rendering alone (generate_tree, in this process): {:.3f} s wall, {:.3f} s CPU = {:.2f}x of full's CPU\n",
             render_s, render_cpu, render_cpu / full.cpu);
  fmt::print("no-op generate: {} of full (goal: <= 0.1x){}\n", figures(noop, full),
             noop.result.out.find("up to date") == std::string::npos ? " NOT up to date" : "");
  fmt::print("one-branch change: {} of full, {} files committed\n", figures(change, full), count);

  // Committing the same written tree: ours in-process, then the git CLI, fresh repositories.
  const fs::path ours = dir / "ours";
  const fs::path cli = dir / "cli";
  const auto scope = neon::cli::TreeScope{neon::gen::cluster_path(*loaded.spec), {}};
  neon::cli::git::Library lib;
  bool created = false;
  auto r = neon::cli::git::Repository::open_or_init(ours, created);
  if (!r) {
    fmt::print(stderr, "{}\n", r.error().message);
    return 1;
  }
  fs::create_directories(cli);
  if (!ok(timed({"git", "init", "-q", "-b", "main", "."}, cli), "git init")) {
    return 1;
  }
  for (const auto& into : {ours, cli}) {
    if (auto w = neon::cli::write_tree(tree, into, scope); !w) {
      fmt::print(stderr, "write_tree failed: {}\n", w.error().message);
      return 1;
    }
  }
  start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds(RUSAGE_SELF);
  std::vector<neon::cli::git::Repository::Change> changes;
  for (const auto& [path, bytes] : tree) {
    changes.push_back({path, &bytes});
  }
  auto staged = r->stage_changes(changes);
  auto id = staged ? r->commit("x", {"Tester", "tester@localhost"}) : neon::Result<std::string>(staged.error());
  const Timed ours_t{seconds_since(start), cpu_seconds(RUSAGE_SELF) - cpu_start, {}};
  if (!id) {
    fmt::print(stderr, "commit failed: {}\n", id.error().message);
    return 1;
  }
  const auto add = timed({"git", "add", "-A"}, cli);
  const auto commit = timed({"git", "commit", "-q", "-m", "x"}, cli);
  if (!ok(add, "git add") || !ok(commit, "git commit")) {
    return 1;
  }
  const Timed cli_t{add.seconds + commit.seconds, add.cpu + commit.cpu, {}};
  const auto status = run_process({"git", "status", "--porcelain"}, ours, neon::test::k_git_env);
  const auto same = run_process({"git", "rev-parse", "HEAD^{tree}"}, ours).out ==
                    run_process({"git", "rev-parse", "HEAD^{tree}"}, cli).out;
  fmt::print(
      "commit of the full tree: ours {} of git add -A && git commit ({:.3f} s wall, {:.3f} s CPU) (goal: <= "
      "0.7x){}{}\n",
      figures(ours_t, cli_t), cli_t.seconds, cli_t.cpu, same ? "" : " TREES DIFFER",
      status.out.empty() ? "" : " STATUS NOT CLEAN");
  fs::remove_all(dir);
  return 0;
}
