// The built binary as a real kubectl plugin: discovered by `kubectl plugin list`, run by
// `kubectl neon`, and completed through kubectl_complete-neon (kubectl 1.26+).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;

namespace {

/// A PATH whose first entry holds only links to the built plugin and its completion shim.
class PluginPath {
public:
  PluginPath() : m_dir("plugin-kubectl") {
    const fs::path bin = NEON_BIN_DIR;
    for (const char* name : {"kubectl-neon", "kubectl_complete-neon"}) {
      REQUIRE_MESSAGE(fs::exists(bin / name), (bin / name).string() << " is not built");
      fs::create_symlink(bin / name, m_dir / name);
    }
    const char* path = std::getenv("PATH");
    m_env["PATH"] = m_dir.path().string() + ":" + (path ? path : "/usr/bin:/bin");
    // No kubeconfig is needed for any of this; keep the user's out of the picture.
    m_env["KUBECONFIG"] = (m_dir / "no-kubeconfig").string();
    m_env["NO_COLOR"] = "1";
  }

  neon::test::ProcResult kubectl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"kubectl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return neon::test::run_process(argv, m_dir.path(), m_env);
  }

  fs::path dir() const { return m_dir.path(); }

private:
  neon::test::ScratchDir m_dir;
  std::map<std::string, std::string> m_env;
};

}  // namespace

TEST_SUITE("plugin-kubectl") {
  TEST_CASE("kubectl finds, runs and completes the plugin" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("kubectl");
    PluginPath p;

    auto r = p.kubectl({"plugin", "list"});
    CAPTURE(r.err);
    CHECK(r.out.find((p.dir() / "kubectl-neon").string()) != std::string::npos);
    // The completion shim is not a plugin (no kubectl- prefix), so kubectl does not list it.
    CHECK(r.out.find("kubectl_complete-neon") == std::string::npos);

    r = p.kubectl({"neon", "version"});
    CHECK(r.exit == 0);
    CHECK(r.out.rfind("kubectl-neon v", 0) == 0);

    // kubectl execs the plugin, so usage errors keep their exit status and the plugin-mode name.
    r = p.kubectl({"neon", "valdate"});
    CHECK(r.exit == 2);
    CHECK(r.err.find("unknown command \"valdate\" (did you mean \"validate\"?)") != std::string::npos);
    CHECK(r.err.find("See 'kubectl neon --help'") != std::string::npos);

    r = p.kubectl({"neon", "--help"});
    CHECK(r.exit == 0);
    CHECK(r.out.find("kubectl neon <command> [flags]") != std::string::npos);

    r = p.kubectl({"__complete", "neon", ""});
    CHECK(r.exit == 0);
    for (const char* cmd : {"init\n", "validate\n", "generate\n", "status\n", "version\n"}) {
      CHECK(r.out.find(cmd) != std::string::npos);
    }
    CHECK(r.out.find("__complete") == std::string::npos);
    REQUIRE(r.out.size() >= 3);
    CHECK(r.out.substr(r.out.size() - 3) == ":4\n");

    r = p.kubectl({"__complete", "neon", "gen"});
    CHECK(r.exit == 0);
    CHECK(r.out.find("generate\n") != std::string::npos);
    CHECK(r.out.find("validate\n") == std::string::npos);
    CHECK(r.out.substr(r.out.size() - 3) == ":4\n");

    r = p.kubectl({"__complete", "neon", "init", "--profile", ""});
    CHECK(r.exit == 0);
    CHECK(r.out.find("dev\nprod\n") != std::string::npos);
  }
}
