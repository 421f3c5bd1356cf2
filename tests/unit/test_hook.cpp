// The compute hook end to end on loopback: the fake storage controller sends real notify-attach
// calls to the real hook, which reconfigures fake compute_ctl servers.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/storcon.hpp"
#include "plugin/hook/hook_server.hpp"
#include "tests/support/run.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;

Json last_pageservers(const FakeComputeCtl& c) {
  auto specs = c.specs();
  REQUIRE_FALSE(specs.empty());
  return specs.back()["pageserver_connection_info"];
}

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("migrating a tenant reconfigures its computes with the new pageserver") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}, {"app-main-ro", k_tenant, k_timeline, "replica"}});
    cluster.storcon.add_tenant(k_tenant);
    const auto first = cluster.storcon.tenant(k_tenant)["shards"][0]["node_attached"].get<std::uint64_t>();
    REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);
    for (auto& c : cluster.computes) {
      const Json info = last_pageservers(*c);
      CHECK(info["shard_count"] == 0);
      CHECK(info["stripe_size"].is_null());
      CHECK(info["shards"]["0000"]["pageservers"][0]["libpq_url"] == url_of(first));
      CHECK(c->rejected() == 0);
    }
    CHECK(cluster.computes[1]->specs().back()["mode"] == "Replica");
    CHECK(cluster.computes[0]->specs().back()["safekeeper_connstrings"] == Json{"safekeeper-0.safekeeper:5454"});

    const std::uint64_t target = first == 1 ? 2 : 1;
    neon::cli::http::CurlTransport transport;
    neon::cli::storcon::ClientOptions o;
    o.base_url = cluster.storcon.url();
    neon::cli::storcon::Client controller(transport, o);
    REQUIRE(controller.migrate_shard(k_tenant, target, neon::cli::storcon::Prewarm::no));
    REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);
    for (auto& c : cluster.computes) {
      CHECK(c->specs().size() == 2);
      CHECK(last_pageservers(*c)["shards"]["0000"]["pageservers"][0] ==
            Json{{"id", target}, {"libpq_url", url_of(target)}, {"grpc_url", nullptr}});
    }
  }

  TEST_CASE("a 4-shard tenant gets one pageserver entry per shard") {
    Cluster cluster({{"big-main", k_sharded, k_timeline}});
    cluster.storcon.add_tenant(k_sharded, 4);
    REQUIRE(cluster.storcon.notify_attach(k_sharded) == 200);
    const Json info = last_pageservers(*cluster.computes[0]);
    CHECK(info["shard_count"] == 4);
    CHECK(info["stripe_size"] == cluster.storcon.notify_attach_body(k_sharded)["stripe_size"]);
    REQUIRE(info["shards"].size() == 4);
    const Json described = cluster.storcon.tenant(k_sharded)["shards"];
    for (int i = 0; i < 4; ++i) {
      const std::string key = fmt::format("{:02x}04", i);
      REQUIRE(info["shards"].contains(key));
      const auto node = described[static_cast<std::size_t>(i)]["node_attached"].get<std::uint64_t>();
      CHECK(info["shards"][key]["pageservers"][0]["libpq_url"] == url_of(node));
    }
  }

  TEST_CASE("a compute that is down gives 503 and the retry succeeds once it is back") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    cluster.storcon.add_tenant(k_tenant);
    cluster.computes[0]->set_down(true);
    CHECK(cluster.storcon.notify_attach(k_tenant) == 503);
    cluster.computes[0]->set_down(false);
    CHECK(cluster.storcon.notify_attach(k_tenant) == 200);
    CHECK(cluster.computes[0]->specs().size() == 1);

    cluster.computes[0]->set_mode(FakeComputeCtl::Mode::not_running);
    CHECK(cluster.storcon.notify_attach(k_tenant) == 423);
    cluster.computes[0]->set_mode(FakeComputeCtl::Mode::failing);
    CHECK(cluster.storcon.notify_attach(k_tenant) == 503);
  }

  TEST_CASE("a starting compute fetches its spec and the JWKS") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    cluster.storcon.add_tenant(k_tenant);
    auto res = cluster.get_spec("app-main");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const Json reply = Json::parse(res->body);
    CHECK(reply["status"] == "attached");
    CHECK(reply["compute_ctl_config"]["jwks"] == cluster.jwks());
    CHECK(reply["spec"]["tenant_id"] == k_tenant);
    CHECK(reply["spec"]["timeline_id"] == k_timeline);
    const auto node = cluster.storcon.tenant(k_tenant)["shards"][0]["node_attached"].get<std::uint64_t>();
    CHECK(reply["spec"]["pageserver_connection_info"]["shards"]["0000"]["pageservers"][0]["libpq_url"] == url_of(node));
    CHECK_FALSE(neon::test::jwk_to_pem(reply["compute_ctl_config"]["jwks"]["keys"][0]).empty());

    auto unknown = cluster.get_spec("nope");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    auto health = cluster.client().Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);
  }

  TEST_CASE("notify-safekeepers updates the safekeeper list of that timeline's computes") {
    ClusterOptions o;
    o.safekeepers = {"safekeeper-0.safekeeper:5454", "sk-a:5454", "sk-b:5454"};
    Cluster cluster({{"app-main", k_tenant, k_timeline}, {"app-dev", k_tenant, k_timeline2}}, o);
    cluster.storcon.add_tenant(k_tenant);
    const std::string body =
        Json{{"tenant_id", k_tenant},
             {"timeline_id", k_timeline},
             {"generation", 3},
             {"safekeepers", {Json{{"id", 1}, {"hostname", "sk-a"}}, Json{{"id", 2}, {"hostname", "sk-b"}}}}}
            .dump();
    CHECK(cluster.put("/notify-safekeepers", body) == 200);
    REQUIRE(cluster.computes[0]->specs().size() == 1);
    const Json spec = cluster.computes[0]->specs().back();
    CHECK(spec["safekeeper_connstrings"] == Json{"sk-a:5454", "sk-b:5454"});
    CHECK(spec["safekeepers_generation"] == 3);
    CHECK(spec["pageserver_connection_info"]["shards"].contains("0000"));
    CHECK(cluster.computes[1]->requests() == 0);

    // A later attach keeps the new safekeepers.
    REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);
    CHECK(cluster.computes[0]->specs().back()["safekeepers_generation"] == 3);
    CHECK(cluster.computes[1]->specs().back()["safekeeper_connstrings"] ==
          Json{"safekeeper-0.safekeeper:5454", "sk-a:5454", "sk-b:5454"});  // computes.json's list
  }

  TEST_CASE("bad input is refused without harm") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    std::string reply;
    CHECK(cluster.put("/notify-attach", "{not json", "", &reply) == 400);
    CHECK(Json::parse(reply)["error"] == "body is not valid JSON");
    CHECK(cluster.put("/notify-attach", R"({"tenant_id":"zz","shards":[]})", "", &reply) == 400);
    CHECK(Json::parse(reply)["error"].get<std::string>().find("tenant_id") != std::string::npos);
    CHECK(put_with_curl(cluster, "/notify-attach", std::string(2 * 1024 * 1024, '[')) == 413);
    CHECK(cluster.put("/notify-safekeepers", "[[[[", "") == 400);

    const std::string lonely = Json{{"tenant_id", k_lonely},
                                    {"preferred_az", nullptr},
                                    {"stripe_size", nullptr},
                                    {"shards", {Json{{"node_id", 1}, {"shard_number", 0}}}}}
                                   .dump();
    CHECK(cluster.put("/notify-attach", lonely) == 200);
    CHECK(cluster.computes[0]->requests() == 0);

    auto metrics = cluster.client().Get("/metrics");
    REQUIRE(metrics);
    // The oversized body is refused before it is read, so it is not counted.
    CHECK(metrics->body.find("neon_hook_notifications_received_total{kind=\"attach\"} 3") != std::string::npos);
    CHECK(metrics->body.find("neon_hook_notifications_failed_total{kind=\"attach\"} 2") != std::string::npos);
    CHECK(metrics->body.find("neon_hook_notifications_applied_total{kind=\"attach\"} 1") != std::string::npos);
    CHECK(metrics->body.find("neon_hook_notifications_failed_total{kind=\"safekeepers\"} 1") != std::string::npos);
    CHECK(metrics->body.find("neon_hook_notification_seconds_count 4") != std::string::npos);
  }

  TEST_CASE("with an expected token, notifications need it") {
    ClusterOptions o;
    o.token = "s3cret-token";
    Cluster cluster({{"app-main", k_tenant, k_timeline}}, o);
    cluster.storcon.add_tenant(k_tenant);
    const std::string body = cluster.storcon.notify_attach_body(k_tenant).dump();
    CHECK(cluster.put("/notify-attach", body, k_no_token) == 401);
    CHECK(cluster.put("/notify-attach", body, "s3cret-tokeX") == 403);
    CHECK(cluster.put("/notify-attach", body, "short") == 403);
    CHECK(cluster.computes[0]->requests() == 0);
    CHECK(cluster.storcon.notify_attach(k_tenant) == 200);  // sends the token
    CHECK(cluster.computes[0]->specs().size() == 1);
  }

  TEST_CASE("concurrent notifications for one tenant end with the newest placement") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    for (std::uint64_t node = 3; node <= 8; ++node) {
      cluster.storcon.add_node(node, "az-a");
    }
    FakeComputeCtl& compute = *cluster.computes[0];
    compute.hold();
    // The first (node 1) is applied and held; the next ones arrive one after another while it is,
    // each after the previous is queued, so their order is known. Each names another node (2 ... 8),
    // so the placement applied last says which of the seven waiting ones won: the newest, node 8.
    std::vector<std::future<int>> calls;
    calls.push_back(
        std::async(std::launch::async, [&] { return cluster.put("/notify-attach", attach_body(k_tenant, 1)); }));
    REQUIRE(compute.wait_held(1, std::chrono::seconds(20)));
    const std::string received = R"(neon_hook_notifications_received_total{kind="attach"})";
    for (int i = 1; i < 8; ++i) {
      const std::uint64_t node = 1 + static_cast<std::uint64_t>(i);
      calls.push_back(std::async(
          std::launch::async, [&cluster, node] { return cluster.put("/notify-attach", attach_body(k_tenant, node)); }));
      for (int t = 0; t < 2000 && metric(cluster, "neon_hook_notifications_waiting") < i; ++t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      REQUIRE(metric(cluster, "neon_hook_notifications_waiting") == i);
      CHECK(metric(cluster, received) == i + 1);
    }
    compute.release();
    for (auto& c : calls) {
      CHECK(c.get() == 200);
    }
    // The held one (node 1), then only the newest of the seven that waited (node 8).
    const auto specs = compute.specs();
    REQUIRE(specs.size() == 2);
    CHECK(specs[0]["pageserver_connection_info"]["shards"]["0000"]["pageservers"][0]["libpq_url"] == url_of(1));
    CHECK(last_pageservers(compute)["shards"]["0000"]["pageservers"][0]["libpq_url"] == url_of(8));
    CHECK(metric(cluster, R"(neon_hook_notifications_superseded_total{kind="attach"})") == 6);
  }

  TEST_CASE("a notification for a tenant with many computes configures at most configure_workers at once") {
    std::vector<ComputeDef> defs;
    for (int i = 0; i < 12; ++i) {
      defs.push_back({fmt::format("app-c{}", i), k_tenant, k_timeline});
    }
    ClusterOptions o;
    o.configure_workers = 3;
    Cluster cluster(defs, o);
    for (auto& c : cluster.computes) {
      c->hold();
    }
    auto call = std::async(std::launch::async, [&] { return cluster.put("/notify-attach", attach_body(k_tenant, 1)); });
    const auto held = [&] {
      int n = 0;
      for (auto& c : cluster.computes) {
        n += c->wait_held(1, std::chrono::milliseconds(0)) ? 1 : 0;
      }
      return n;
    };
    for (int t = 0; t < 2000 && held() < 3; ++t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // room for more, were there no bound
    CHECK(held() == 3);
    for (auto& c : cluster.computes) {
      c->release();
    }
    CHECK(call.get() == 200);
    for (auto& c : cluster.computes) {
      CHECK(c->specs().size() == 1);
    }
  }

  TEST_CASE("an exception escaping a handler is logged with its route, never with headers or body") {
    const auto line = neon::cli::hook::handler_exception_line("PUT", "/notify-attach",
                                                              std::make_exception_ptr(std::runtime_error("boom")));
    CHECK(line == "PUT /notify-attach: internal error: boom");
    CHECK(neon::cli::hook::handler_exception_line("GET", "/x", std::make_exception_ptr(42)) ==
          "GET /x: internal error: unknown exception");
  }

  TEST_CASE("a newer notification replaces an older one still waiting for the same tenant") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    FakeComputeCtl& compute = *cluster.computes[0];
    compute.hold();
    auto first =
        std::async(std::launch::async, [&] { return cluster.put("/notify-attach", attach_body(k_tenant, 1)); });
    REQUIRE(compute.wait_held(1, std::chrono::seconds(20)));
    // The tenant is busy with the first one, so the second waits and the third takes its place.
    auto second =
        std::async(std::launch::async, [&] { return cluster.put("/notify-attach", attach_body(k_tenant, 2)); });
    const std::string waiting = "neon_hook_notifications_waiting";
    for (int i = 0; i < 2000 && metric(cluster, waiting) < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(metric(cluster, waiting) == 1);
    auto third =
        std::async(std::launch::async, [&] { return cluster.put("/notify-attach", attach_body(k_tenant, 1)); });
    for (int i = 0; i < 2000 && metric(cluster, waiting) < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(metric(cluster, waiting) == 2);
    CHECK(metric(cluster, R"(neon_hook_notifications_superseded_total{kind="attach"})") == 1);
    CHECK(compute.requests() == 1);
    compute.release();
    CHECK(first.get() == 200);
    CHECK(second.get() == 200);
    CHECK(third.get() == 200);
    const auto specs = compute.specs();
    REQUIRE(specs.size() == 2);  // the second placement was never sent
    CHECK(specs[0]["pageserver_connection_info"]["shards"]["0000"]["pageservers"][0]["libpq_url"] == url_of(1));
    CHECK(specs[1]["pageserver_connection_info"]["shards"]["0000"]["pageservers"][0]["libpq_url"] == url_of(1));
    CHECK(metric(cluster, R"(neon_hook_notifications_applied_total{kind="attach"})") == 3);
  }

  TEST_CASE("hook serve usage errors") {
    CHECK(neon::test::run_cli({"hook"}).exit == 2);
    CHECK(neon::test::run_cli({"hook", "listen"}).exit == 2);
    CHECK(neon::test::run_cli({"hook", "serve"}).exit == 2);
    CHECK(neon::test::run_cli({"hook", "serve", "--computes", "x.json", "--listen", "nowhere"}).exit == 2);
    auto missing = neon::test::run_cli({"hook", "serve", "--computes", "/nonexistent/computes.json"});
    CHECK(missing.exit == 1);
    CHECK(missing.err.find("error:") != std::string::npos);
  }
}
