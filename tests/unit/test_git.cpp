// plugin/adapters/git.hpp and plugin/gitops/repo_lock.hpp against the real git CLI, a bare repository over
// file:// and a smart-HTTP server with basic auth on 127.0.0.1.
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/adapters/git.hpp"
#include "plugin/gitops/repo_lock.hpp"
#include "plugin/gitops/tree_writer.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

extern char** environ;

namespace fs = std::filesystem;
using neon::cli::RepoLock;
using namespace neon::cli::git;
using neon::test::ProcResult;
using neon::test::read_text;
using neon::test::run_process;
using neon::test::ScratchDir;
using neon::test::write_text;

namespace {

using neon::test::git;

const Signature k_author{"Neon Bot", "bot@example.com"};

/// A child process started by this test and stopped (by its pid) when the test ends.
class Child {
public:
  explicit Child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    std::vector<std::string> copy = argv;
    for (auto& a : copy) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    if (posix_spawnp(&m_pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
      m_pid = -1;
    }
  }
  ~Child() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool started() const { return m_pid > 0; }

private:
  pid_t m_pid = -1;
};

std::string wait_for_port(const fs::path& portfile) {
  for (int i = 0; i < 200; ++i) {
    if (fs::exists(portfile)) {
      return neon::test::read_text(portfile);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

Repository committed_repo(const fs::path& dir) {
  bool created = false;
  auto repo = Repository::open_or_init(dir, created);
  REQUIRE(repo);
  write_text(dir / "clusters/dev/a.yaml", "a: 1\n");
  REQUIRE(repo->stage({"clusters/dev/a.yaml"}));
  REQUIRE(repo->commit("first", k_author));
  return std::move(*repo);
}

}  // namespace

TEST_SUITE("gitops") {
  TEST_CASE("git: init on main, stage exactly the given paths, commit" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("git-commit");
    Library lib;
    const auto root = dir / "repo";
    bool created = false;
    auto repo = Repository::open_or_init(root, created);
    REQUIRE(repo);
    CHECK(created);
    CHECK(repo->head_branch() == "main");
    CHECK_FALSE(repo->head_commit());

    write_text(root / "clusters/dev/a.yaml", "a: 1\n");
    write_text(root / "clusters/dev/b.yaml", "b: 1\n");
    write_text(root / "notes.txt", "user file\n");
    auto changed = repo->changed_paths({"clusters/dev/"});
    REQUIRE(changed);
    CHECK(*changed == std::vector<std::string>{"clusters/dev/a.yaml", "clusters/dev/b.yaml"});

    REQUIRE(repo->stage({"clusters/dev/a.yaml", "clusters/dev/b.yaml", "clusters/dev/gone.yaml"}));
    auto staged = repo->staged_changes();
    REQUIRE(staged);
    CHECK(staged->size() == 2);
    auto id = repo->commit("neon(dev): add 2 files", k_author);
    REQUIRE(id);
    CHECK(repo->head_commit() == *id);

    const auto show = git(root, {"show", "--stat", "--format=%an <%ae>%n%s", "HEAD"});
    REQUIRE(show.exit == 0);
    CHECK(show.out.find("Neon Bot <bot@example.com>") != std::string::npos);
    CHECK(show.out.find("neon(dev): add 2 files") != std::string::npos);
    CHECK(show.out.find("clusters/dev/a.yaml") != std::string::npos);
    CHECK(show.out.find("notes.txt") == std::string::npos);
    CHECK(git(root, {"status", "--porcelain"}).out == "?? notes.txt\n");
    CHECK(git(root, {"fsck", "--strict"}).exit == 0);

    // A removed file is staged as a deletion.
    fs::remove(root / "clusters/dev/b.yaml");
    REQUIRE(repo->stage({"clusters/dev/b.yaml"}));
    REQUIRE(repo->commit("neon(dev): remove 1 file", k_author));
    CHECK(git(root, {"ls-files"}).out == "clusters/dev/a.yaml\n");
    auto tree = repo->read_tree("HEAD", "clusters/");
    REQUIRE(tree);
    CHECK(tree->size() == 1);
    CHECK(tree->at("clusters/dev/a.yaml") == "a: 1\n");
    auto first = repo->read_tree("HEAD~1", "clusters/dev/");
    REQUIRE(first);
    CHECK(first->size() == 2);
  }

  TEST_CASE("git: open_or_init refuses a non-empty folder that is not a repository") {
    ScratchDir dir("git-notrepo");
    Library lib;
    write_text(dir / "plain/file.txt", "x\n");
    bool created = false;
    auto repo = Repository::open_or_init(dir / "plain", created);
    REQUIRE_FALSE(repo);
    CHECK(repo.error().message.find("not a Git repository") != std::string::npos);
  }

  TEST_CASE("git: config and signatures" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("git-config");
    Library lib;
    auto repo = committed_repo(dir / "repo");
    REQUIRE(git(dir / "repo", {"config", "user.name", "Config Name"}).exit == 0);
    CHECK(repo.config_string("user.name") == std::string("Config Name"));
    CHECK_FALSE(repo.config_string("neon.nothing"));
    auto sig = parse_signature("Ada Lovelace <ada@example.com>");
    REQUIRE(sig);
    CHECK(sig->name == "Ada Lovelace");
    CHECK(sig->email == "ada@example.com");
    CHECK_FALSE(parse_signature("no email"));
    CHECK_FALSE(parse_signature("<only@email>"));
  }

  TEST_CASE("git: new branch starts at HEAD and leaves the old branch alone" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("git-branch");
    Library lib;
    auto repo = committed_repo(dir / "repo");
    const auto base = *repo.head_commit();
    REQUIRE(repo.switch_to_new_branch("neon/dev-update"));
    CHECK(repo.head_branch() == "neon/dev-update");
    write_text(dir / "repo/clusters/dev/a.yaml", "a: 2\n");
    REQUIRE(repo.stage({"clusters/dev/a.yaml"}));
    REQUIRE(repo.commit("change", k_author));
    CHECK(git(dir / "repo", {"rev-parse", "main"}).out == base + "\n");
    CHECK(git(dir / "repo", {"rev-parse", "neon/dev-update~1"}).out == base + "\n");
    CHECK_FALSE(repo.switch_to_new_branch("bad..name"));
  }

  TEST_CASE("git: push to a bare repository over file:// and detect non-fast-forward" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("git-push-file");
    Library lib;
    REQUIRE(git(dir.path(), {"init", "--bare", "-q", "-b", "main", "remote.git"}).exit == 0);
    auto repo = committed_repo(dir / "repo");
    const std::string url = "file://" + (dir / "remote.git").string();
    REQUIRE(git(dir / "repo", {"remote", "add", "origin", url}).exit == 0);
    auto pushed = repo.push("origin", "main", {});
    REQUIRE_MESSAGE(pushed.status == PushStatus::ok, pushed.message);
    CHECK(git(dir / "remote.git", {"rev-parse", "main"}).out == *repo.head_commit() + "\n");

    // Someone else pushes first: our next push is refused as non-fast-forward, then fetch and
    // reset bring us onto their tip and a rebuilt commit goes through.
    REQUIRE(git(dir.path(), {"clone", "-q", url, "other"}).exit == 0);
    write_text(dir / "other/README.md", "theirs\n");
    REQUIRE(git(dir / "other", {"add", "README.md"}).exit == 0);
    REQUIRE(git(dir / "other", {"commit", "-q", "-m", "theirs"}).exit == 0);
    REQUIRE(git(dir / "other", {"push", "-q", "origin", "main"}).exit == 0);

    write_text(dir / "repo/clusters/dev/a.yaml", "a: 2\n");
    REQUIRE(repo.stage({"clusters/dev/a.yaml"}));
    REQUIRE(repo.commit("ours", k_author));
    auto refused = repo.push("origin", "main", {});
    CHECK(refused.status == PushStatus::non_fast_forward);

    auto tip = repo.fetch("origin", "main", {});
    REQUIRE(tip);
    REQUIRE(repo.reset_to(*tip));
    CHECK(neon::test::read_text(dir / "repo/README.md") == "theirs\n");
    write_text(dir / "repo/clusters/dev/a.yaml", "a: 2\n");
    REQUIRE(repo.stage({"clusters/dev/a.yaml"}));
    REQUIRE(repo.commit("ours again", k_author));
    auto again = repo.push("origin", "main", {});
    REQUIRE_MESSAGE(again.status == PushStatus::ok, again.message);
    CHECK(git(dir / "remote.git", {"log", "--format=%s", "main"}).out == "ours again\ntheirs\nfirst\n");
    CHECK(git(dir / "remote.git", {"fsck", "--strict"}).exit == 0);
  }

  TEST_CASE("git: push over smart HTTP with basic auth" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    NEON_REQUIRE_TOOL("python3");
    ScratchDir dir("git-push-http");
    Library lib;
    REQUIRE(git(dir.path(), {"init", "--bare", "-q", "-b", "main", "srv/remote.git"}).exit == 0);
    REQUIRE(git(dir / "srv/remote.git", {"config", "http.receivepack", "true"}).exit == 0);
    const auto script = neon::test::source_dir() / "tests/support/git_http_server.py";
    Child server({"python3", script.string(), (dir / "srv").string(), (dir / "port").string(), "neon:s3cret"});
    REQUIRE(server.started());
    const std::string port = wait_for_port(dir / "port");
    REQUIRE_FALSE(port.empty());

    auto repo = committed_repo(dir / "repo");
    REQUIRE(git(dir / "repo", {"remote", "add", "origin", "http://127.0.0.1:" + port + "/remote.git"}).exit == 0);

    SUBCASE("no token: a clear authentication failure") {
      auto r = repo.push("origin", "main", {});
      CHECK(r.status == PushStatus::auth);
    }
    SUBCASE("wrong token: gives up after three attempts") {
      Credentials creds;
      creds.username = "neon";
      creds.token = "wrong";
      auto r = repo.push("origin", "main", creds);
      CHECK(r.status == PushStatus::auth);
      CHECK(r.message.find("3 attempts") != std::string::npos);
    }
    SUBCASE("right token") {
      Credentials creds;
      creds.username = "neon";
      creds.token = "s3cret";
      auto r = repo.push("origin", "main", creds);
      REQUIRE_MESSAGE(r.status == PushStatus::ok, r.message);
      CHECK(git(dir / "srv/remote.git", {"rev-parse", "main"}).out == *repo.head_commit() + "\n");
      auto tip = repo.fetch("origin", "main", creds);
      REQUIRE(tip);
      CHECK(*tip == *repo.head_commit());
    }
  }

  TEST_CASE("repo lock: exclusive, released, a left-over lock file taken over") {
    ScratchDir dir("git-lock");
    {
      auto first = RepoLock::acquire(dir.path());
      REQUIRE(first);
      CHECK(fs::exists(dir / neon::cli::k_lock_file));
      auto second = RepoLock::acquire(dir.path());
      REQUIRE_FALSE(second);
      CHECK(second.error().message.find(fmt::format("another kubectl-neon (pid {}) is writing this repository",
                                                    getpid())) != std::string::npos);
    }
    CHECK(RepoLock::acquire(dir.path()));

    // A lock file whose writer was killed, its pid since reused by a live process (here: this one).
    write_text(dir / neon::cli::k_lock_file, std::to_string(getpid()) + "\n");
    CHECK(RepoLock::acquire(dir.path()));
  }

  TEST_CASE("repo lock: racing writers over a left-over lock file, never two holders at once") {
    // A dead process's lock file: with a pid file and a staleness check, two racers could both find
    // it stale, one remove the other's new lock, and both go on.
    ScratchDir dir("git-lock-race");
    pid_t child = fork();
    if (child == 0) {
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    std::atomic<int> holders{0};
    std::atomic<int> overlap{0};
    std::atomic<int> taken{0};
    for (int round = 0; round < 50; ++round) {
      write_text(dir / neon::cli::k_lock_file, std::to_string(child) + "\n");
      std::atomic<int> ready{0};
      std::vector<std::thread> racers;
      for (int t = 0; t < 4; ++t) {
        racers.emplace_back([&] {
          ready++;
          while (ready.load() < 4) {
          }
          auto lock = RepoLock::acquire(dir.path());
          if (lock) {
            taken++;
            if (++holders > 1) {
              overlap++;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            holders--;
          }
        });
      }
      for (auto& r : racers) {
        r.join();
      }
    }
    CHECK(overlap.load() == 0);
    CHECK(taken.load() >= 50);
  }

  TEST_CASE("generate: a symbolic link inside the cluster folder is refused, nothing written through it" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("git-symlink");
    const auto repo = dir / "repo";
    REQUIRE(git(dir.path(), {"init", "-q", "-b", "main", "repo"}).exit == 0);
    fs::create_directories(dir / "outside");
    fs::create_directories(repo / "clusters/dev");
    fs::create_symlink(dir / "outside", repo / "clusters/dev/storage");
    auto env = neon::test::k_git_env;
    const auto r = run_process({NEON_BINARY, "generate", "--repo", repo.string()}, dir.path(), env);
    CHECK(r.exit == 1);
    CHECK_MESSAGE(
        r.err.find("refusing to write under clusters/dev/storage: it is a symbolic link") != std::string::npos, r.err);
    CHECK(fs::is_empty(dir / "outside"));
    CHECK(git(repo, {"rev-parse", "--verify", "-q", "HEAD"}).exit != 0);

    // The same with the link higher up: clusters/ itself.
    fs::remove(repo / "clusters/dev/storage");
    fs::remove_all(repo / "clusters");
    fs::create_symlink(dir / "outside", repo / "clusters");
    const auto up = run_process({NEON_BINARY, "generate", "--repo", repo.string()}, dir.path(), env);
    CHECK(up.exit == 1);
    CHECK_MESSAGE(up.err.find("refusing to write under clusters: it is a symbolic link") != std::string::npos, up.err);
    CHECK(fs::is_empty(dir / "outside"));
  }

  TEST_CASE("tree_writer: staging files a killed run left are removed, not taken for user files") {
    ScratchDir dir("git-staging");
    const neon::cli::TreeScope scope{"clusters/a", {}};
    const neon::gen::FileTree tree{{"clusters/a/x.yaml", std::string(neon::gen::k_generated_header) + "x: 1\n"}};
    write_text(dir / "clusters/a/x.yaml.kubectl-neon-staged", std::string(neon::gen::k_generated_header) + "x: 0\n");
    write_text(dir / "clusters/a/sub/y.yaml.kubectl-neon-staged", "y\n");
    REQUIRE(neon::cli::discard_staging(dir.path(), "clusters/a"));
    CHECK_FALSE(fs::exists(dir / "clusters/a/x.yaml.kubectl-neon-staged"));
    CHECK_FALSE(fs::exists(dir / "clusters/a/sub/y.yaml.kubectl-neon-staged"));
    write_text(dir / "clusters/a/z.yaml.kubectl-neon-staged", "z\n");
    auto report = neon::cli::write_tree(tree, dir.path(), scope);
    REQUIRE(report);
    CHECK(report->removed.empty());
    CHECK_FALSE(fs::exists(dir / "clusters/a/z.yaml.kubectl-neon-staged"));
    CHECK(read_text(dir / "clusters/a/x.yaml") == tree.at("clusters/a/x.yaml"));
  }

}  // TEST_SUITE
