// kubectl neon logs against the fake Kubernetes API (pods/log: fake_pod_logs.hpp) and, for
// pageserver/ID and safekeeper/ID, the fake storage controller's node and safekeeper lists.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "plugin/adapters/http.hpp"
#include "tests/support/logs_rig.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

using neon::test::k_tenant_a;
using neon::test::k_tenant_b;
using neon::test::k_timeline_a;
using neon::test::LogsRig;
using neon::test::neon_line;
using Strings = std::vector<std::string>;

}  // namespace

TEST_SUITE("logs") {
  TEST_CASE("http: Request::on_body gets a 2xx body piece by piece as it arrives; false stops the transfer") {
    // The second piece is sent only once the first reached the callback: a body read whole first
    // would wait here until the server gives up (2 s) and arrive as one piece.
    std::atomic<bool> first_seen{false};
    httplib::Server server;
    server.Get("/stream", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [&, step = 0](std::size_t, httplib::DataSink& sink) mutable {
        if (step == 0) {
          ++step;
          return sink.write("one\n", 4);
        }
        for (int i = 0; i < 200 && !first_seen; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (step == 1) {
          ++step;
          return sink.write(first_seen ? "two\n" : "late\n", first_seen ? 4 : 5);
        }
        sink.done();
        return true;
      });
    });
    server.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"message":"not here"})", "application/json");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    std::thread serving([&] { server.listen_after_bind(); });
    auto transport_owner = std::make_unique<neon::cli::http::CurlTransport>();
    auto& transport = *transport_owner;
    neon::cli::http::Request req;
    req.url = fmt::format("http://127.0.0.1:{}/stream", port);
    req.timeout = std::chrono::milliseconds(0);  // no limit on a stream
    Strings pieces;
    req.on_body = [&](std::string_view piece) {
      pieces.emplace_back(piece);
      first_seen = true;
      return true;
    };
    auto out = transport.send(req);
    REQUIRE(out.response);
    CHECK(out.response->status == 200);
    CHECK(out.response->body.empty());
    CHECK(pieces == Strings{"one\n", "two\n"});

    // Stopped by the callback: an answer, not a failure.
    first_seen = false;
    pieces.clear();
    req.on_body = [&](std::string_view piece) {
      pieces.emplace_back(piece);
      first_seen = true;
      return false;
    };
    auto stopped = transport.send(req);
    CHECK_FALSE(stopped.error);
    REQUIRE(stopped.response);
    CHECK(pieces == Strings{"one\n"});

    // Another status keeps its body for the error message; the callback sees nothing.
    req.url = fmt::format("http://127.0.0.1:{}/missing", port);
    pieces.clear();
    auto missing = transport.send(req);
    REQUIRE(missing.response);
    CHECK(missing.response->status == 404);
    CHECK(missing.response->body == R"({"message":"not here"})");
    CHECK(pieces.empty());
    transport_owner.reset();  // its kept-alive connection closes: the server stops at once
    server.stop();
    serving.join();
  }

  TEST_CASE("logs pageserver: every pod's main container, merged, each line prefixed with its pod" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    LogsRig rig("logs-merged");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    auto r = rig.logs({"pageserver"});
    INFO(r.err);
    CHECK(r.exit == 0);
    CHECK(r.err.empty());
    CHECK(r.out == fmt::format("[pageserver-a-0] {}\n[pageserver-a-0] {}\n[pageserver-a-0] {}\n"
                               "[pageserver-a-1] {}\n[pageserver-a-1] no tenant here\n",
                               neon_line("attached", k_tenant_a), neon_line("attached", k_tenant_b),
                               neon_line("ingesting", k_tenant_a, k_timeline_a),
                               neon_line("secondary download", k_tenant_a)));
    CHECK(rig.log_requests() == Strings{"pageserver-a-0?container=pageserver", "pageserver-a-1?container=pageserver"});

    // --tail and --since go to the API server as tailLines and sinceSeconds (rounded up).
    auto tail = rig.logs({"safekeeper", "--tail", "1", "--since", "90s"});
    CHECK(tail.exit == 0);
    CHECK(tail.out == fmt::format("[safekeeper-a-0] {}\n[safekeeper-a-1] safekeeper-a-1 started\n",
                                  neon_line("timeline active", k_tenant_a, k_timeline_a)));
    const auto asked = rig.log_requests();
    CHECK(std::count(asked.begin(), asked.end(), "safekeeper-a-1?container=safekeeper&tailLines=1&sinceSeconds=90") ==
          1);
  }

  TEST_CASE("logs: each component's pods by their labels, with its main container (the hook's is \"hook\")" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    LogsRig rig("logs-components");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    const std::vector<std::pair<Strings, std::string>> cases = {
        {{"storage-controller"}, "[storage-controller-7d9f-x1] controller: reconciled\n"},
        {{"broker"}, "[storage-broker-5c6d-y2] broker: listening\n"},
        {{"hook"}, "[compute-hook-6b7c-z3] hook: serving\n"},
        // The primary and its read replicas; not app/dev, not the pooler sidecar.
        {{"compute", "app/main"},
         "[compute-app-main-8f8f-a1] primary of app/main\n[compute-app-main-ro-0-9a9a-b2] replica of app/main\n"},
        {{"compute", "app/dev"}, "[compute-app-dev-7e7e-c3] primary of app/dev\n"},
    };
    for (const auto& [args, want] : cases) {
      CAPTURE(args.front());
      auto r = rig.logs(args);
      CHECK(r.exit == 0);
      CHECK(r.err == "");
      CHECK(r.out == want);
    }
    auto none = rig.logs({"compute", "app/nope"});
    CHECK(none.exit == 1);
    CHECK(none.err == "error: no compute app/nope pods in namespace neon\n");
  }

  TEST_CASE("logs --tenant and --timeline keep the lines naming the ID (in any case); both: lines naming both" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    LogsRig rig("logs-tenant");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    auto r = rig.logs({"pageserver", "--tenant", k_tenant_a});
    CHECK(r.exit == 0);
    CHECK(r.out == fmt::format("[pageserver-a-0] {}\n[pageserver-a-0] {}\n[pageserver-a-1] {}\n",
                               neon_line("attached", k_tenant_a), neon_line("ingesting", k_tenant_a, k_timeline_a),
                               neon_line("secondary download", k_tenant_a)));
    std::string upper = k_tenant_b;
    for (auto& ch : upper) {
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    auto b = rig.logs({"pageserver", "--tenant", upper});
    CHECK(b.out == fmt::format("[pageserver-a-0] {}\n", neon_line("attached", k_tenant_b)));
    auto both = rig.logs({"pageserver", "--tenant", k_tenant_a, "--timeline", k_timeline_a});
    CHECK(both.out == fmt::format("[pageserver-a-0] {}\n", neon_line("ingesting", k_tenant_a, k_timeline_a)));
    auto none = rig.logs({"pageserver", "--timeline", "00000000000000000000000000000000"});
    CHECK(none.exit == 0);
    CHECK(none.out.empty());
  }

  TEST_CASE("logs: a --tenant that is no ID, an unknown target or a bad node id is a usage error, before any call" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    LogsRig rig("logs-usage");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    const std::vector<std::pair<Strings, std::string>> cases = {
        {{"pageserver", "--tenant", "notanid"},
         "error: --tenant must be a tenant ID of 32 hex characters, not \"notanid\"\n"},
        {{"pageserver", "--timeline", std::string(31, 'a')},
         "error: --timeline must be a timeline ID of 32 hex characters, not \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"},
        {{"pagesever"},
         "error: unknown TARGET \"pagesever\": use storage-controller, broker, hook, pageserver[/ID], "
         "safekeeper[/ID] or compute (did you mean \"pageserver\"?)\n"},
        {{"pageserver/eleven"},
         "error: \"pageserver/eleven\": the node id must be a whole number (the storage "
         "controller's id), not \"eleven\"\n"},
        {{"broker/1"}, "error: \"broker/1\": only pageserver and safekeeper take a node id (pageserver/ID)\n"},
        {{"compute"}, "error: compute needs PROJECT/BRANCH: logs compute app/main\n"},
        {{"compute", "app"}, "error: \"app\" is not PROJECT/BRANCH\n"},
        {{"hook", "extra"}, "error: unexpected argument \"extra\"\n"},
        {{},
         "error: expected a TARGET: storage-controller, broker, hook, pageserver[/ID], safekeeper[/ID] or "
         "compute\n"},
        {{"hook", "--since", "soon"}, "error: invalid --since \"soon\" (use e.g. 30s, 5m, 1h)\n"},
        {{"hook", "--tail", "-3"}, ""},
    };
    for (const auto& [args, want] : cases) {
      CAPTURE(fmt::format("{}", fmt::join(args, " ")));
      auto r = rig.logs(args);
      CHECK(r.exit == 2);
      CHECK(r.out.empty());
      CHECK(r.err.rfind(want, 0) == 0);
    }
    CHECK(rig.kube.requests().empty());
  }

  TEST_CASE("logs pageserver/11 and safekeeper/10: the node's pod from the controller's listen_http_addr and host" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    LogsRig rig("logs-node");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    const std::string url = rig.storcon.url();
    auto r = rig.logs({"pageserver/11", "--storage-controller", url});
    INFO(r.err);
    CHECK(r.exit == 0);
    CHECK(r.out == fmt::format("[pageserver-a-1] {}\n[pageserver-a-1] no tenant here\n",
                               neon_line("secondary download", k_tenant_a)));
    CHECK(rig.log_requests() == Strings{"pageserver-a-1?container=pageserver"});
    CHECK(rig.storcon_calls("GET") == Strings{"/control/v1/node"});

    auto sk = rig.logs({"safekeeper/10", "--storage-controller", url, "--tenant", k_tenant_a});
    CHECK(sk.exit == 0);
    CHECK(sk.out == fmt::format("[safekeeper-a-0] {}\n", neon_line("timeline active", k_tenant_a, k_timeline_a)));

    auto unknown = rig.logs({"pageserver/99", "--storage-controller", url});
    CHECK(unknown.exit == 1);
    CHECK(unknown.err.rfind("error: pageserver 99 is not registered with the storage controller", 0) == 0);

    // The controller names a pod that is not there (a StatefulSet scaled down under it).
    rig.storcon.set_node_host(10, "pageserver-a-7.pageserver-a.neon.svc.cluster.local");
    auto gone = rig.logs({"pageserver/10", "--storage-controller", url});
    CHECK(gone.exit == 1);
    CHECK(gone.err == "error: no pod pageserver-a-7 (pageserver/10) in namespace neon\n");

    auto down = rig.logs({"pageserver/11", "--storage-controller", "http://127.0.0.1:1"});
    CHECK(down.exit == 3);
  }

  TEST_CASE("logs --follow streams every pod's lines and ends when every stream has ended" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    LogsRig rig("logs-follow");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.kube.pod_logs().set_follow_pause(std::chrono::milliseconds(20));
    const auto start = std::chrono::steady_clock::now();
    auto r = rig.logs({"pageserver", "-f"});
    const auto took = std::chrono::steady_clock::now() - start;
    INFO(r.err);
    CHECK(r.exit == 0);
    CHECK(r.err.empty());
    // Lines of different pods interleave as they arrive; each pod's stay in order.
    std::vector<std::string> a0;
    std::vector<std::string> a1;
    std::size_t at = 0;
    for (auto nl = r.out.find('\n'); nl != std::string::npos; at = nl + 1, nl = r.out.find('\n', at)) {
      const std::string line = r.out.substr(at, nl - at);
      (line.rfind("[pageserver-a-0] ", 0) == 0 ? a0 : a1).push_back(line.substr(17));
    }
    CHECK(a0 == Strings{neon_line("attached", k_tenant_a), neon_line("attached", k_tenant_b),
                        neon_line("ingesting", k_tenant_a, k_timeline_a)});
    CHECK(a1 == Strings{neon_line("secondary download", k_tenant_a), "no tenant here"});
    CHECK(rig.log_requests() == Strings{"pageserver-a-0?container=pageserver&follow=true",
                                        "pageserver-a-1?container=pageserver&follow=true"});
    // Both streams at once: the slower one (3 lines, two 20 ms pauses) sets the time, not the sum.
    CHECK(took < std::chrono::seconds(5));
  }

  TEST_CASE("logs: a pod whose log cannot be read is named; the others still print; exit 1" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    LogsRig rig("logs-partial");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    // A pod whose only container has another name: the API server refuses the container asked for.
    rig.kube.workloads().add_pod("neon", "safekeeper-b-0", neon::test::labels("safekeeper-b", "safekeeper"), "Running",
                                 true);
    rig.kube.pod_logs().set("neon", "safekeeper-b-0", "other", {"x"});
    auto r = rig.logs({"safekeeper"});
    CHECK(r.exit == 1);
    CHECK(r.out == fmt::format("[safekeeper-a-0] {}\n[safekeeper-a-1] safekeeper-a-1 started\n",
                               neon_line("timeline active", k_tenant_a, k_timeline_a)));
    CHECK(r.err ==
          "error: pod safekeeper-b-0: GET /api/v1/namespaces/neon/pods/safekeeper-b-0/log?container=safekeeper: "
          "HTTP 400: container safekeeper is not valid for pod safekeeper-b-0\n");
  }
}
