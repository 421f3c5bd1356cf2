#include <doctest/doctest.h>

#include <cstdlib>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

using namespace neon::cli;
using neon::test::FakeKubeApi;
using neon::test::FakeKubeOptions;
using neon::test::read_text;
using neon::test::ScratchDir;
using neon::test::TestPki;
using neon::test::write_text;

namespace {

struct Ctx {
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  Context ctx{out, err, in};
  explicit Ctx(const std::filesystem::path& home) {
    ctx.env["HOME"] = home.string();
    if (const char* path = std::getenv("PATH")) {
      ctx.env["PATH"] = path;
    }
  }
};

/// A kubeconfig with one cluster `c-NAME`, user `u-NAME`, context NAME.
std::string kubeconfig(const std::string& name, const std::string& server, const std::string& cluster_extra,
                       const std::string& user_body, const std::string& current = "", const std::string& ns = "") {
  std::string out = "apiVersion: v1\nkind: Config\n";
  if (!current.empty()) {
    out += "current-context: " + current + "\n";
  }
  out += fmt::format("clusters:\n- name: c-{0}\n  cluster:\n    server: {1}\n{2}", name, server, cluster_extra);
  out += fmt::format("users:\n- name: u-{0}\n  user:\n{1}", name, user_body);
  out += fmt::format("contexts:\n- name: {0}\n  context:\n    cluster: c-{0}\n    user: u-{0}\n", name);
  if (!ns.empty()) {
    out += "    namespace: " + ns + "\n";
  }
  return out;
}

std::string ca_data(const TestPki& pki) {
  return "    certificate-authority-data: " + kube::base64_encode(read_text(pki.ca_crt)) + "\n";
}

/// Lists pods through the resolved API server: the proof that TLS and credentials work.
neon::Result<std::vector<kube::Pod>> reach(const kube::ApiServer& api) {
  http::CurlTransport transport(api.tls);
  kube::Client client(api, transport);
  return client.list_pods(api.namespace_, "app=x");
}

template <typename T>
std::string why(const neon::Result<T>& r) {
  return r ? std::string() : r.error().message;
}

}  // namespace

TEST_SUITE("kubeconfig") {
  TEST_CASE("paths: --kubeconfig, then KUBECONFIG list, then HOME") {
    ScratchDir dir("kc-paths");
    Ctx c(dir.path());
    CHECK(kube::kubeconfig_paths(c.ctx) == std::vector<std::string>{(dir / ".kube/config").string()});
    c.ctx.env["KUBECONFIG"] = "/a::/b:/a";
    CHECK(kube::kubeconfig_paths(c.ctx) == std::vector<std::string>{"/a", "/b"});
    c.ctx.globals.kubeconfig = "/x";
    CHECK(kube::kubeconfig_paths(c.ctx) == std::vector<std::string>{"/x"});
  }

  TEST_CASE("KUBECONFIG merge: first file wins per entry and for current-context") {
    ScratchDir dir("kc-merge");
    write_text(dir / "one", kubeconfig("a", "https://one.invalid", "", "    token: t1\n", "a", "ns-a"));
    std::string two = kubeconfig("a", "https://two.invalid", "", "    token: t2\n", "b");
    two += "- name: b\n  context:\n    cluster: c-a\n    user: u-a\n";
    write_text(dir / "two", two);
    Ctx c(dir.path());
    c.ctx.env["KUBECONFIG"] = (dir / "one").string() + ":" + (dir / "missing").string() + ":" + (dir / "two").string();
    auto api = kube::resolve_api_server(c.ctx, "spec-ns");
    REQUIRE(api);
    CHECK(api->context == "a");
    CHECK(api->server == "https://one.invalid");
    REQUIRE(api->headers.size() == 1);
    CHECK(api->headers[0].second == "Bearer t1");
    CHECK(api->namespace_ == "ns-a");

    // Context b exists only in the second file; its cluster and user come from the first.
    c.ctx.globals.context = "b";
    api = kube::resolve_api_server(c.ctx, "spec-ns");
    REQUIRE(api);
    CHECK(api->server == "https://one.invalid");
    CHECK(api->namespace_ == "spec-ns");
    c.ctx.globals.namespace_ = "flag-ns";
    api = kube::resolve_api_server(c.ctx, "spec-ns");
    REQUIRE(api);
    CHECK(api->namespace_ == "flag-ns");
    c.ctx.globals.namespace_.clear();
    api = kube::resolve_api_server(c.ctx, "");
    REQUIRE(api);
    CHECK(api->namespace_ == "default");
  }

  TEST_CASE("errors name the file and the contexts") {
    ScratchDir dir("kc-errors");
    const std::string path = (dir / "cfg").string();
    write_text(dir / "cfg", kubeconfig("a", "https://x.invalid", "", "    token: secret-token\n"));
    Ctx c(dir.path());
    c.ctx.globals.kubeconfig = path;
    auto none = kube::resolve_api_server(c.ctx, "");
    REQUIRE_FALSE(none);
    CHECK(none.error().message ==
          fmt::format("no current context in kubeconfig {}; pass --context (contexts: a)", path));
    c.ctx.globals.context = "x";
    auto missing = kube::resolve_api_server(c.ctx, "");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == fmt::format("context \"x\" not found in kubeconfig {} (contexts: a)", path));
    c.ctx.globals.kubeconfig = (dir / "nope").string();
    auto absent = kube::resolve_api_server(c.ctx, "");
    REQUIRE_FALSE(absent);
    CHECK(absent.error().message.find("does not exist") != std::string::npos);
    write_text(dir / "bad", "clusters: [");
    c.ctx.globals.kubeconfig = (dir / "bad").string();
    auto bad = kube::resolve_api_server(c.ctx, "");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("invalid YAML") != std::string::npos);
    c.ctx.globals = {};
    c.ctx.env["HOME"] = (dir / "empty-home").string();
    auto nothing = kube::resolve_api_server(c.ctx, "");
    REQUIRE_FALSE(nothing);
    CHECK(nothing.error().message.find("no kubeconfig found") != std::string::npos);
  }

  TEST_CASE("relative credential paths resolve against the kubeconfig's directory") {
    ScratchDir dir("kc-relative");
    std::filesystem::create_directories(dir / "sub");
    write_text(dir / "sub/token", "file-token\n");
    write_text(dir / "sub/cfg", kubeconfig("a", "https://x.invalid/", "    certificate-authority: ca.pem\n",
                                           "    tokenFile: token\n", "a"));
    auto cfg = kube::load_kubeconfig({(dir / "sub/cfg").string()}, kube::MissingFiles::error);
    REQUIRE(cfg);
    Ctx c(dir.path());
    auto api = kube::resolve_api_server(c.ctx, *cfg, "");
    REQUIRE(api);
    CHECK(api->server == "https://x.invalid");
    CHECK(api->tls.ca_file == (dir / "sub/ca.pem").string());
    REQUIRE(api->headers.size() == 1);
    CHECK(api->headers[0].second == "Bearer file-token");
  }

  TEST_CASE("token, client certificate and exec plugin all reach the fake API server" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    ScratchDir dir("kc-reach");
    TestPki pki(dir.path());
    REQUIRE_MESSAGE(pki.ok, pki.error);

    SUBCASE("bearer token") {
      FakeKubeApi fake(pki, FakeKubeOptions{"sekret", false, ""});
      REQUIRE(fake.running());
      fake.add_pod("neon", "p1", {{"app", "x"}}, "Running", true);
      fake.add_pod("neon", "p2", {{"app", "y"}}, "Running", true);
      write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(pki), "    token: sekret\n", "a", "neon"));
      Ctx c(dir.path());
      c.ctx.globals.kubeconfig = (dir / "cfg").string();
      auto api = kube::resolve_api_server(c.ctx, "");
      REQUIRE(api);
      auto pods = reach(*api);
      REQUIRE_MESSAGE(pods.has_value(), why(pods));
      REQUIRE(pods->size() == 1);
      CHECK((*pods)[0].name == "p1");
      CHECK((*pods)[0].ready);
      CHECK(fake.requests().back().target == "/api/v1/namespaces/neon/pods?labelSelector=app%3Dx");

      write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(pki), "    token: wrong\n", "a", "neon"));
      api = kube::resolve_api_server(c.ctx, "");
      REQUIRE(api);
      auto denied = reach(*api);
      REQUIRE_FALSE(denied);
      CHECK(denied.error().message.find("HTTP 401") != std::string::npos);
      CHECK(denied.error().message.find("wrong") == std::string::npos);
    }

    SUBCASE("client certificate verified by the server, from files and from data") {
      FakeKubeApi fake(pki, FakeKubeOptions{"", true, ""});
      REQUIRE(fake.running());
      write_text(dir / "cfg", kubeconfig("a", fake.url(), "    certificate-authority: ca.crt\n",
                                         "    client-certificate: client.crt\n    client-key: client.key\n", "a"));
      Ctx c(dir.path());
      c.ctx.globals.kubeconfig = (dir / "cfg").string();
      auto api = kube::resolve_api_server(c.ctx, "");
      REQUIRE(api);
      CHECK(api->headers.empty());
      auto pods = reach(*api);
      CHECK_MESSAGE(pods.has_value(), why(pods));

      const std::string data =
          fmt::format("    client-certificate-data: {}\n    client-key-data: {}\n",
                      kube::base64_encode(read_text(pki.client_crt)), kube::base64_encode(read_text(pki.client_key)));
      write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(pki), data, "a"));
      api = kube::resolve_api_server(c.ctx, "");
      REQUIRE(api);
      pods = reach(*api);
      CHECK_MESSAGE(pods.has_value(), why(pods));

      // Without a certificate the handshake fails.
      write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(pki), "    token: x\n", "a"));
      api = kube::resolve_api_server(c.ctx, "");
      REQUIRE(api);
      CHECK_FALSE(reach(*api));
    }

    SUBCASE("exec plugin (v1 and v1beta1)") {
      FakeKubeApi fake(pki, FakeKubeOptions{"exec-token", false, ""});
      REQUIRE(fake.running());
      write_text(dir / "cred.sh",
                 "#!/bin/sh\n"
                 "case \"$KUBERNETES_EXEC_INFO\" in *'\"server\"'*) ;; *) echo no exec info >&2; exit 3;; esac\n"
                 "[ \"$CRED_MODE\" = ok ] || { echo bad env >&2; exit 4; }\n"
                 "[ \"$1\" = get-token ] || exit 5\n"
                 "printf "
                 "'{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-token\"}}' "
                 "\"$2\"\n");
      std::filesystem::permissions(dir / "cred.sh", std::filesystem::perms::owner_all);
      for (const std::string version : {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
        const std::string user = fmt::format(
            "    exec:\n      apiVersion: {0}\n      command: ./cred.sh\n      args: [get-token, {0}]\n"
            "      env:\n      - name: CRED_MODE\n        value: ok\n      provideClusterInfo: true\n",
            version);
        write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(pki), user, "a"));
        Ctx c(dir.path());
        c.ctx.globals.kubeconfig = (dir / "cfg").string();
        auto api = kube::resolve_api_server(c.ctx, "");
        REQUIRE_MESSAGE(api.has_value(), why(api));
        auto pods = reach(*api);
        CHECK_MESSAGE(pods.has_value(), why(pods));
      }
      write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(pki),
                                         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                         "      command: ./cred.sh\n      args: [get-token]\n",
                                         "a"));
      Ctx c(dir.path());
      c.ctx.globals.kubeconfig = (dir / "cfg").string();
      auto failed = kube::resolve_api_server(c.ctx, "");
      REQUIRE_FALSE(failed);
      CHECK(failed.error().message.find("exited with status 3: no exec info") != std::string::npos);
    }

    SUBCASE("a CA that did not sign the server certificate is a TLS error") {
      FakeKubeApi fake(pki, FakeKubeOptions{"t", false, ""});
      REQUIRE(fake.running());
      ScratchDir other_dir("kc-reach-other-ca");
      TestPki other(other_dir.path());
      REQUIRE(other.ok);
      write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(other), "    token: t\n", "a"));
      Ctx c(dir.path());
      c.ctx.globals.kubeconfig = (dir / "cfg").string();
      auto api = kube::resolve_api_server(c.ctx, "");
      REQUIRE(api);
      http::CurlTransport transport(api->tls);
      http::Request req;
      req.url = api->server + "/api/v1/namespaces/default/pods";
      auto outcome = transport.send(req);
      REQUIRE(outcome.error);
      CHECK(outcome.error->kind == http::FailureKind::tls);
      CHECK(fake.requests().empty());
    }
  }

  TEST_CASE("service proxy forwards to the upstream without the API credentials" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    ScratchDir dir("kc-proxy");
    TestPki pki(dir.path());
    REQUIRE(pki.ok);
    httplib::Server upstream;
    std::string seen_auth = "unset";
    std::string seen_target;
    upstream.Post("/control/v1/echo", [&](const httplib::Request& req, httplib::Response& res) {
      seen_auth = req.get_header_value("Authorization");
      seen_target = req.target;
      res.set_content("{\"echo\":" + req.body + "}", "application/json");
    });
    const int port = upstream.bind_to_any_port("127.0.0.1");
    std::thread th([&] { upstream.listen_after_bind(); });
    while (!upstream.is_running()) {
      std::this_thread::yield();
    }
    {
      FakeKubeApi fake(pki, FakeKubeOptions{"t", false, fmt::format("http://127.0.0.1:{}", port)});
      REQUIRE(fake.running());
      write_text(dir / "cfg", kubeconfig("a", fake.url(), ca_data(pki), "    token: t\n", "a", "neon"));
      Ctx c(dir.path());
      c.ctx.globals.kubeconfig = (dir / "cfg").string();
      auto api = kube::resolve_api_server(c.ctx, "");
      REQUIRE(api);
      http::CurlTransport transport(api->tls);
      kube::Client client(*api, transport);
      auto resp = client.call("POST",
                              "/api/v1/namespaces/neon/services/http:storage-controller:1234/proxy/"
                              "control/v1/echo?x=1",
                              "{\"a\":1}");
      REQUIRE_MESSAGE(resp.has_value(), why(resp));
      CHECK(resp->status == 200);
      CHECK(nlohmann::json::parse(resp->body) == nlohmann::json{{"echo", {{"a", 1}}}});
      CHECK(seen_auth.empty());
      CHECK(seen_target == "/control/v1/echo?x=1");
    }
    upstream.stop();
    th.join();
  }
}
