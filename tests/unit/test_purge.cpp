// project delete --purge and branch delete --purge through the real binary, a real Git repository
// and the fake storage controller: the commit first, then the controller's deletes, children first.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "generators/validate.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"
#include "tests/support/sockets.hpp"
#include "tests/support/tools.hpp"

namespace {

namespace fs = std::filesystem;
using neon::test::git;
using neon::test::ProcResult;

ProcResult neon_cli(const fs::path& cwd, std::vector<std::string> args) {
  args.insert(args.begin(), NEON_BINARY);
  return neon::test::run_process(args, cwd, neon::test::k_git_env);
}

/// The tenant and the timelines by branch name of `project` in the spec file.
std::pair<std::string, std::map<std::string, std::string>> ids_of(const fs::path& spec, const std::string& project) {
  auto loaded = neon::gen::load_spec(neon::test::read_text(spec), spec.string());
  REQUIRE(loaded.spec);
  for (const auto& p : (*loaded.spec)->projects) {
    if (p.name == project) {
      std::map<std::string, std::string> timelines;
      for (const auto& b : p.branches) {
        timelines[b.name] = b.timeline_id;
      }
      return {p.tenant_id, timelines};
    }
  }
  FAIL("no project " << project);
  return {};
}

std::vector<std::string> deletes(const neon::test::FakeStorcon& fake) {
  std::vector<std::string> out;
  for (const auto& r : fake.requests()) {
    if (r.method == "DELETE") {
      out.push_back(r.path);
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("purge") {
  TEST_CASE("branch and project delete --purge: commit, then delete through the controller, children first" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    neon::test::ScratchDir dir("purge");
    const auto repo = dir / "repo";
    REQUIRE(neon_cli(dir.path(), {"generate", "--repo", repo.string()}).exit == 0);
    const fs::path spec = repo / "clusters/dev/neon.yaml";
    const std::string f = spec.string();
    REQUIRE(neon_cli(dir.path(), {"project", "create", "shop", "-f", f, "--repo", repo.string()}).exit == 0);
    REQUIRE(neon_cli(dir.path(), {"branch", "create", "shop/dev", "-f", f, "--repo", repo.string()}).exit == 0);
    const auto [tenant, timelines] = ids_of(spec, "shop");
    neon::test::FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_tenant(tenant, 1, 0);
    fake.add_timeline(tenant, timelines.at("main"));
    fake.add_timeline(tenant, timelines.at("dev"), timelines.at("main"));
    const std::vector<std::string> controller = {"--storage-controller", fake.url()};
    const auto with = [&](std::vector<std::string> args) {
      args.insert(args.end(), controller.begin(), controller.end());
      return args;
    };
    const std::string before = neon::test::read_text(spec);
    const std::string head = git(repo, {"rev-parse", "HEAD"}).out;

    // A branch others start from, no --yes without a terminal, --no-commit: refused, nothing changes.
    auto parent = neon_cli(
        dir.path(), with({"branch", "delete", "shop/main", "--purge", "--yes", "-f", f, "--repo", repo.string()}));
    CHECK(parent.exit == 1);
    CHECK(parent.err.find("branch shop/main has child branches (dev): delete them first") != std::string::npos);
    auto unasked =
        neon_cli(dir.path(), with({"branch", "delete", "shop/dev", "--purge", "-f", f, "--repo", repo.string()}));
    CHECK(unasked.exit == 2);
    CHECK(unasked.err.find("refusing to purge without --yes when stdin is not a terminal") != std::string::npos);
    auto uncommitted = neon_cli(dir.path(), with({"branch", "delete", "shop/dev", "--purge", "--yes", "--no-commit",
                                                  "-f", f, "--repo", repo.string()}));
    CHECK(uncommitted.exit == 2);
    CHECK(neon::test::read_text(spec) == before);
    CHECK(git(repo, {"rev-parse", "HEAD"}).out == head);
    CHECK(deletes(fake).empty());

    auto branch = neon_cli(
        dir.path(), with({"branch", "delete", "shop/dev", "--purge", "--yes", "-f", f, "--repo", repo.string()}));
    INFO(branch.err);
    CHECK(branch.exit == 0);
    CHECK(git(repo, {"log", "-1", "--format=%s"}).out.rfind("neon(dev): remove branch shop/dev", 0) == 0);
    CHECK(deletes(fake) ==
          std::vector<std::string>{fmt::format("/v1/tenant/{}/timeline/{}", tenant, timelines.at("dev"))});
    CHECK_FALSE(fake.timelines(tenant).contains(timelines.at("dev")));

    // A timeline made by hand under main goes too: the controller's list, children first.
    fake.add_timeline(tenant, "8a7b6c5d4e3f40218f9e8d7c6b5a4938", timelines.at("main"));
    fake.clear_requests();
    auto project =
        neon_cli(dir.path(), with({"project", "delete", "shop", "--purge", "--yes", "-f", f, "--repo", repo.string()}));
    INFO(project.err);
    CHECK(project.exit == 0);
    CHECK(deletes(fake) ==
          std::vector<std::string>{fmt::format("/v1/tenant/{}/timeline/8a7b6c5d4e3f40218f9e8d7c6b5a4938", tenant),
                                   fmt::format("/v1/tenant/{}/timeline/{}", tenant, timelines.at("main")),
                                   fmt::format("/v1/tenant/{}", tenant)});
    CHECK(fake.tenant(tenant).is_null());
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
  }

  TEST_CASE("delete --purge with the controller down: the commit stands, the hint names sync --prune" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    neon::test::ScratchDir dir("purge-down");
    const auto repo = dir / "repo";
    REQUIRE(neon_cli(dir.path(), {"generate", "--repo", repo.string()}).exit == 0);
    const std::string f = (repo / "clusters/dev/neon.yaml").string();
    REQUIRE(neon_cli(dir.path(), {"project", "create", "shop", "-f", f, "--repo", repo.string()}).exit == 0);
    const std::string closed = fmt::format("http://127.0.0.1:{}", neon::test::closed_port());
    auto r = neon_cli(dir.path(), {"project", "delete", "shop", "--purge", "--yes", "-f", f, "--repo", repo.string(),
                                   "--storage-controller", closed, "--request-timeout", "2s"});
    CHECK(r.exit == 3);
    CHECK(git(repo, {"log", "-1", "--format=%s"}).out.rfind("neon(dev): remove project shop", 0) == 0);
    CHECK(r.err.find("sync -f " + f + " --prune") != std::string::npos);
  }
}
