// The compute hook and IPv6: `--listen :PORT` takes every address family, bracketed hosts parse,
// and every URL the hook builds from a host brackets an IPv6 literal.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plugin/adapters/http.hpp"
#include "plugin/hook/hook_spec.hpp"
#include "tests/support/run.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;
using neon::cli::hook::host_port;
using neon::cli::hook::http_base_url;
using neon::cli::hook::libpq_url;
using neon::cli::hook::parse_listen;

/// Whether this machine can listen on ::1.
bool have_ipv6_loopback() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

long get_status(const std::string& url) {
  neon::cli::http::CurlTransport transport;
  neon::cli::http::Request req;
  req.url = url;
  req.timeout = std::chrono::seconds(10);
  auto out = transport.send(req);
  return out.response ? out.response->status : -1;
}

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("--listen: HOST:PORT, [IPV6]:PORT and :PORT") {
    auto any = parse_listen(":8080");
    REQUIRE(any);
    CHECK(any->host.empty());
    CHECK(any->port == 8080);
    auto v6 = parse_listen("[::1]:8081");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->port == 8081);
    auto v4 = parse_listen("0.0.0.0:80");
    REQUIRE(v4);
    CHECK(v4->host == "0.0.0.0");
    auto all6 = parse_listen("[::]:0");
    REQUIRE(all6);
    CHECK(all6->host == "::");
    for (const char* bad : {"::1:8080", "[::1]", "[::1]8080", "[]:80", "host", ":", ":65536", ":8o", "[::1:80"}) {
      CHECK_MESSAGE(!parse_listen(bad), bad);
    }
    CHECK(neon::test::run_cli({"hook", "serve", "--computes", "x.json", "--listen", "::1:8080"}).exit == 2);
  }

  TEST_CASE("URLs built from a host bracket an IPv6 literal") {
    CHECK(host_port("::1", 6400) == "[::1]:6400");
    CHECK(host_port("fd00:10::5", 6400) == "[fd00:10::5]:6400");
    CHECK(host_port("[::1]", 6400) == "[::1]:6400");
    CHECK(host_port("10.0.0.5", 6400) == "10.0.0.5:6400");
    CHECK(libpq_url("fd00::7", 6400) == "postgres://no_user@[fd00::7]:6400");
    CHECK(libpq_url("pageserver-0.pageserver", 6400) == "postgres://no_user@pageserver-0.pageserver:6400");
    CHECK(http_base_url("compute-app-main:3080") == "http://compute-app-main:3080");
    CHECK(http_base_url("[fd00::1]:3080") == "http://[fd00::1]:3080");
    CHECK(http_base_url("fd00::1:3080") == "http://[fd00::1]:3080");
  }

  TEST_CASE("listening on every address family takes IPv4 and IPv6 connections") {
    HookOptions o;
    o.signing_key_pem = new_key();
    o.compute_token_key = k_compute_token_key;
    o.expected_token = "test-control-plane-token";
    auto created = HookServer::create(std::move(o));
    REQUIRE(created);
    auto bound = (*created)->bind("", 0);
    REQUIRE(bound);
    std::thread thread([&] { (*created)->run(); });
    const std::string on = (*created)->listening_on();
    CHECK(get_status(fmt::format("http://127.0.0.1:{}/healthz", *bound)) == 200);
    if (have_ipv6_loopback()) {
      CHECK(on == fmt::format("[::]:{}", *bound));
      CHECK(get_status(fmt::format("http://[::1]:{}/healthz", *bound)) == 200);
    } else {
      MESSAGE("skipped the IPv6 half: this machine cannot listen on ::1");
      CHECK(on == fmt::format("0.0.0.0:{}", *bound));
    }
    (*created)->stop();
    thread.join();
  }

  TEST_CASE("a hook on ::1 configures a compute_ctl on ::1") {
    if (!have_ipv6_loopback()) {
      MESSAGE("skipped: this machine cannot listen on ::1");
      return;
    }
    ClusterOptions o;
    o.hook_host = "::1";
    o.compute_host = "::1";
    Cluster cluster({{"app-main", k_tenant, k_timeline}}, o);
    cluster.storcon.add_tenant(k_tenant);
    CHECK(cluster.computes[0]->address().rfind("[::1]:", 0) == 0);
    CHECK(cluster.hook->server->listening_on() == fmt::format("[::1]:{}", cluster.port));
    neon::cli::http::CurlTransport transport;
    neon::cli::http::Request req;
    req.method = "PUT";
    req.url = cluster.hook->url("::1") + "/notify-attach";
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + cluster.token}};
    req.body = cluster.storcon.notify_attach_body(k_tenant).dump();
    auto out = transport.send(req);
    REQUIRE(out.response);
    CHECK(out.response->status == 200);
    CHECK(cluster.computes[0]->specs().size() == 1);
    const auto fetched = cluster.computes[0]->fetch_spec(cluster.hook->url("::1"), compute_token("app-main"));
    CHECK_MESSAGE(fetched.ok, fetched.error);
  }
}
