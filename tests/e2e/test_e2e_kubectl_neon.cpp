// The e2e tier: the real `kubectl neon`, found by kubectl's plugin discovery (PATH starts with the
// build's bin/, which holds kubectl-neon), taken through a user's first session: init, validate,
// generate into a new repository (checked with the git CLI), render (equal to `kubectl kustomize`
// of the generated cluster folder), diff after a spec change, and status against a loopback fake
// storage controller. ctest runs it as the entry `e2e` (`neon_tests -ts=e2e`).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/emit.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"
#include "tests/support/same_objects.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;

namespace {

using neon::test::ProcResult;

/// A user's shell: PATH with the build's bin/ first, no kubeconfig, a fixed git identity.
class Shell {
public:
  explicit Shell(const fs::path& home) {
    const fs::path bin = NEON_BIN_DIR;
    REQUIRE_MESSAGE(fs::exists(bin / "kubectl-neon"), (bin / "kubectl-neon").string() << " is not built");
    const char* path = std::getenv("PATH");
    m_env = neon::test::k_git_env;
    m_env["PATH"] = bin.string() + ":" + (path ? path : "/usr/bin:/bin");
    m_env["KUBECONFIG"] = (home / "no-kubeconfig").string();
    m_env["NO_COLOR"] = "1";
    m_env["HOME"] = home.string();
  }

  ProcResult run(const fs::path& cwd, std::vector<std::string> argv) const {
    return neon::test::run_process(argv, cwd, m_env);
  }

  ProcResult neon(const fs::path& cwd, std::vector<std::string> args) const {
    args.insert(args.begin(), {"kubectl", "neon"});
    return run(cwd, args);
  }

  ProcResult git(const fs::path& repo, std::vector<std::string> args) const {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    return run(repo, args);
  }

private:
  std::map<std::string, std::string> m_env;
};

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

TEST_SUITE("e2e") {
  TEST_CASE("kubectl neon: init, validate, generate, render, diff and status through kubectl's plugin discovery") {
    NEON_REQUIRE_TOOL("kubectl");
    NEON_REQUIRE_TOOL("git");
    neon::test::ScratchDir dir("e2e");
    const fs::path work = dir / "work";
    const fs::path repo = dir / "gitops";
    fs::create_directories(work);
    const Shell sh(dir.path());

    // kubectl finds the plugin in the build's bin/.
    auto r = sh.run(work, {"kubectl", "plugin", "list"});
    INFO(r.err);
    CHECK(r.out.find((fs::path(NEON_BIN_DIR) / "kubectl-neon").string()) != std::string::npos);

    // init writes the dev starter with fresh IDs, and never over a file.
    r = sh.neon(work, {"init"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    REQUIRE(fs::exists(work / "neon.yaml"));
    auto spec_docs = neon::gen::parse_yaml_stream(neon::test::read_text(work / "neon.yaml"));
    REQUIRE(spec_docs);
    REQUIRE(spec_docs->size() == 1);
    const auto& spec = spec_docs->front();
    const std::string name = spec["metadata"]["name"].get<std::string>();
    const std::string tenant = spec["spec"]["projects"][0]["tenantId"].get<std::string>();
    const std::string project = spec["spec"]["projects"][0]["name"].get<std::string>();
    const std::string cluster = "clusters/" + name;
    CHECK(sh.neon(work, {"init"}).exit != 0);

    // validate reads ./neon.yaml; a broken spec is exit 1.
    r = sh.neon(work, {"validate"});
    CHECK_MESSAGE(r.exit == 0, r.err);
    neon::test::write_text(work / "broken.yaml", "apiVersion: kubectl-neon.io/v1alpha1\nkind: NeonCluster\n");
    r = sh.neon(work, {"validate", "-f", "broken.yaml"});
    CHECK(r.exit == 1);
    CHECK_FALSE(r.err.empty());

    // generate creates the repository and commits the cluster folder, nothing else.
    r = sh.neon(work, {"generate", "--repo", repo.string()});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(trimmed(sh.git(repo, {"rev-list", "--count", "HEAD"}).out) == "1");
    CHECK(trimmed(sh.git(repo, {"symbolic-ref", "--short", "HEAD"}).out) == "main");
    CHECK(sh.git(repo, {"log", "-1", "--format=%s"}).out.rfind("neon(" + name + "): ", 0) == 0);
    CHECK(sh.git(repo, {"status", "--porcelain"}).out.empty());
    CHECK(sh.git(repo, {"fsck", "--strict"}).exit == 0);
    const auto files = sh.git(repo, {"ls-files"}).out;
    CHECK(files.find(cluster + "/kustomization.yaml\n") != std::string::npos);
    CHECK(sh.git(repo, {"show", "HEAD:" + cluster + "/neon.yaml"}).out.find(tenant) != std::string::npos);
    for (std::size_t at = 0, next = 0; (next = files.find('\n', at)) != std::string::npos; at = next + 1) {
      CHECK(files.compare(at, cluster.size() + 1, cluster + "/") == 0);
    }

    // render prints what kubectl kustomize builds from the committed cluster folder.
    const auto rendered = sh.neon(work, {"render"});
    REQUIRE_MESSAGE(rendered.exit == 0, rendered.err);
    const auto built = sh.run(repo, {"kubectl", "kustomize", cluster});
    REQUIRE_MESSAGE(built.exit == 0, built.err);
    neon::test::check_same_objects(neon::test::parse_objects(built.out), neon::test::parse_objects(rendered.out));

    // diff: the spec as committed is no change; a second pageserver shows as the StatefulSet's replicas.
    r = sh.neon(work, {"diff", "--repo", repo.string(), "-f", "neon.yaml"});
    CHECK_MESSAGE(r.exit == 0, r.err);
    CHECK(r.out.find("no changes") != std::string::npos);
    std::string text = neon::test::read_text(work / "neon.yaml");
    const std::string from = "  pageservers:\n    count: 1\n";
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), "  pageservers:\n    count: 2\n");
    neon::test::write_text(work / "neon.yaml", text);
    r = sh.neon(work, {"diff", "--repo", repo.string(), "-f", "neon.yaml"});
    CHECK_MESSAGE(r.exit == 1, r.err);
    CHECK(r.out.find("StatefulSet/neon/pageserver") != std::string::npos);
    CHECK(r.out.find("\n-  replicas: 1\n+  replicas: 2\n") != std::string::npos);

    // status against the fake controller names the tenant from ./neon.yaml.
    neon::test::FakeStorcon controller;
    controller.add_node(1, "az-a");
    controller.add_node(2, "az-b");
    controller.add_safekeeper(1, "az-a");
    controller.add_tenant(tenant, 1, 1);
    r = sh.neon(work, {"status", "--storage-controller", controller.url(), "-o", "json"});
    INFO(r.err);
    REQUIRE(r.exit == 0);
    const auto status = nlohmann::json::parse(r.out);
    CHECK(status["pageservers"].size() == 2);
    REQUIRE(status["tenants"].size() == 1);
    CHECK(status["tenants"][0]["tenant_id"] == tenant);
    CHECK(status["tenants"][0]["name"] == project);
    CHECK(status["health"]["status"] == "healthy");
    r = sh.neon(work, {"status", "--storage-controller", controller.url()});
    CHECK(r.exit == 0);
    CHECK(r.out.find("healthy: 2 pageservers, 1 safekeeper, 1 tenant") != std::string::npos);
  }
}
