// connection-string, psql and secrets init for roles, through the built binary; the cluster is
// the project's fake Kubernetes API.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "plugin/adapters/base64.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/kube_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

namespace fs = std::filesystem;
using neon::test::run_cli;

std::string starter() { return neon::test::read_text(fs::path(NEON_SOURCE_DIR) / "schemas/starters/dev.yaml"); }

std::string transcript(const neon::test::CliResult& r) {
  return fmt::format("--- exit\n{}\n--- stdout\n{}--- stderr\n{}", r.exit, r.out, r.err);
}

/// The dev starter against the fake Kubernetes API.
struct Kube : neon::test::KubeCli {
  explicit Kube(const std::string& name) : KubeCli(name, starter()) {}
};

}  // namespace

TEST_SUITE("connect") {
  TEST_CASE("secrets init creates the role Secret; connection-string reads it" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube k("connect-secrets");
    auto init = k.run({"secrets", "init"});
    REQUIRE_MESSAGE(init.exit == 0, init.err);
    auto s = k.secret("app-main-app");
    const std::string password = s["password"];
    CHECK(password.size() == 32);
    CHECK(s["username"] == "app");
    CHECK(s["host"] == "compute-app-main.neon.svc.cluster.local");
    CHECK(s["port"] == "55433");
    CHECK(s["dbname"] == "app");
    CHECK(s["uri"] == "postgresql://app:" + password + "@compute-app-main.neon.svc.cluster.local:55433/app");
    CHECK(k.fake.secret("neon", "app-main-app")->value("type", "") == "kubernetes.io/basic-auth");
    CHECK(init.out.find(password) == std::string::npos);

    auto masked = k.run({"connection-string", "app/main"});
    CHECK(neon::test::check_golden("cli/connection-string.txt", transcript(masked)) == "");
    auto shown = k.run({"connection-string", "app/main", "--show-password", "-o", "json"});
    REQUIRE_MESSAGE(shown.exit == 0, shown.err);
    auto parts = nlohmann::json::parse(shown.out);
    CHECK(parts["password"] == password);
    CHECK(parts["uri"] == s["uri"]);

    // Kept without --overwrite; replaced with it.
    auto again = k.run({"secrets", "init"});
    REQUIRE(again.exit == 0);
    CHECK(k.secret("app-main-app")["password"] == password);
    REQUIRE(k.run({"secrets", "init", "--overwrite"}).exit == 0);
    CHECK(k.secret("app-main-app")["password"] != password);
  }

  TEST_CASE("connection-string: a Secret of the user's own with just a password; bad input" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube k("connect-own");
    auto missing = k.run({"connection-string", "app/main"});
    CHECK(missing.exit == 1);
    CHECK(missing.err.find("Secret neon/app-main-app does not exist") != std::string::npos);
    k.fake.put_secret("neon", "app-main-app", {{"token", "x"}});
    auto no_password = k.run({"connection-string", "app/main"});
    CHECK(no_password.exit == 1);
    CHECK(no_password.err.find("has no key \"password\"") != std::string::npos);
    k.fake.put_secret("neon", "app-main-app", {{"password", "p@ss word"}});
    auto own = k.run({"connection-string", "app/main", "--show-password"});
    CHECK(own.out == "postgresql://app:p%40ss%20word@compute-app-main.neon.svc.cluster.local:55433/app\n");
    auto role = k.run({"connection-string", "app/main", "--role", "ap"});
    CHECK(role.exit == 1);
    CHECK(role.err.find("branch app/main has no role \"ap\" (did you mean \"app\"?)") != std::string::npos);
    CHECK(k.run({"connection-string", "app/mainn"}).err.find("did you mean \"main\"") != std::string::npos);
    CHECK(k.run({"connection-string", "app/main", "--replica"}).err.find("no read replicas") != std::string::npos);
  }

  TEST_CASE("with compute.pooler: secrets init adds pooler-uri, connection-string --pooler prints it" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube k("connect-pooler");
    auto no_pooler = k.run({"connection-string", "app/main", "--pooler"});
    CHECK(no_pooler.exit == 1);
    CHECK(no_pooler.err.find("branch app/main has no pooler: set compute.pooler: true on it in the spec") !=
          std::string::npos);
    REQUIRE(k.run({"secrets", "init"}).exit == 0);
    CHECK(k.secret("app-main-app").count("pooler-uri") == 0);
    // The pooler turned on later: a rerun adds pooler-uri to the existing Secret, same password.
    std::string spec = starter();
    const std::string size = "            size: 0.25\n";
    spec.insert(spec.find(size) + size.size(), "            pooler: true\n");
    neon::test::write_text(k.dir / "neon.yaml", spec);
    const std::string password = k.secret("app-main-app")["password"];
    auto again = k.run({"secrets", "init"});
    REQUIRE_MESSAGE(again.exit == 0, again.err);
    CHECK(again.out.find("Secret neon/app-main-app exists; added keys: pooler-uri") != std::string::npos);
    auto s = k.secret("app-main-app");
    CHECK(s["password"] == password);
    CHECK(s["pooler-uri"] == "postgresql://app:" + password + "@compute-app-main.neon.svc.cluster.local:6432/app");
    CHECK(again.out.find(password) == std::string::npos);

    auto pooled = k.run({"connection-string", "app/main", "--pooler"});
    CHECK(neon::test::check_golden("cli/connection-string-pooler.txt", transcript(pooled)) == "");
    auto json = k.run({"connection-string", "app/main", "-o", "json"});
    REQUIRE_MESSAGE(json.exit == 0, json.err);
    auto parts = nlohmann::json::parse(json.out);
    CHECK(parts["port"] == 55433);
    CHECK(parts["pooler_port"] == 6432);
    CHECK(parts["pooler_uri"] == "postgresql://app:********@compute-app-main.neon.svc.cluster.local:6432/app");
    auto replica = k.run({"connection-string", "app/main", "--pooler", "--replica"});
    CHECK(replica.err.find("no read replicas") != std::string::npos);

    // A fresh Secret has pooler-uri from the start.
    REQUIRE(k.run({"secrets", "init", "--overwrite"}).exit == 0);
    s = k.secret("app-main-app");
    CHECK(s["pooler-uri"] == "postgresql://app:" + s["password"] + "@compute-app-main.neon.svc.cluster.local:6432/app");
  }

  TEST_CASE("psql --dry-run prints the kubectl exec it would run") {
    const neon::test::ScratchDir dir("connect-psql");
    neon::test::write_text(dir / "neon.yaml", starter());
    auto r = run_cli({"psql", "app/main", "-f", (dir / "neon.yaml").string(), "--kubeconfig", "/home/me/.kube/config",
                      "--context", "prod", "--dry-run", "--", "-c", "select 'a b'"});
    CHECK(neon::test::check_golden("cli/psql-dry-run.txt", transcript(r)) == "");
    auto other = run_cli(
        {"psql", "app/main", "-f", (dir / "neon.yaml").string(), "-n", "db", "--database", "postgres", "--dry-run"});
    CHECK(other.exit == 0);
    CHECK(other.out ==
          "kubectl -n db exec -i deploy/compute-app-main -c compute -- psql -h 127.0.0.1 -p 55433 -U app -d "
          "postgres\n");
    CHECK(run_cli({"psql", "appmain", "--dry-run"}).exit == 2);
    auto db = run_cli({"psql", "app/main", "-f", (dir / "neon.yaml").string(), "--database", "ap", "--dry-run"});
    CHECK(db.exit == 1);
    CHECK(db.err.find("no database \"ap\" (did you mean \"app\"?)") != std::string::npos);
  }
}
