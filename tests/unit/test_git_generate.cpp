// kubectl neon generate end to end: the real binary, the real git CLI, bare remotes over file://.
#include <unistd.h>

#include <doctest/doctest.h>

#include <fmt/format.h>

#include "generators/embedded.hpp"
#include "plugin/gitops/repo_lock.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::test::ProcResult;
using neon::test::read_text;
using neon::test::run_process;
using neon::test::ScratchDir;
using neon::test::write_text;

namespace {

using neon::test::git;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

ProcResult generate(const fs::path& repo, std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  std::vector<std::string> argv{NEON_BINARY, "generate", "--repo", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  env.insert(neon::test::k_git_env.begin(), neon::test::k_git_env.end());
  return run_process(argv, repo.parent_path(), env);
}

std::string dev_spec() { return std::string(*neon::gen::embedded("schemas/starters/dev.yaml")); }

std::string scaled_spec() {
  std::string text = dev_spec();
  const std::string from = "  pageservers:\n    count: 1\n";
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), "  pageservers:\n    count: 2\n");
  return text;
}

int commit_count(const fs::path& repo) { return std::stoi(trimmed(git(repo, {"rev-list", "--count", "HEAD"}).out)); }

}  // namespace

TEST_SUITE("gitops") {
  TEST_CASE("generate: an Argo CD target commits the bootstrap folder beside the cluster" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-argocd");
    const auto repo = dir / "repo";
    const auto spec = neon::test::source_dir() / "schemas/examples/prod-3-zones.yaml";
    auto r = generate(repo, {"-f", spec.string()});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    const auto files = git(repo, {"ls-files", "bootstrap"}).out;
    CHECK(files.find("/kustomization.yaml") != std::string::npos);
    CHECK(files.find("application") != std::string::npos);
    CHECK(r.out.find("kubectl apply -k " + (repo / "bootstrap").string()) != std::string::npos);
    CHECK(r.out.find("secrets init -f " + spec.string()) != std::string::npos);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
    auto again = generate(repo, {"-f", spec.string()});
    REQUIRE_MESSAGE(again.exit == 0, again.err);
    CHECK(again.out.find("up to date") != std::string::npos);
  }

  TEST_CASE("generate: commits the owned files once, keeps user files out" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-commit");
    const auto repo = dir / "repo";
    auto first = generate(repo, {});
    REQUIRE_MESSAGE(first.exit == 0, first.err);
    CHECK(first.out.find("created a Git repository") != std::string::npos);
    CHECK(first.out.find("secrets init") != std::string::npos);
    CHECK(first.out.find("kubectl apply --server-side -k " + (repo / "clusters/dev").string()) != std::string::npos);
    CHECK(trimmed(git(repo, {"symbolic-ref", "--short", "HEAD"}).out) == "main");
    const auto show = git(repo, {"show", "--stat=200", "--format=%an <%ae>%n%s", "HEAD"});
    CHECK(show.out.find("Tester <tester@localhost>") != std::string::npos);
    CHECK(show.out.find("neon(dev): generate cluster tree (") != std::string::npos);
    CHECK(show.out.find("clusters/dev/kustomization.yaml") != std::string::npos);
    CHECK(show.out.find("clusters/dev/neon.yaml") != std::string::npos);
    CHECK(show.out.find("clusters/dev/storage/kustomization.yaml") != std::string::npos);
    CHECK(read_text(repo / "clusters/dev/neon.yaml") == dev_spec());
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());

    // User files: an untracked note, and an edit to the committed user-owned skeleton.
    write_text(repo / "clusters/dev/NOTES.md", "mine\n");
    write_text(repo / "clusters/dev/local/storage/kustomization.yaml", "# mine\n");
    const auto head = trimmed(git(repo, {"rev-parse", "HEAD"}).out);
    auto second = generate(repo, {});
    REQUIRE_MESSAGE(second.exit == 0, second.err);
    CHECK(second.out.find("up to date") != std::string::npos);
    CHECK(trimmed(git(repo, {"rev-parse", "HEAD"}).out) == head);
    CHECK(read_text(repo / "clusters/dev/NOTES.md") == "mine\n");
    CHECK(read_text(repo / "clusters/dev/local/storage/kustomization.yaml") == "# mine\n");

    // A real change commits only owned files, with a message that says what changed.
    write_text(dir / "scaled.yaml", scaled_spec());
    auto third = generate(repo, {"-f", (dir / "scaled.yaml").string(), "-m", "Capacity for the demo.", "--author",
                                 "Ops Bot <ops@example.com>"});
    REQUIRE_MESSAGE(third.exit == 0, third.err);
    const auto log = git(repo, {"log", "-1", "--format=%an <%ae>%n%B"});
    CHECK(log.out.find("Ops Bot <ops@example.com>") != std::string::npos);
    CHECK(log.out.find("neon(dev): scale pageservers to 2 (") != std::string::npos);
    CHECK(log.out.find("Capacity for the demo.") != std::string::npos);
    const auto files = git(repo, {"show", "--name-only", "--format=", "HEAD"}).out;
    CHECK(files.find("clusters/dev/neon.yaml") != std::string::npos);
    CHECK(files.find("NOTES.md") == std::string::npos);
    CHECK(files.find("local/storage") == std::string::npos);
    CHECK(git(repo, {"status", "--porcelain"}).out ==
          " M clusters/dev/local/storage/kustomization.yaml\n?? clusters/dev/NOTES.md\n");
    CHECK(git(repo, {"fsck", "--strict"}).exit == 0);
  }

  TEST_CASE("generate: refuses uncommitted edits to generated files unless --force" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-dirty");
    const auto repo = dir / "repo";
    REQUIRE(generate(repo, {}).exit == 0);
    const auto target = repo / "clusters/dev/kustomization.yaml";
    write_text(target, read_text(target) + "# hand edit\n");
    auto refused = generate(repo, {});
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("clusters/dev/kustomization.yaml") != std::string::npos);
    CHECK(read_text(target).find("# hand edit") != std::string::npos);
    auto forced = generate(repo, {"--force"});
    REQUIRE_MESSAGE(forced.exit == 0, forced.err);
    CHECK(read_text(target).find("# hand edit") == std::string::npos);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
  }

  TEST_CASE("generate: --no-commit writes only; a held lock stops a second writer" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-nocommit");
    const auto repo = dir / "repo";
    auto r = generate(repo, {"--no-commit"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(fs::exists(repo / "clusters/dev/kustomization.yaml"));
    CHECK(git(repo, {"rev-parse", "--verify", "-q", "HEAD"}).exit != 0);

    {
      auto held = neon::cli::RepoLock::acquire(repo / ".git");  // as a running generate holds it
      REQUIRE(held);
      auto locked = generate(repo, {});
      CHECK(locked.exit == 1);
      CHECK(locked.err.find(fmt::format("another kubectl-neon (pid {}) is writing this repository", getpid())) !=
            std::string::npos);
    }
    REQUIRE(generate(repo, {}).exit == 0);
    CHECK(commit_count(repo) == 1);
  }

  TEST_CASE("generate: --branch commits on a new branch started at HEAD" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-branch");
    const auto repo = dir / "repo";
    REQUIRE(generate(repo, {}).exit == 0);
    const auto base = trimmed(git(repo, {"rev-parse", "HEAD"}).out);
    write_text(dir / "scaled.yaml", scaled_spec());
    auto r = generate(repo, {"-f", (dir / "scaled.yaml").string(), "--branch", "neon/dev-scale"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(trimmed(git(repo, {"rev-parse", "main"}).out) == base);
    CHECK(trimmed(git(repo, {"rev-parse", "neon/dev-scale~1"}).out) == base);
    CHECK(trimmed(git(repo, {"symbolic-ref", "--short", "HEAD"}).out) == "neon/dev-scale");
  }

  TEST_CASE("generate: killed at each step, the repository stays consistent and a re-run converges" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-fault");
    write_text(dir / "scaled.yaml", scaled_spec());
    const std::string scaled = (dir / "scaled.yaml").string();
    // The tree a clean run commits.
    const auto clean = dir / "clean";
    REQUIRE(generate(clean, {}).exit == 0);
    const auto before_tree = trimmed(git(clean, {"rev-parse", "HEAD^{tree}"}).out);
    REQUIRE(generate(clean, {"-f", scaled}).exit == 0);
    const auto after_tree = trimmed(git(clean, {"rev-parse", "HEAD^{tree}"}).out);

    for (const char* step : {"after-staging", "after-write", "after-stage", "after-commit"}) {
      CAPTURE(step);
      const auto repo = dir / (std::string("repo-") + step);
      REQUIRE(generate(repo, {}).exit == 0);
      auto killed = generate(repo, {"-f", scaled}, {{"NEON_FAULT_STEP", step}});
      CHECK(killed.exit == 99);
      CHECK(git(repo, {"fsck", "--strict"}).exit == 0);
      const auto mid = trimmed(git(repo, {"rev-parse", "HEAD^{tree}"}).out);
      CHECK((mid == before_tree || mid == after_tree));
      auto rerun = generate(repo, {"-f", scaled});
      REQUIRE_MESSAGE(rerun.exit == 0, rerun.err);
      CHECK(trimmed(git(repo, {"rev-parse", "HEAD^{tree}"}).out) == after_tree);
      CHECK(commit_count(repo) == 2);
      CHECK(git(repo, {"status", "--porcelain"}).out.empty());
      CHECK(git(repo, {"fsck", "--strict"}).exit == 0);
    }
  }

  TEST_CASE("generate: --push to a bare remote, regenerating on top of a moved remote" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-push");
    REQUIRE(git(dir.path(), {"init", "--bare", "-q", "-b", "main", "remote.git"}).exit == 0);
    const std::string url = "file://" + (dir / "remote.git").string();
    const auto repo = dir / "repo";
    REQUIRE(generate(repo, {}).exit == 0);
    REQUIRE(git(repo, {"remote", "add", "origin", url}).exit == 0);

    // Killed just before pushing: the next run has nothing to commit but still pushes.
    auto killed = generate(repo, {"--push"}, {{"NEON_FAULT_STEP", "before-push"}});
    CHECK(killed.exit == 99);
    auto pushed = generate(repo, {"--push"});
    REQUIRE_MESSAGE(pushed.exit == 0, pushed.err);
    CHECK(pushed.out.find("up to date") != std::string::npos);
    CHECK(trimmed(git(dir / "remote.git", {"rev-parse", "main"}).out) == trimmed(git(repo, {"rev-parse", "HEAD"}).out));

    // Someone else pushes; our push is non-fast-forward, so generate fetches and regenerates.
    REQUIRE(git(dir.path(), {"clone", "-q", url, "other"}).exit == 0);
    write_text(dir / "other/README.md", "theirs\n");
    REQUIRE(git(dir / "other", {"add", "README.md"}).exit == 0);
    REQUIRE(git(dir / "other", {"commit", "-q", "-m", "theirs"}).exit == 0);
    REQUIRE(git(dir / "other", {"push", "-q", "origin", "main"}).exit == 0);
    write_text(dir / "scaled.yaml", scaled_spec());
    auto again = generate(repo, {"-f", (dir / "scaled.yaml").string(), "--push"});
    REQUIRE_MESSAGE(again.exit == 0, again.err);
    CHECK(again.err.find("moved on") != std::string::npos);
    const auto log = git(dir / "remote.git", {"log", "--format=%s", "main"}).out;
    CHECK(log.find("theirs") != std::string::npos);
    CHECK(log.rfind("neon(dev): scale pageservers to 2", 0) == 0);
    CHECK(read_text(repo / "README.md") == "theirs\n");
    CHECK(git(dir / "remote.git", {"fsck", "--strict"}).exit == 0);

    // A push the remote cannot take, and no way to fix it here: a clear error.
    auto bad = generate(repo, {"--push", "--remote", "nowhere"});
    CHECK(bad.exit == 1);
    CHECK(bad.err.find("nowhere") != std::string::npos);
  }

  TEST_CASE("generate: --push checks the remote before writing or committing anything" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-push-check");
    const auto repo = dir / "repo";
    REQUIRE(git(dir.path(), {"init", "-q", "-b", "main", "repo"}).exit == 0);
    auto none = generate(repo, {"--push"});
    CHECK(none.exit == 1);
    CHECK(none.err.find("no remote named origin") != std::string::npos);
    CHECK(none.err.find("nothing was written or committed") != std::string::npos);
    CHECK(git(repo, {"rev-parse", "--verify", "-q", "HEAD"}).exit != 0);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());

    // A remote that does not answer: the same, after a first commit.
    REQUIRE(generate(repo, {}).exit == 0);
    const auto head = trimmed(git(repo, {"rev-parse", "HEAD"}).out);
    REQUIRE(git(repo, {"remote", "add", "origin", "file://" + (dir / "missing.git").string()}).exit == 0);
    write_text(dir / "scaled.yaml", scaled_spec());
    auto gone = generate(repo, {"-f", (dir / "scaled.yaml").string(), "--push"});
    CHECK(gone.exit == 1);
    CHECK(gone.err.find("cannot connect to remote origin") != std::string::npos);
    CHECK(trimmed(git(repo, {"rev-parse", "HEAD"}).out) == head);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
  }

  TEST_CASE("generate: what a --no-commit run wrote is not an edit that blocks the next run" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-nocommit-own");
    const auto repo = dir / "repo";
    REQUIRE(generate(repo, {}).exit == 0);
    write_text(dir / "scaled.yaml", scaled_spec());
    auto preview = generate(repo, {"-f", (dir / "scaled.yaml").string(), "--no-commit"});
    REQUIRE_MESSAGE(preview.exit == 0, preview.err);
    CHECK(!git(repo, {"status", "--porcelain"}).out.empty());
    // Back to the committed spec: the preview's files are the program's own, so no refusal.
    auto back = generate(repo, {});
    REQUIRE_MESSAGE(back.exit == 0, back.err);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
    CHECK(commit_count(repo) == 1);
    // And forward again, committing this time.
    REQUIRE(generate(repo, {"-f", (dir / "scaled.yaml").string(), "--no-commit"}).exit == 0);
    auto commit = generate(repo, {"-f", (dir / "scaled.yaml").string()});
    REQUIRE_MESSAGE(commit.exit == 0, commit.err);
    CHECK(commit_count(repo) == 2);
    // A real edit on top of a preview still counts.
    REQUIRE(generate(repo, {"--no-commit"}).exit == 0);
    const auto target = repo / "clusters/dev/kustomization.yaml";
    write_text(target, read_text(target) + "# hand edit\n");
    auto refused = generate(repo, {"-f", (dir / "scaled.yaml").string()});
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("clusters/dev/kustomization.yaml") != std::string::npos);
  }

  TEST_CASE("generate: reverting a committed hand edit says which file and where the change belongs" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-hand-edit");
    const auto repo = dir / "repo";
    REQUIRE(generate(repo, {}).exit == 0);
    const auto target = repo / "clusters/dev/pageserver/statefulset-pageserver.yaml";
    const std::string generated = read_text(target);
    write_text(target, generated + "# tuned by hand\n");
    REQUIRE(git(repo, {"commit", "-q", "-am", "tune the pageserver"}).exit == 0);
    auto r = generate(repo, {});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(r.err.find("warning: clusters/dev/pageserver/statefulset-pageserver.yaml had a committed change that "
                     "kubectl-neon did not generate; this run reverts it") != std::string::npos);
    CHECK(r.err.find("clusters/dev/local/storage/kustomization.yaml") != std::string::npos);
    CHECK(read_text(target) == generated);
    auto quiet = generate(repo, {});
    REQUIRE(quiet.exit == 0);
    CHECK(quiet.err.find("warning") == std::string::npos);
  }

  TEST_CASE("generate: a second cluster gets its own folder and Application; another cluster's folder is refused" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-two-clusters");
    const auto repo = dir / "repo";
    auto neon = [&](std::vector<std::string> args) {
      args.insert(args.begin(), NEON_BINARY);
      return run_process(args, dir.path(), neon::test::k_git_env);
    };
    REQUIRE(neon({"init", "--profile", "prod", "--name", "eu-west", "-f", "eu.yaml"}).exit == 0);
    REQUIRE(neon({"init", "--profile", "prod", "--name", "us-east", "-f", "us.yaml"}).exit == 0);
    CHECK(read_text(dir / "us.yaml").find("    path: clusters/us-east\n") != std::string::npos);
    REQUIRE(generate(repo, {"-f", (dir / "eu.yaml").string()}).exit == 0);
    auto second = generate(repo, {"-f", (dir / "us.yaml").string()});
    REQUIRE_MESSAGE(second.exit == 0, second.err);
    CHECK(fs::exists(repo / "clusters/eu-west/neon.yaml"));
    CHECK(fs::exists(repo / "clusters/us-east/neon.yaml"));
    for (const char* name : {"eu-west", "us-east"}) {
      CAPTURE(name);
      const auto files = git(repo, {"ls-files", std::string("bootstrap/") + name}).out;
      const std::string b = std::string("bootstrap/") + name + "/";
      CHECK(files == b + "application-neon-" + name + "-bootstrap.yaml\n" + b + "application-neon-" + name + ".yaml\n" +
                         b + "appproject-neon-" + name + "-bootstrap.yaml\n" + b + "appproject-neon-" + name +
                         ".yaml\n" + b + "kustomization.yaml\n");
      const auto app = read_text(repo / "bootstrap" / name / (std::string("application-neon-") + name + ".yaml"));
      CHECK(app.find(std::string("    path: clusters/") + name + "\n") != std::string::npos);
    }

    // us-east pointed at eu-west's folder: refused, nothing written, then allowed with --force.
    const auto head = trimmed(git(repo, {"rev-parse", "HEAD"}).out);
    auto clash = generate(repo, {"-f", (dir / "us.yaml").string(), "--path", "clusters/eu-west"});
    CHECK(clash.exit == 1);
    CHECK(clash.err.find("clusters/eu-west holds cluster \"eu-west\"") != std::string::npos);
    CHECK(clash.err.find("--force") != std::string::npos);
    CHECK(trimmed(git(repo, {"rev-parse", "HEAD"}).out) == head);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
    auto forced = generate(repo, {"-f", (dir / "us.yaml").string(), "--path", "clusters/eu-west", "--force"});
    CHECK_MESSAGE(forced.exit == 0, forced.err);
  }

  TEST_CASE("generate: refuses a change that needs work by hand (diff's blocking findings) unless --force" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-blocking");
    const auto repo = dir / "repo";
    const auto spec = dir / "neon.yaml";
    const std::string original = read_text(neon::test::source_dir() / "schemas/examples/prod-3-zones.yaml");
    write_text(spec, original);
    REQUIRE(generate(repo, {"-f", spec.string()}).exit == 0);
    const std::string head = trimmed(git(repo, {"rev-parse", "HEAD"}).out);
    const auto edited = [&](const std::string& from, const std::string& to) {
      std::string text = original;
      const auto at = text.find(from);
      REQUIRE(at != std::string::npos);
      return text.replace(at, from.size(), to);
    };
    std::string renamed_zone = original;
    for (auto at = renamed_zone.find("eu-central-1c"); at != std::string::npos;
         at = renamed_zone.find("eu-central-1c")) {
      renamed_zone.replace(at, 13, "eu-central-1d");
    }
    struct Case {
      const char* what;
      std::string text;
      const char* finding;
    };
    const std::vector<Case> cases = {
        {"pageserver storage size", edited("      size: 1Ti\n", "      size: 2Ti\n"), "volumeClaimTemplates changed"},
        {"zone rename", renamed_zone, "pageserver-eu-central-1c leaves the tree: syncs never prune it"},
        {"tenantId", edited("tenantId: 06f89a8f5f6d8a815d2b13beee077f2a", "tenantId: 16f89a8f5f6d8a815d2b13beee077f2a"),
         "tenantId changed"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.what);
      write_text(spec, c.text);
      auto r = generate(repo, {"-f", spec.string()});
      CHECK(r.exit == 1);
      CHECK(r.err.find("needs work by hand") != std::string::npos);
      CHECK(r.err.find(c.finding) != std::string::npos);
      CHECK(r.err.find("--force") != std::string::npos);
      CHECK(trimmed(git(repo, {"rev-parse", "HEAD"}).out) == head);
      CHECK(git(repo, {"status", "--porcelain"}).out.empty());  // nothing written
    }
    // Forced, the commit goes in and its message lists what to do by hand.
    write_text(spec, cases[0].text);
    auto forced = generate(repo, {"-f", spec.string(), "--force"});
    REQUIRE_MESSAGE(forced.exit == 0, forced.err);
    const std::string msg = git(repo, {"log", "-1", "--format=%B"}).out;
    CHECK(msg.find("Committed with --force. A sync cannot do this; do it by hand:") != std::string::npos);
    CHECK(msg.find("StatefulSet/neon-prod/pageserver-eu-central-1a") != std::string::npos);
    CHECK(msg.find("deleted (with --cascade=orphan) and recreated") != std::string::npos);
    // A change with nothing to do by hand commits as before.
    std::string scaled = cases[0].text;
    const auto size_at = scaled.find("            size: 4\n");
    REQUIRE(size_at != std::string::npos);
    scaled.replace(size_at, 20, "            size: 8\n");
    write_text(spec, scaled);
    auto plain = generate(repo, {"-f", spec.string()});
    REQUIRE_MESSAGE(plain.exit == 0, plain.err);
    CHECK(git(repo, {"log", "-1", "--format=%B"}).out.find("by hand") == std::string::npos);
  }

  TEST_CASE("generate: a new repository starts on spec.gitops.revision; another branch is warned about" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("gen-revision");
    const auto repo = dir / "repo";
    const auto spec = dir / "neon.yaml";
    std::string text = read_text(neon::test::source_dir() / "schemas/examples/prod-3-zones.yaml");
    const auto at = text.find("    revision: main\n");
    REQUIRE(at != std::string::npos);
    text.replace(at, 19, "    revision: production\n");
    write_text(spec, text);
    auto r = generate(repo, {"-f", spec.string()});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(trimmed(git(repo, {"branch", "--show-current"}).out) == "production");
    CHECK(r.err.find("warning") == std::string::npos);
    CHECK(r.out.find("push branch production") != std::string::npos);

    write_text(spec, text + "\n# edited\n");
    auto other = generate(repo, {"-f", spec.string(), "--branch", "feature"});
    REQUIRE_MESSAGE(other.exit == 0, other.err);
    CHECK(other.err.find("warning: committed on branch feature, but Argo CD tracks production "
                         "(spec.gitops.revision)") != std::string::npos);
  }
}  // TEST_SUITE
