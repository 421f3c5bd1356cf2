// Issue 16 from the user's side, through the built binary against the fake Kubernetes API:
// connection-string through the proxy, suspend and resume, and what status says of the proxy
// certificate and of sleeping computes.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "plugin/commands/proxy_checks.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/kube_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

namespace fs = std::filesystem;
using neon::test::run_cli;

std::string transcript(const neon::test::CliResult& r) {
  return fmt::format("--- exit\n{}\n--- stdout\n{}--- stderr\n{}", r.exit, r.out, r.err);
}

/// The serverless example (app/main suspends after 10m; app/preview has a pooler, never suspends)
/// against the fake Kubernetes API, with the role Secrets and the compute Deployments.
struct Kube : neon::test::KubeCli {
  explicit Kube(const std::string& name)
      : KubeCli(name, neon::test::read_text(fs::path(NEON_SOURCE_DIR) / "schemas/examples/serverless-argocd.yaml")) {
    fake.put_secret("neon", "app-main-app", {{"password", "s3cret"}});
    fake.put_secret("neon", "app-preview-app", {{"password", "s3cret"}});
    for (const char* d : {"compute-app-main", "compute-app-preview"}) {
      fake.workloads().add_deployment("neon", d, {{"app.kubernetes.io/component", "compute"}}, 1, 1, 1);
    }
  }
};

/// A self-signed certificate with `subject` (openssl's -subj form), PEM.
std::string certificate(const neon::test::ScratchDir& dir, const std::string& subject) {
  const auto key = dir / "proxy.key";
  const auto crt = dir / "proxy.crt";
  auto r = neon::test::run_process({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", subject, "-keyout",
                                    key.string(), "-out", crt.string()});
  REQUIRE_MESSAGE(r.exit == 0, r.err);
  return neon::test::read_text(crt);
}

}  // namespace

TEST_SUITE("serverless cli") {
  TEST_CASE("connection-string names the proxy endpoint with sslmode=require; --direct and --pooler" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube k("serverless-connect");
    std::string all;
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"connection-string", "app/main"},
             {"connection-string", "app/main", "--direct"},
             {"connection-string", "app/preview", "--pooler"},
             {"connection-string", "app/preview", "-o", "json"},
             {"connection-string", "app/main", "--pooler"},
         }) {
      auto r = k.run(args);
      all += fmt::format("$ {}\n{}\n", fmt::join(args, " "), transcript(r));
    }
    CHECK(neon::test::check_golden("cli/connection-string-proxy.txt", all) == "");
    CHECK(all.find("s3cret") == std::string::npos);
  }

  TEST_CASE("suspend and resume scale a suspendable compute; other branches are refused" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube k("serverless-suspend");
    auto& w = k.fake.workloads();
    auto suspend = k.run({"suspend", "app/main"});
    CHECK_MESSAGE(suspend.exit == 0, suspend.err);
    CHECK(w.replicas("neon", "compute-app-main") == 0);
    CHECK(suspend.err == "deployment neon/compute-app-main suspended\n");
    auto again = k.run({"suspend", "app/main"});
    CHECK(again.exit == 0);
    CHECK(again.err == "deployment neon/compute-app-main was already suspended\n");
    auto resume = k.run({"resume", "app/main"});  // waits: the fake reports it available
    CHECK_MESSAGE(resume.exit == 0, resume.err);
    CHECK(w.replicas("neon", "compute-app-main") == 1);
    CHECK(resume.err.find("compute app/main is ready") != std::string::npos);

    auto other = k.run({"suspend", "app/preview"});
    CHECK(other.exit == 1);
    CHECK(other.err.find("branch app/preview is not suspendable: set compute.suspendAfter") != std::string::npos);
    CHECK(w.replicas("neon", "compute-app-preview") == 1);
    auto typo = k.run({"resume", "app/mainn"});
    CHECK(typo.exit == 1);
    CHECK(typo.err.find("no branch \"mainn\" in project \"app\" (did you mean \"main\"?)") != std::string::npos);
    auto usage = k.run({"suspend", "main"});
    CHECK(usage.exit == 2);
    std::size_t patches = 0;
    for (const auto& r : k.fake.requests()) {
      patches += r.method == "PATCH" ? 1 : 0;
    }
    CHECK(patches == 2);  // one suspend, one resume: nothing for the no-ops and the refusals
  }

  TEST_CASE("the proxy certificate's subject: exactly CN=*.<domain>" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    neon::test::ScratchDir dir("proxy-cert");
    using neon::cli::proxy::certificate_problem;
    neon::gen::ProxySpec proxy;
    proxy.enabled = true;
    proxy.domain = "db.example.com";
    proxy.tls_secret = "my-wildcard";
    neon::cli::kube::Secret good;
    good.name = "my-wildcard";
    good.data["tls.crt"] = certificate(dir, "/CN=*.db.example.com");
    CHECK(neon::cli::proxy::certificate_subject(good.data["tls.crt"]) == "CN=*.db.example.com");
    CHECK_FALSE(certificate_problem(proxy, good));
    neon::cli::kube::Secret extra = good;
    extra.data["tls.crt"] = certificate(dir, "/O=Acme/CN=*.db.example.com");
    auto p = certificate_problem(proxy, extra);
    REQUIRE(p);
    CHECK(*p ==
          "proxy certificate my-wildcard: its subject is CN=*.db.example.com,O=Acme, and the proxy needs exactly "
          "CN=*.db.example.com: it takes the routing domain from the subject (proxy/src/tls/server_config.rs:171-192)");
    neon::cli::kube::Secret other = good;
    other.data["tls.crt"] = certificate(dir, "/CN=*.example.org");
    CHECK(certificate_problem(proxy, other));
    CHECK(*certificate_problem(proxy, std::nullopt) == "proxy certificate: Secret my-wildcard does not exist");
    proxy.tls_secret.clear();
    proxy.issuer_name = "letsencrypt";
    CHECK(*certificate_problem(proxy, std::nullopt) ==
          "proxy certificate: Secret neon-proxy-tls does not exist yet (cert-manager has not issued the Certificate)");
    neon::cli::kube::Secret junk;
    junk.data["tls.crt"] = "not a certificate";
    CHECK(*certificate_problem(proxy, junk) ==
          "proxy certificate: tls.crt of Secret neon-proxy-tls is not a PEM "
          "certificate");
  }

  TEST_CASE("status lists sleeping computes and a missing proxy certificate" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube k("serverless-status");
    k.fake.workloads().add_deployment("neon", "compute-app-dev", {{"app.kubernetes.io/component", "compute"}}, 0, 0, 0);
    neon::test::FakeStorcon storcon;
    storcon.add_node(1, "az-a");
    auto r = k.run({"status", "--storage-controller", storcon.url()});
    CHECK(r.exit == 1);  // the proxy cannot start without its certificate: degraded
    CHECK(r.err.find("note: 1 compute asleep (scaled to zero; a connection through the proxy wakes it): "
                     "compute-app-dev") != std::string::npos);
    CHECK(r.err.find("warning: proxy certificate: Secret neon-proxy-tls does not exist yet (cert-manager has not "
                     "issued the Certificate)") != std::string::npos);
    CHECK(r.err.find("waking") == std::string::npos);
    k.fake.workloads().set_deployment("neon", "compute-app-main", 0, 0);  // scaled up, its pod not available yet
    auto json = k.run({"status", "--storage-controller", storcon.url(), "-o", "json"});
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["components"]["asleep"] == nlohmann::json::array({"compute-app-dev"}));
    CHECK(doc["components"]["waking"] == nlohmann::json::array({"compute-app-main"}));
    auto waking = k.run({"status", "--storage-controller", storcon.url()});
    CHECK(waking.err.find("note: waking (scaled up, not available yet): compute-app-main") != std::string::npos);

    neon::test::ScratchDir dir("proxy-cert-status");
    k.fake.put_secret("neon", "neon-proxy-tls",
                      {{"tls.crt", certificate(dir, "/CN=*.db.example.com")}, {"tls.key", "unused"}});
    auto fixed = k.run({"status", "--storage-controller", storcon.url()});
    CHECK(fixed.err.find("proxy certificate") == std::string::npos);
  }
}
