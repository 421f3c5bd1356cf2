// The compute hook over HTTPS (issue 20, item 8): the storage controller (--ssl-ca-file plus the
// system roots, storage_controller/src/compute_hook.rs:625-632) and compute_ctl (SSL_CERT_FILE)
// verify the hook's certificate from cert-manager, which renews tls.crt/tls.key in place.
// Real loopback TLS with a CA and certificates made by the openssl CLI.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/compute_token.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/hook/hook_server.hpp"
#include "tests/support/computes_file.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"
#include "tests/support/sockets.hpp"
#include "tests/support/tools.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;
using neon::test::connect_loopback;
using neon::test::read_all;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace http = neon::cli::http;

/// GET `path` at the hook over HTTPS, trusting `ca_file`.
http::Outcome get(int port, const std::string& path, const std::string& ca_file, const std::string& bearer = "") {
  http::TlsOptions tls;
  tls.ca_file = ca_file;
  http::CurlTransport transport(tls);
  http::Request req;
  req.url = "https://127.0.0.1:" + std::to_string(port) + path;
  if (!bearer.empty()) {
    req.headers = {{"Authorization", "Bearer " + bearer}};
  }
  req.timeout = std::chrono::milliseconds(3000);
  return transport.send(req);
}

/// The serial number of the certificate the hook presents (verified against `ca_file`), or -1.
long peer_serial(int port, const std::string& ca_file) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  REQUIRE(ctx);
  REQUIRE(SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) == 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  const int fd = connect_loopback(port);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  long serial = -1;
  if (SSL_connect(ssl.get()) == 1) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl.get()), X509_free);
    if (cert) {
      serial = ASN1_INTEGER_get(X509_get0_serialNumber(cert.get()));
    }
    SSL_shutdown(ssl.get());
  }
  ssl.reset();
  ::close(fd);
  return serial;
}

/// A second server certificate for 127.0.0.1 from the same CA, with serial `serial`.
void second_certificate(const neon::test::TestPki& pki, const fs::path& dir, const std::string& serial) {
  auto req =
      neon::test::run_process({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                               "-nodes", "-keyout", (dir / "new.key").string(), "-out", (dir / "new.csr").string(),
                               "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                              dir);
  REQUIRE_MESSAGE(req.exit == 0, req.err);
  auto sign = neon::test::run_process({"openssl", "x509", "-req", "-in", (dir / "new.csr").string(), "-CA",
                                       pki.ca_crt.string(), "-CAkey", pki.ca_key.string(), "-set_serial", serial,
                                       "-days", "2", "-out", (dir / "new.crt").string(), "-copy_extensions", "copyall"},
                                      dir);
  REQUIRE_MESSAGE(sign.exit == 0, sign.err);
}

/// A folder like a mounted kubernetes.io/tls Secret: tls.crt, tls.key, ca.crt (TestPki's CA).
struct TlsFolder {
  explicit TlsFolder(const std::string& name) : dir(name), pki(dir.path()) {
    REQUIRE_MESSAGE(pki.ok, pki.error);
    fs::copy_file(pki.server_crt, dir / "tls.crt");
    fs::copy_file(pki.server_key, dir / "tls.key");
  }
  std::string crt() const { return (dir / "tls.crt").string(); }
  std::string key() const { return (dir / "tls.key").string(); }
  std::string ca() const { return pki.ca_crt.string(); }
  neon::test::ScratchDir dir;
  neon::test::TestPki pki;
};

ClusterOptions tls_options(const TlsFolder& f) {
  ClusterOptions o;
  o.tls_cert_file = f.crt();
  o.tls_key_file = f.key();
  return o;
}

const std::string k_boot_tenant = "5d1b6f0c2a9e4c7b8f3a2e1d0c9b8a71";
const std::string k_boot_main = "6e2c7a1d3b0f4d8c9a4b3f2e1d0c9b81";
const std::string k_boot_key = "hook-tls-compute-token-key";

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("hook over https: /healthz and a compute's spec verified with the CA; another CA and plaintext fail" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");  // TestPki makes the certificates
    TlsFolder tls("hook-tls-basic");
    Cluster cluster({{"app-main", k_tenant, k_timeline}}, tls_options(tls));
    cluster.storcon.add_tenant(k_tenant);

    auto health = get(cluster.port, "/healthz", tls.ca());
    REQUIRE_MESSAGE(health.response, (health.error ? health.error->message : ""));
    CHECK(health.response->status == 200);

    auto spec = get(cluster.port, "/compute/api/v2/computes/app-main/spec", tls.ca(), compute_token("app-main"));
    REQUIRE_MESSAGE(spec.response, (spec.error ? spec.error->message : ""));
    CHECK(spec.response->status == 200);
    const Json reply = Json::parse(spec.response->body);
    CHECK(reply["spec"]["tenant_id"] == k_tenant);
    CHECK(reply["compute_ctl_config"]["jwks"] == cluster.jwks());

    // A client that trusts another CA refuses the hook's certificate.
    TlsFolder other("hook-tls-other-ca");
    auto refused = get(cluster.port, "/healthz", other.ca());
    CHECK_FALSE(refused.response);
    REQUIRE(refused.error);
    CHECK(refused.error->kind == http::FailureKind::tls);

    // Plaintext HTTP to the TLS port gets no HTTP answer: the connection is closed.
    const int fd = connect_loopback(cluster.port, 3);
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0);
    bool closed = false;
    const std::string answer = read_all(fd, closed);
    ::close(fd);
    CHECK(closed);
    CHECK(answer.find("HTTP/") == std::string::npos);
    CHECK(answer.find("healthz") == std::string::npos);
  }

  TEST_CASE("hook over https: 40 connections that never finish the handshake are cut at the deadline" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");  // TestPki makes the certificates
    TlsFolder tls("hook-tls-stalled");
    ClusterOptions o = tls_options(tls);
    o.request_deadline = std::chrono::milliseconds(1500);
    Cluster cluster({{"app-main", k_tenant, k_timeline}}, o);
    std::vector<int> stalled;
    for (int i = 0; i < 40; ++i) {
      stalled.push_back(connect_loopback(cluster.port, 3));
      if (i % 2 == 0) {
        // Half send the start of a TLS record (a ClientHello's header) and nothing more.
        const char start[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
        REQUIRE(::send(stalled.back(), start, sizeof(start), MSG_NOSIGNAL) > 0);
      }
    }
    // Not closed at once: they wait for the handshake until the deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::vector<pollfd> early;
    for (const int fd : stalled) {
      early.push_back({fd, POLLIN, 0});
    }
    CHECK(::poll(early.data(), early.size(), 0) == 0);
    for (int i = 0; i < 5; ++i) {
      const auto start = Clock::now();
      auto res = get(cluster.port, "/healthz", tls.ca());
      REQUIRE_MESSAGE(res.response, "attempt " << i << ": " << (res.error ? res.error->message : ""));
      CHECK(res.response->status == 200);
      CHECK(Clock::now() - start < std::chrono::milliseconds(1000));
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
    int cut = 0;
    for (const int fd : stalled) {
      bool closed = false;
      const std::string answer = read_all(fd, closed);
      cut += closed && answer.find("HTTP/") == std::string::npos ? 1 : 0;
      ::close(fd);
    }
    CHECK(cut == 40);
  }

  TEST_CASE("hook over https: a renewed certificate is served after the reload period; a broken one is not" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");  // TestPki makes the certificates
    TlsFolder tls("hook-tls-reload");
    ClusterOptions o = tls_options(tls);
    o.tls_reload = std::chrono::milliseconds(200);
    std::ostringstream log;
    o.log = &log;
    Cluster cluster({{"app-main", k_tenant, k_timeline}}, o);
    CHECK(peer_serial(cluster.port, tls.ca()) == 2);  // TestPki's server certificate

    second_certificate(tls.pki, tls.dir.path(), "7");
    // A key that is not the certificate's: the reload fails and the old certificate stays.
    fs::copy_file(tls.dir / "new.crt", tls.dir / "tls.crt", fs::copy_options::overwrite_existing);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    CHECK(peer_serial(cluster.port, tls.ca()) == 2);
    CHECK(peer_serial(cluster.port, tls.ca()) == 2);
    CHECK(log.str().find("TLS certificate not reloaded") != std::string::npos);

    // With its key, as cert-manager leaves the pair: the new certificate from the next reload on.
    fs::copy_file(tls.dir / "new.key", tls.dir / "tls.key", fs::copy_options::overwrite_existing);
    long serial = -1;
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (serial != 7 && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      serial = peer_serial(cluster.port, tls.ca());
    }
    CHECK(serial == 7);
    auto health = get(cluster.port, "/healthz", tls.ca());
    REQUIRE(health.response);
    CHECK(health.response->status == 200);
  }

  TEST_CASE("hook serve: --tls-cert-file and --tls-key-file together, a key that is the certificate's" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");  // TestPki makes the certificates
    TlsFolder tls("hook-tls-flags");
    const std::vector<std::string> base = {"hook",     "serve",      "--computes", (tls.dir / "computes.json").string(),
                                           "--listen", "127.0.0.1:0"};
    neon::test::write_text(tls.dir / "computes.json", R"({"safekeepers":[],"computes":[]})");
    auto only_cert = base;
    only_cert.insert(only_cert.end(), {"--tls-cert-file", tls.crt()});
    auto one = neon::test::run_cli(only_cert);
    CHECK(one.exit == 2);
    CHECK(one.err.find("--tls-key-file") != std::string::npos);
    auto only_key = base;
    only_key.insert(only_key.end(), {"--tls-key-file", tls.key()});
    CHECK(neon::test::run_cli(only_key).exit == 2);

    // The key of another certificate: refused at start, before listening.
    neon::test::write_text(tls.dir / "signing.pem", new_key());
    neon::test::write_text(tls.dir / "tokens", "x");
    const std::map<std::string, std::string> env{{"NEON_HOOK_SIGNING_KEY_FILE", (tls.dir / "signing.pem").string()},
                                                 {"NEON_HOOK_COMPUTE_TOKEN_KEY_FILE", (tls.dir / "tokens").string()},
                                                 {"NEON_HOOK_EXPECTED_TOKEN_FILE", (tls.dir / "tokens").string()}};
    auto mismatched = base;
    mismatched.insert(mismatched.end(), {"--tls-cert-file", tls.crt(), "--tls-key-file", tls.pki.client_key.string()});
    auto wrong = neon::test::run_cli(mismatched, "", env);
    CHECK(wrong.exit == 1);
    INFO(wrong.err);
    CHECK(wrong.err.find("does not belong to the certificate") != std::string::npos);
    CHECK(wrong.err.find("listening") == std::string::npos);
    auto missing = base;
    missing.insert(missing.end(), {"--tls-cert-file", (tls.dir / "nope.crt").string(), "--tls-key-file", tls.key()});
    auto unreadable = neon::test::run_cli(missing, "", env);
    CHECK(unreadable.exit == 1);
    CHECK(unreadable.err.find("nope.crt") != std::string::npos);
  }

  TEST_CASE("bootstrap compute --hook https://...: --ca-file verifies the hook; without it the certificate fails" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");  // TestPki makes the certificates
    TlsFolder tls("hook-tls-bootstrap");
    neon::test::FakeStorcon fake;
    fake.add_node(1, "az-a");
    auto hook_key = neon::cli::jwt::generate_ed25519();
    REQUIRE(hook_key);
    neon::cli::hook::HookOptions options;
    auto parsed = neon::cli::hook::parse_computes(neon::test::computes_file(
        Json{{"name", "app"},
             {"tenant_id", k_boot_tenant},
             {"pg_version", 17},
             {"branches", Json::array({Json{{"name", "main"}, {"timeline_id", k_boot_main}}})}},
        "main"));
    REQUIRE(parsed);
    options.computes = *parsed;
    options.storage_controller_url = fake.url();
    options.signing_key_pem = hook_key->private_pem;
    options.compute_token_key = k_boot_key;
    options.expected_token = "control-plane";
    options.tls_cert_file = tls.crt();
    options.tls_key_file = tls.key();
    RunningHook hook(std::move(options));
    const std::string hook_url = "https://127.0.0.1:" + std::to_string(hook.port);
    neon::test::write_text(tls.dir / "token", neon::cli::compute_token::derive(k_boot_key, "app-main"));
    auto run_with = [&](std::vector<std::string> extra) {
      std::vector<std::string> args{"bootstrap",
                                    "compute",
                                    "--hook",
                                    hook_url,
                                    "--compute-id",
                                    "app-main",
                                    "--compute-token-file",
                                    (tls.dir / "token").string(),
                                    "--deadline",
                                    "3s"};
      args.insert(args.end(), extra.begin(), extra.end());
      return neon::test::run_cli(args);
    };
    auto untrusted = run_with({});
    CHECK(untrusted.exit != 0);
    CHECK(untrusted.err.find("certificate") != std::string::npos);
    CHECK(fake.tenant(k_boot_tenant).is_null());

    auto missing = run_with({"--ca-file", (tls.dir / "nope.crt").string()});
    CHECK(missing.exit == 2);
    CHECK(missing.err.find("--ca-file") != std::string::npos);

    auto res = run_with({"--ca-file", tls.ca()});
    INFO(res.err);
    CHECK(res.exit == 0);
    CHECK(res.out.find("1 timeline(s) ready for compute app-main") != std::string::npos);
    CHECK_FALSE(fake.tenant(k_boot_tenant).is_null());
  }
}

TEST_SUITE("hook") {
  TEST_CASE("--metrics-listen: plaintext /healthz and /metrics only; every route with a token is 404 there" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    TlsFolder tls("hook-tls-metrics");
    FakeStorcon storcon;
    std::vector<std::unique_ptr<FakeComputeCtl>> computes;
    computes.push_back(std::make_unique<FakeComputeCtl>("app-main"));
    HookOptions options = hook_options({{"app-main", k_tenant, k_timeline}}, computes, storcon.url());
    options.signing_key_pem = new_key();
    options.tls_cert_file = tls.crt();
    options.tls_key_file = tls.key();
    options.spec_wait = std::chrono::milliseconds(200);
    auto created = HookServer::create(std::move(options));
    REQUIRE_MESSAGE(created, (created ? std::string() : created.error().message));
    auto& server = *created;
    auto main_port = server->bind("127.0.0.1", 0);
    REQUIRE(main_port);
    auto metrics_port = server->bind_metrics("127.0.0.1", 0);
    REQUIRE(metrics_port);
    std::thread serving([&] { server->run(); });

    httplib::Client plain("127.0.0.1", *metrics_port);
    plain.set_read_timeout(5);
    auto health = plain.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
    auto metrics = plain.Get("/metrics?x=1");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    CHECK(metrics->body.find("neon_hook") != std::string::npos);
    // Routes that carry a token never answer in the clear: the gate says 404 before the server.
    auto spec = plain.Get("/compute/api/v2/computes/app-main/spec",
                          httplib::Headers{{"Authorization", "Bearer " + compute_token("app-main")}});
    REQUIRE(spec);
    CHECK(spec->status == 404);
    CHECK(spec->body.find("tenant") == std::string::npos);
    auto notify = plain.Put("/notify-attach", httplib::Headers{{"Authorization", "Bearer test-control-plane-token"}},
                            attach_body(k_tenant, 1), "application/json");
    REQUIRE(notify);
    CHECK(notify->status == 404);
    auto post = plain.Post("/metrics", "", "text/plain");
    REQUIRE(post);
    CHECK(post->status == 404);
    // The same routes over HTTPS on the main port.
    auto secure = get(*main_port, "/compute/api/v2/computes/app-main/spec", tls.ca(), compute_token("app-main"));
    REQUIRE(secure.response);
    CHECK(secure.response->status != 404);
    server->stop();
    serving.join();
  }
}
