// Regenerating a fleet (issue 14, "Regenerate in a blink" and "Commit cost"): a no-op generate
// writes nothing, a one-branch change writes and stages only its files, and the index the program
// writes is one the git CLI finds clean. The real binary and the real git CLI.
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "tests/support/big_spec.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::test::ProcResult;
using neon::test::run_process;
using neon::test::ScratchDir;
using neon::test::write_text;

namespace {

using neon::test::git;

ProcResult generate(const fs::path& repo, const fs::path& spec, const std::string& fault = "") {
  auto env = neon::test::k_git_env;
  if (!fault.empty()) {
    env["NEON_FAULT_STEP"] = fault;
  }
  return run_process({NEON_BINARY, "generate", "--repo", repo.string(), "-f", spec.string()}, repo.parent_path(), env);
}

/// Whether a generate of `spec` renders: a run stopped where rendering begins exits 99, one that
/// needs no render finishes.
bool renders(const fs::path& repo, const fs::path& spec) {
  const auto r = generate(repo, spec, "render");
  REQUIRE_MESSAGE((r.exit == 0 || r.exit == 99), r.err);
  if (r.exit == 0) {
    CHECK(r.out.find("up to date") != std::string::npos);
  }
  return r.exit == 99;
}

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.insert(line);
    }
  }
  return out;
}

/// Inode and modification time of every file below `dir` (and of the index): what a write changes.
std::map<std::string, std::string> stamps(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".git" && !fs::exists(it->path() / "index")) {
      continue;
    }
    struct stat st {};
    if (it->path().filename() == "kubectl-neon.lock") {
      continue;  // the repository lock (RepoLock): each run records its pid there
    }
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      out[it->path().lexically_relative(dir).string()] =
          fmt::format("{}:{}.{}", st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
  }
  return out;
}

/// big_spec(3, 2) with one more branch in project p0.
std::string one_more_branch(std::string spec) {
  const std::string after = fmt::format("timelineId: {:032x}\n", 2);
  const auto pos = spec.find(after);
  REQUIRE(pos != std::string::npos);
  spec.insert(pos + after.size(),
              "        - name: extra\n          timelineId: ffffffffffffffffffffffffffffff01\n          parent: b0\n");
  return spec;
}

neon::gen::FileTree rendered(const std::string& text) {
  auto loaded = neon::gen::load_spec(text, "spec.yaml");
  REQUIRE(loaded.spec);
  return neon::gen::generate_tree(*loaded.spec);
}

/// A scratch folder with a repository path and two specs: big_spec(3, 2) and it with one more branch.
struct Fleet {
  explicit Fleet(const std::string& name) : dir(name) {
    write_text(spec, neon::test::big_spec(3, 2));
    write_text(changed, one_more_branch(neon::test::big_spec(3, 2)));
  }
  ScratchDir dir;
  fs::path repo = dir / "repo";
  fs::path spec = dir / "spec.yaml";
  fs::path changed = dir / "changed.yaml";
};

}  // namespace

TEST_SUITE("gitops") {
  TEST_CASE("generate: a no-op run writes nothing: no file, not the index, no object, no commit" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    Fleet f("fleet-noop");
    const auto& repo = f.repo;
    auto first = generate(repo, f.spec);
    REQUIRE_MESSAGE(first.exit == 0, first.err);
    const auto head = git(repo, {"rev-parse", "HEAD"}).out;
    const auto before = stamps(repo);
    REQUIRE(before.count(".git/index") == 1);

    auto again = generate(repo, f.spec);
    REQUIRE_MESSAGE(again.exit == 0, again.err);
    CHECK(again.out.find("(0 changed, 0 removed)") != std::string::npos);
    CHECK(again.out.find("up to date") != std::string::npos);
    CHECK(git(repo, {"rev-parse", "HEAD"}).out == head);
    const auto after = stamps(repo);
    CHECK(after.at(".git/index") == before.at(".git/index"));  // not even rewritten unchanged
    CHECK(after == before);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
  }

  TEST_CASE("generate: a one-branch change writes and stages only the files it changes" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("fleet-one-branch");
    const auto repo = dir / "repo";
    const std::string spec = neon::test::big_spec(3, 2);
    const std::string changed = one_more_branch(spec);
    write_text(dir / "spec.yaml", spec);
    write_text(dir / "changed.yaml", changed);
    REQUIRE(generate(repo, dir / "spec.yaml").exit == 0);
    const auto before = stamps(repo);

    // The files whose bytes differ between the two renders, and the two that always change.
    const auto old_tree = rendered(spec);
    const auto new_tree = rendered(changed);
    std::set<std::string> expected;
    for (const auto& [path, bytes] : new_tree) {
      const auto old = old_tree.find(path);
      if (old == old_tree.end() || old->second != bytes) {
        expected.insert(path);
      }
    }
    for (const auto& [path, bytes] : old_tree) {
      if (new_tree.count(path) == 0) {
        expected.insert(path);
      }
    }
    REQUIRE(!expected.empty());
    REQUIRE(expected.size() < new_tree.size() / 2);
    expected.insert("clusters/bench/neon.yaml");
    expected.insert("clusters/bench/kubectl-neon.sum");

    auto r = generate(repo, dir / "changed.yaml");
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK_MESSAGE(r.out.find(fmt::format("({} changed, 0 removed)", expected.size())) != std::string::npos, r.out);
    const auto committed = lines(git(repo, {"show", "--name-only", "--format=", "HEAD"}).out);
    CHECK(committed == expected);
    // Written: only these files have a new inode or mtime in the work tree.
    std::set<std::string> written;
    for (const auto& [path, stamp] : stamps(repo)) {
      const auto old = before.find(path);
      if (path.rfind(".git/", 0) != 0 && (old == before.end() || old->second != stamp)) {
        written.insert(path);
      }
    }
    CHECK(written == expected);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
  }

  TEST_CASE("generate: the index it writes is clean for the git CLI; fsck, log and show see the commit" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    Fleet f("fleet-index");
    const auto& repo = f.repo;
    for (const auto& spec : {f.spec, f.changed}) {
      CAPTURE(spec);
      auto r = generate(repo, spec);
      REQUIRE_MESSAGE(r.exit == 0, r.err);
      // diff-files compares the index's stat data with the files and refreshes nothing: an entry
      // without the file's stat data shows up here (status would re-read and hide it).
      CHECK(git(repo, {"diff-files", "--name-only"}).out.empty());
      CHECK(git(repo, {"diff-index", "--cached", "--name-only", "HEAD"}).out.empty());
      CHECK(git(repo, {"status", "--porcelain"}).out.empty());
      CHECK(git(repo, {"fsck", "--strict"}).exit == 0);
      CHECK(lines(git(repo, {"ls-files"}).out) == lines(git(repo, {"ls-tree", "-r", "--name-only", "HEAD"}).out));
    }
    CHECK(git(repo, {"log", "--format=%s"}).out.find("neon(bench)") != std::string::npos);
    CHECK(git(repo, {"show", "--stat", "HEAD"}).out.find("clusters/bench/neon.yaml") != std::string::npos);
  }

  TEST_CASE(
      "generate: an unchanged spec is not rendered again, unless the repository differs from what its last "
      "run committed" *
      doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    Fleet f("fleet-stamp");
    const auto& repo = f.repo;
    const auto& spec = f.spec;
    const auto& changed = f.changed;
    CHECK(renders(repo, spec));  // no repository yet
    REQUIRE(generate(repo, spec).exit == 0);
    CHECK_FALSE(renders(repo, spec));
    const auto head = git(repo, {"rev-parse", "HEAD"}).out;
    const std::string file = "clusters/bench/compute/deployment-compute-p0-b0.yaml";
    REQUIRE(fs::exists(repo / file));

    SUBCASE("an uncommitted edit is found and refused, as without the stamp") {
      write_text(repo / file, "edited\n");
      CHECK(renders(repo, spec));
      CHECK(generate(repo, spec).exit == 1);
    }
    SUBCASE("a deleted file is found, and refused as an edit, as without the stamp") {
      fs::remove(repo / file);
      CHECK(renders(repo, spec));
      auto r = generate(repo, spec);
      CHECK(r.exit == 1);
      CHECK(r.err.find(file) != std::string::npos);
    }
    SUBCASE("an untracked file in the cluster folder: a user's own file is kept") {
      write_text(repo / "clusters/bench/NOTES.md", "ours\n");
      CHECK(renders(repo, spec));
      REQUIRE(generate(repo, spec).exit == 0);
      CHECK(fs::exists(repo / "clusters/bench/NOTES.md"));
    }
    SUBCASE("a committed hand edit is reverted, then the stamp holds again") {
      write_text(repo / file, "edited\n");
      REQUIRE(git(repo, {"commit", "-qam", "by hand"}).exit == 0);
      CHECK(renders(repo, spec));
      auto r = generate(repo, spec);
      REQUIRE_MESSAGE(r.exit == 0, r.err);
      CHECK(r.err.find("reverts it") != std::string::npos);
      CHECK_FALSE(renders(repo, spec));
    }
    SUBCASE("a staged change") {
      write_text(repo / file, "edited\n");
      REQUIRE(git(repo, {"add", file}).exit == 0);  // the work tree as the index, the index not as HEAD
      CHECK(renders(repo, spec));
    }
    SUBCASE("a changed spec renders; a commit elsewhere in the repository does not matter") {
      write_text(repo / "README.md", "notes\n");
      REQUIRE(git(repo, {"add", "README.md"}).exit == 0);
      REQUIRE(git(repo, {"commit", "-qm", "notes"}).exit == 0);
      CHECK_FALSE(renders(repo, spec));
      CHECK(renders(repo, changed));
      REQUIRE(generate(repo, changed).exit == 0);
      CHECK_FALSE(renders(repo, changed));
      CHECK(renders(repo, spec));
    }
    SUBCASE("HEAD moved back: the cluster folder HEAD holds is another one") {
      REQUIRE(generate(repo, changed).exit == 0);
      REQUIRE(git(repo, {"reset", "-q", "--hard", "HEAD~1"}).exit == 0);
      CHECK(renders(repo, changed));
    }
    SUBCASE("no stamp, or a damaged one: the full path decides, and writes it again") {
      const auto stamps_dir = repo / ".git/kubectl-neon";
      REQUIRE(fs::is_directory(stamps_dir));
      for (const auto& e : fs::directory_iterator(stamps_dir)) {
        write_text(e.path(), "garbage\n");
      }
      CHECK(renders(repo, spec));
      REQUIRE(generate(repo, spec).exit == 0);
      CHECK_FALSE(renders(repo, spec));
      fs::remove_all(stamps_dir);
      CHECK(renders(repo, spec));
    }
    CHECK(git(repo, {"fsck", "--strict"}).exit == 0);
  }
}
