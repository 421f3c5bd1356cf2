// The compute hook's pure parts: computes.json, notification bodies, ComputeSpec shape.
#include <doctest/doctest.h>

#include "plugin/hook/hook_spec.hpp"

namespace {

using namespace neon::cli::hook;

const std::string k_tenant = "1f359dd625e519a1a4e8d7509690f6fc";
const std::string k_timeline = "de200bd42b49cc1814412c7e592dd6e9";

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("shard index keys are <NN><CC> in hex") {
    CHECK(shard_index(0, 0) == "0000");
    CHECK(shard_index(0, 4) == "0004");
    CHECK(shard_index(3, 4) == "0304");
    CHECK(shard_index(10, 16) == "0a10");
    CHECK(libpq_url("pageserver-0.pageserver", 6400) == "postgres://no_user@pageserver-0.pageserver:6400");
  }

  TEST_CASE("notify-attach bodies are validated") {
    auto ok = parse_notify_attach(R"({"tenant_id":")" + k_tenant +
                                  R"(","preferred_az":"az-a","stripe_size":2048,)"
                                  R"("shards":[{"node_id":2,"shard_number":1},{"node_id":1,"shard_number":0}]})");
    REQUIRE(ok);
    CHECK(ok->stripe_size == 2048u);
    REQUIRE(ok->shards.size() == 2);
    CHECK(ok->shards[0].node_id == 1);
    CHECK(ok->preferred_az == std::string("az-a"));

    auto unsharded =
        parse_notify_attach(R"({"tenant_id":")" + k_tenant +
                            R"(","preferred_az":null,"stripe_size":null,"shards":[{"node_id":7,"shard_number":0}]})");
    REQUIRE(unsharded);
    CHECK_FALSE(unsharded->stripe_size);

    CHECK_FALSE(parse_notify_attach("not json"));
    CHECK_FALSE(parse_notify_attach("[]"));
    CHECK_FALSE(parse_notify_attach(R"({"tenant_id":"XYZ","shards":[{"node_id":1,"shard_number":0}]})"));
    CHECK_FALSE(parse_notify_attach(R"({"tenant_id":")" + k_tenant + R"(","shards":[]})"));
    CHECK_FALSE(parse_notify_attach(R"({"tenant_id":")" + k_tenant + R"(","shards":[{"shard_number":0}]})"));
    CHECK_FALSE(
        parse_notify_attach(R"({"tenant_id":")" + k_tenant + R"(","shards":[{"node_id":-1,"shard_number":0}]})"));
    const auto no_stripe = parse_notify_attach(
        R"({"tenant_id":")" + k_tenant +
        R"(","stripe_size":null,"shards":[{"node_id":1,"shard_number":0},{"node_id":1,"shard_number":1}]})");
    REQUIRE_FALSE(no_stripe);
    CHECK(no_stripe.error().message.find("stripe_size") != std::string::npos);
    CHECK_FALSE(parse_notify_attach(
        R"({"tenant_id":")" + k_tenant +
        R"(","stripe_size":8,"shards":[{"node_id":1,"shard_number":0},{"node_id":1,"shard_number":2}]})"));
  }

  TEST_CASE("notify-safekeepers bodies are validated") {
    auto ok = parse_notify_safekeepers(
        R"({"tenant_id":")" + k_tenant + R"(","timeline_id":")" + k_timeline +
        R"(","generation":3,"safekeepers":[{"id":1,"hostname":"sk-0"},{"id":2,"hostname":null}]})");
    REQUIRE(ok);
    CHECK(ok->generation == 3u);
    CHECK(ok->safekeepers[0].hostname == std::string("sk-0"));
    CHECK_FALSE(ok->safekeepers[1].hostname);
    CHECK_FALSE(parse_notify_safekeepers(R"({"tenant_id":")" + k_tenant + R"(","generation":3,"safekeepers":[]})"));
  }

  TEST_CASE("computes.json is read as generators/computes.hpp writes it") {
    const std::string text = R"({"version":1,"namespace":"neon","safekeepers":["sk-0:5454"],"projects":[],
      "computes":[{"compute_id":"app-main","project":"app","branch":"main","tenant_id":")" +
                             k_tenant + R"(","timeline_id":")" + k_timeline + R"(","pg_version":16,"mode":"replica",
      "address":"compute-app-main-ro:3080","pg_port":55433,"settings":[{"name":"port","value":"55433","vartype":"integer"}]}]})";
    auto c = parse_computes(text);
    REQUIRE(c);
    REQUIRE(c->computes.size() == 1);
    CHECK(c->computes[0].mode == ComputeMode::replica);
    CHECK(c->computes[0].pg_version == 16);
    CHECK(c->safekeepers == std::vector<std::string>{"sk-0:5454"});
    auto bad = parse_computes(R"({"computes":[{"compute_id":"x","tenant_id":"nope","timeline_id":")" + k_timeline +
                              R"(","address":"a:1"}]})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "computes.json: computes[0].tenant_id: must be 32 lowercase hex characters");
  }

  TEST_CASE("the spec carries every shard, the safekeepers and the compute's settings") {
    ComputeEntry c;
    c.compute_id = "app-main";
    c.tenant_id = k_tenant;
    c.timeline_id = k_timeline;
    c.settings = Json::array({Json{{"name", "port"}, {"value", "55433"}, {"vartype", "integer"}}});
    Placement p;
    p.shard_count = 2;
    p.stripe_size = 2048;
    p.shards = {{1, libpq_url("ps-1", 6400)}, {2, libpq_url("ps-2", 6400)}};
    const Json spec = build_spec(c, p, SafekeeperSet{{"sk-0:5454"}, 4});
    CHECK(spec["format_version"] == 1.0);
    CHECK(spec["suspend_timeout_seconds"] == -1);
    CHECK(spec["mode"] == "Primary");
    CHECK(spec["cluster"]["roles"] == Json::array());
    CHECK(spec["cluster"]["settings"] == c.settings);
    CHECK(spec["safekeepers_generation"] == 4);
    const Json& info = spec["pageserver_connection_info"];
    CHECK(info["shard_count"] == 2);
    CHECK(info["stripe_size"] == 2048);
    CHECK(info["prefer_protocol"] == "libpq");
    CHECK(info["shards"]["0102"]["pageservers"][0] ==
          Json{{"id", 2}, {"libpq_url", "postgres://no_user@ps-2:6400"}, {"grpc_url", nullptr}});

    c.mode = ComputeMode::replica;
    const Json unsharded = build_spec(c, Placement{0, std::nullopt, {{1, "postgres://no_user@ps-1:6400"}}}, {});
    CHECK(unsharded["mode"] == "Replica");
    CHECK(unsharded["pageserver_connection_info"]["stripe_size"].is_null());
    CHECK(unsharded["pageserver_connection_info"]["shards"].contains("0000"));
    CHECK_FALSE(unsharded.contains("safekeepers_generation"));
  }
}
