// The compute hook under slow clients (issue 20, item 6): 40 connections that trickle their
// request a byte at a time must not keep /healthz from answering, and each is cut off at the
// request deadline. Real loopback HTTP.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "plugin/adapters/http.hpp"
#include "tests/support/sockets.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;
using neon::test::connect_loopback;
using neon::test::read_all;
using Clock = std::chrono::steady_clock;

std::string read_all(int fd) {
  bool closed = false;
  return read_all(fd, closed);
}

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("/healthz answers under 40 slowly trickling connections, which are cut at the request deadline") {
    ClusterOptions o;
    o.request_deadline = std::chrono::milliseconds(1500);
    Cluster cluster({{"app-main", k_tenant, k_timeline}}, o);
    std::vector<int> slow;
    for (int i = 0; i < 40; ++i) {
      slow.push_back(connect_loopback(cluster.port));
      const std::string start = i % 2 == 0 ? "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                           : "PUT /notify-attach HTTP/1.1\r\nContent-Length: 100\r\n\r\n{";
      REQUIRE(::send(slow.back(), start.data(), start.size(), MSG_NOSIGNAL) > 0);
    }
    std::atomic<bool> done{false};
    std::thread trickle([&] {
      while (!done) {
        for (const int fd : slow) {
          static_cast<void>(::send(fd, "a", 1, MSG_NOSIGNAL));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    // While they trickle, and after the deadline has cut them off.
    for (int i = 0; i < 6; ++i) {
      httplib::Client c("127.0.0.1", cluster.port);
      c.set_connection_timeout(1);
      c.set_read_timeout(1);
      const auto start = Clock::now();
      auto res = c.Get("/healthz");
      REQUIRE_MESSAGE(res, "attempt " << i << ": /healthz did not answer within 1 s");
      CHECK(res->status == 200);
      CHECK(Clock::now() - start < std::chrono::milliseconds(1000));
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
    done = true;
    trickle.join();
    // Every one was cut off by the gate (408, or a reset when our trickle met the closed socket).
    int cut = 0;
    int answered_408 = 0;
    for (const int fd : slow) {
      bool closed = false;
      const std::string answer = read_all(fd, closed);
      cut += closed ? 1 : 0;
      answered_408 += answer.rfind("HTTP/1.1 408", 0) == 0 ? 1 : 0;
      ::close(fd);
    }
    CHECK(cut == 40);
    MESSAGE(answered_408 << " of 40 read their 408");
    // The hook still serves whole requests.
    cluster.storcon.add_tenant(k_tenant);
    CHECK(cluster.storcon.notify_attach(k_tenant) == 200);
  }

  TEST_CASE("a request too large for the gate: 431 for headers, 413 for a body; an answer too large is not read") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    const int fd = connect_loopback(cluster.port);
    const std::string huge = "GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
    static_cast<void>(::send(fd, huge.data(), huge.size(), MSG_NOSIGNAL));
    CHECK(read_all(fd).rfind("HTTP/1.1 431", 0) == 0);
    ::close(fd);
    CHECK(put_with_curl(cluster, "/notify-attach", std::string(2 * 1024 * 1024, '[')) == 413);

    // The hook reads at most this much of an answer from a compute or the controller.
    httplib::Server big;
    big.Get("/big",
            [](const httplib::Request&, httplib::Response& r) { r.set_content(std::string(4096, 'x'), "text/plain"); });
    const int port = big.bind_to_any_port("127.0.0.1");
    std::thread serving([&] { big.listen_after_bind(); });
    neon::cli::http::CurlTransport transport;
    transport.limit_answer(1024);
    neon::cli::http::Request req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/big";
    auto out = transport.send(req);
    CHECK_FALSE(out.response);
    REQUIRE(out.error);
    CHECK(out.error->message.find("answer larger than 1024 bytes") != std::string::npos);
    transport.limit_answer(8192);
    CHECK(transport.send(req).response);
    big.stop();
    serving.join();
  }
}
