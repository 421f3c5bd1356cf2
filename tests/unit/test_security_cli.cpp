// The CLI side of issue 20, item 10: validate refuses a prod spec without NetworkPolicies unless
// --allow-insecure, and `secrets init -o yaml` redirected to a file leaves it readable by the
// owner alone.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support/replaced.hpp"
#include "tests/support/run.hpp"

namespace {

using neon::test::replaced;

namespace fs = std::filesystem;
using neon::test::read_text;
using neon::test::run_cli;
using neon::test::ScratchDir;
using neon::test::write_text;

/// Runs the built kubectl-neon with standard output sent to `out` (created 0644, as a shell would).
int run_binary_to_file(const std::vector<std::string>& args, const fs::path& out) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0) {
      ::_exit(126);
    }
    std::vector<char*> argv{const_cast<char*>(NEON_BINARY)};
    for (const auto& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    ::execv(NEON_BINARY, argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_SUITE("security") {
  TEST_CASE("validate refuses networkPolicies.enabled: false in prod unless --allow-insecure") {
    ScratchDir dir("validate-insecure");
    const std::string prod = read_text(fs::path(NEON_SOURCE_DIR) / "schemas/starters/prod.yaml");
    write_text(dir / "neon.yaml",
               replaced(prod, "  networkPolicies:\n    enabled: true", "  networkPolicies:\n    enabled: false"));
    const std::string file = (dir / "neon.yaml").string();
    auto refused = run_cli({"validate", "-f", file});
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("error: spec.networkPolicies.enabled: false in the prod profile") != std::string::npos);
    CHECK(refused.err.find("--allow-insecure") != std::string::npos);
    auto allowed = run_cli({"validate", "-f", file, "--allow-insecure"});
    CHECK_MESSAGE(allowed.exit == 0, allowed.err);
    CHECK(allowed.err.find("warning: spec.networkPolicies.enabled") != std::string::npos);
    // The starter as shipped (policies on) and a dev spec without them pass as before.
    write_text(dir / "prod.yaml", prod);
    CHECK(run_cli({"validate", "-f", (dir / "prod.yaml").string()}).exit == 0);
  }

  TEST_CASE("secrets init -o yaml redirected to a file makes it 0600") {
    ScratchDir dir("secrets-yaml-0600");
    const fs::path out = dir / "secrets.yaml";
    const int exit = run_binary_to_file(
        {"secrets", "init", "-f", (fs::path(NEON_SOURCE_DIR) / "schemas/examples/dev-minio-argocd.yaml").string(), "-o",
         "yaml"},
        out);
    REQUIRE(exit == 0);
    struct stat st {};
    REQUIRE(::stat(out.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(read_text(out).find("kind: Secret") != std::string::npos);
  }
}
