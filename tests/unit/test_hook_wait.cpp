// The compute hook while a placement is pending: spec requests are held (compute_ctl tries only 3
// times, 100 ms apart: compute_tools/src/spec.rs:77-135), and a splitting tenant is answered 503.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>

#include "plugin/hook/hook_spec.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;
using neon::cli::hook::attachment_from_describe;
using neon::cli::hook::DescribedShard;
using neon::cli::hook::parse_tenant_shard_id;
using neon::cli::hook::split_in_progress;
using Clock = std::chrono::steady_clock;

long elapsed_ms(Clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

void wait_for_metric(const Cluster& cluster, const std::string& sample, long value) {
  for (int i = 0; i < 2000 && metric(cluster, sample) != value; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(metric(cluster, sample) == value);
}

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("tenant_shard_id gives shard number and count (libs/utils/src/shard.rs:206-251)") {
    auto legacy = parse_tenant_shard_id(k_tenant);
    REQUIRE(legacy);
    CHECK(legacy->tenant_id == k_tenant);
    CHECK(legacy->number == 0);
    CHECK(legacy->count == 0);
    auto sharded = parse_tenant_shard_id(k_tenant + "-0a10");
    REQUIRE(sharded);
    CHECK(sharded->number == 10);
    CHECK(sharded->count == 16);
    auto one = parse_tenant_shard_id(k_tenant + "-0001");
    REQUIRE(one);
    CHECK(one->count == 1);
    for (const std::string& bad : {k_tenant + "-0404", k_tenant + "-01", k_tenant + "_0104", k_tenant + "-01g4",
                                   std::string("1F359DD625E519A1A4E8D7509690F6FC"), std::string("")}) {
      CHECK_MESSAGE(!parse_tenant_shard_id(bad), bad);
    }
  }

  TEST_CASE("the described placement reads shard numbers from tenant_shard_id, not the list order") {
    const std::vector<DescribedShard> shards{{k_tenant + "-0204", 30, false},
                                             {k_tenant + "-0004", 10, false},
                                             {k_tenant + "-0304", 40, false},
                                             {k_tenant + "-0104", 20, false}};
    auto n = attachment_from_describe(k_tenant, 2048, shards);
    REQUIRE_MESSAGE(n, (n ? std::string() : n.error().message));
    REQUIRE(n->shards.size() == 4);
    for (std::uint32_t i = 0; i < 4; ++i) {
      CHECK(n->shards[i].shard_number == i);
      CHECK(n->shards[i].node_id == 10 * (i + 1));
    }
    CHECK(n->stripe_size == 2048u);

    auto unsharded = attachment_from_describe(k_tenant, 2048, {{k_tenant, 7, false}});
    REQUIRE(unsharded);
    CHECK_FALSE(unsharded->stripe_size);
    CHECK(unsharded->shards.size() == 1);

    auto missing = attachment_from_describe(k_tenant, 2048, {shards[0], shards[1], shards[2]});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("lists 3 shards of a 4-shard tenant") != std::string::npos);
    auto twice = attachment_from_describe(k_tenant, 2048, {shards[0], shards[1], shards[2], shards[0]});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message.find("listed twice") != std::string::npos);
    auto foreign = attachment_from_describe(k_sharded, 2048, {{k_tenant, 7, false}});
    CHECK_FALSE(foreign);
    auto detached = attachment_from_describe(k_tenant, 2048, {{k_tenant, std::nullopt, false}});
    REQUIRE_FALSE(detached);
    CHECK(detached.error().message.find("not attached") != std::string::npos);
  }

  TEST_CASE("a split shows as is_splitting or as shards of two counts side by side") {
    CHECK_FALSE(split_in_progress(k_tenant, {{k_tenant + "-0002", 1, false}, {k_tenant + "-0102", 1, false}}));
    auto flagged = split_in_progress(k_tenant, {{k_tenant, 1, true}});
    REQUIRE(flagged);
    CHECK(flagged->find("is splitting") != std::string::npos);
    // Parent 1 of 2 beside the children of parent 0 (service.rs:5937-6026 replaces parents by children).
    CHECK(split_in_progress(
        k_tenant, {{k_tenant + "-0004", 1, false}, {k_tenant + "-0204", 1, false}, {k_tenant + "-0102", 2, false}}));
    auto n = attachment_from_describe(k_tenant, 2048, {{k_tenant + "-0002", 1, true}, {k_tenant + "-0102", 2, true}});
    REQUIRE_FALSE(n);
    CHECK(n.error().message.find("is splitting") != std::string::npos);
  }

  TEST_CASE("a spec request waits for a pending placement instead of failing compute_ctl's 3 quick tries") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}}, ClusterOptions{});
    FakeComputeCtl& compute = *cluster.computes[0];
    // The tenant does not exist yet (its bootstrap step has not created it).
    const auto start = Clock::now();
    auto fetch = std::async(std::launch::async,
                            [&] { return compute.fetch_spec(cluster.hook->url(), compute_token("app-main")); });
    wait_for_metric(cluster, "neon_hook_spec_requests_waiting", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    cluster.storcon.add_tenant(k_tenant);
    const auto got = fetch.get();
    REQUIRE_MESSAGE(got.ok, got.error);
    CHECK(got.attempts == 1);
    CHECK(elapsed_ms(start) >= 600);
    CHECK(got.reply["spec"]["tenant_id"] == k_tenant);
    const auto node = cluster.storcon.tenant(k_tenant)["shards"][0]["node_attached"].get<std::uint64_t>();
    CHECK(got.reply["spec"]["pageserver_connection_info"]["shards"]["0000"]["pageservers"][0]["libpq_url"] ==
          url_of(node));
    CHECK(metric(cluster, "neon_hook_spec_requests_waiting") == 0);
  }

  TEST_CASE("a notification for the tenant wakes a waiting spec request at once") {
    ClusterOptions o;
    o.spec_wait = std::chrono::seconds(20);
    Cluster cluster({{"app-main", k_lonely, k_timeline}}, o);
    auto fetch = std::async(std::launch::async, [&] {
      return cluster.computes[0]->fetch_spec(cluster.hook->url(), compute_token("app-main"));
    });
    wait_for_metric(cluster, "neon_hook_spec_requests_waiting", 1);
    // The controller never describes k_lonely (unknown to it); the notification alone places it.
    const auto start = Clock::now();
    CHECK(cluster.put("/notify-attach", attach_body(k_lonely, 2)) == 200);
    const auto got = fetch.get();
    REQUIRE_MESSAGE(got.ok, got.error);
    CHECK(elapsed_ms(start) < 5000);
    CHECK(got.reply["spec"]["pageserver_connection_info"]["shards"]["0000"]["pageservers"][0]["libpq_url"] ==
          url_of(2));
  }

  TEST_CASE("the wait for a placement is bounded in time and in how many requests wait") {
    ClusterOptions o;
    o.spec_wait = std::chrono::milliseconds(400);
    o.max_waiting_specs = 1;
    Cluster cluster({{"app-main", k_tenant, k_timeline}, {"app-dev", k_tenant, k_timeline2}}, o);
    auto start = Clock::now();
    auto res = cluster.get_spec("app-main");
    REQUIRE(res);
    CHECK(res->status == 503);
    CHECK(elapsed_ms(start) >= 400);
    CHECK(Json::parse(res->body)["error"].get<std::string>().find(k_tenant) != std::string::npos);

    // One request waits; the next is answered at once, so waiting never takes every thread.
    auto first = std::async(std::launch::async, [&] {
      auto r = cluster.get_spec("app-main");
      return r ? r->status : -1;
    });
    wait_for_metric(cluster, "neon_hook_spec_requests_waiting", 1);
    start = Clock::now();
    auto second = cluster.get_spec("app-dev");
    REQUIRE(second);
    CHECK(second->status == 503);
    CHECK(elapsed_ms(start) < 300);
    CHECK(first.get() == 503);
  }

  TEST_CASE("stopping the hook releases a waiting spec request") {
    ClusterOptions o;
    o.spec_wait = std::chrono::seconds(30);
    auto cluster = std::make_unique<Cluster>(std::vector<ComputeDef>{{"app-main", k_tenant, k_timeline}}, o);
    auto first = std::async(std::launch::async, [&] {
      auto r = cluster->get_spec("app-main");
      return r ? r->status : -1;
    });
    wait_for_metric(*cluster, "neon_hook_spec_requests_waiting", 1);
    const auto start = Clock::now();
    cluster->hook.reset();
    CHECK(elapsed_ms(start) < 5000);
    CHECK(first.get() == 503);
  }

  TEST_CASE("a splitting tenant: notify-attach is answered 503 and a spec request waits for the split") {
    Cluster cluster({{"big-main", k_sharded, k_timeline}});
    cluster.storcon.add_tenant(k_sharded, 2);
    cluster.storcon.set_splitting(k_sharded, true);
    std::string reply;
    CHECK(cluster.put("/notify-attach", cluster.storcon.notify_attach_body(k_sharded).dump(), "", &reply) == 503);
    CHECK(Json::parse(reply)["error"].get<std::string>().find("splitting") != std::string::npos);
    CHECK(cluster.computes[0]->requests() == 0);

    auto fetch = std::async(std::launch::async, [&] {
      return cluster.computes[0]->fetch_spec(cluster.hook->url(), compute_token("big-main"));
    });
    wait_for_metric(cluster, "neon_hook_spec_requests_waiting", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cluster.storcon.set_splitting(k_sharded, false);
    const auto got = fetch.get();
    REQUIRE_MESSAGE(got.ok, got.error);
    CHECK(got.attempts == 1);
    CHECK(got.reply["spec"]["pageserver_connection_info"]["shard_count"] == 2);

    CHECK(cluster.storcon.notify_attach(k_sharded) == 200);
    CHECK(cluster.computes[0]->specs().size() == 1);
  }
}
