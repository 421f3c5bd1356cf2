// The streaming tenant-list reader, the early request for the next page, and the streaming JSON
// writer behind `status -o json`.
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include <fmt/format.h>

#include "plugin/adapters/json_writer.hpp"
#include "plugin/clients/storcon.hpp"
#include "tests/support/fake_storcon.hpp"

namespace {

using neon::cli::storcon::Json;
using neon::cli::storcon::parse_tenant_list;
using neon::cli::storcon::Tenant;

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string parse_error(const std::string& body) {
  auto r = parse_tenant_list(body);
  REQUIRE_FALSE(r);
  return r.error().message;
}

/// Pages served from a table by path; every request is recorded.
class ScriptedTransport final : public neon::cli::http::Transport {
public:
  std::map<std::string, std::pair<long, std::string>> pages;
  std::vector<std::string> paths;

  neon::cli::http::Outcome send(const neon::cli::http::Request& request) override {
    const std::string path = request.url.substr(request.url.find("/control/"));
    paths.push_back(path);
    neon::cli::http::Outcome out;
    auto it = pages.find(path);
    out.response = neon::cli::http::Response{};
    out.response->status = it == pages.end() ? 404 : it->second.first;
    out.response->body = it == pages.end() ? R"({"msg":"no such page"})" : it->second.second;
    return out;
  }
};

neon::cli::storcon::ClientOptions scripted_options() {
  neon::cli::storcon::ClientOptions o;
  o.base_url = "http://storcon.test";
  o.sleep = [](std::chrono::milliseconds) {};
  o.max_attempts = 1;
  return o;
}

std::string tenant_text(const std::string& id, const std::string& extra = "") {
  return fmt::format(R"({{"tenant_id":"{}","shards":[{{"tenant_shard_id":"{}","node_attached":1,)"
                     R"("node_secondary":[],"last_error":"","is_reconciling":false,)"
                     R"("is_pending_compute_notification":false,"scheduling_policy":"Active"}}],)"
                     R"("stripe_size":2048,"policy":{{"Attached":0}}{}}})",
                     id, id, extra);
}

}  // namespace

TEST_SUITE("storcon tenant list") {
  TEST_CASE("the reader takes every documented field, in any order, and skips unknown ones") {
    const std::string body = R"([
      {"shards": [
         {"is_splitting": false, "node_secondary": [3, 4], "tenant_shard_id": "aa-0102",
          "node_attached": null, "last_error": "reconcile: \"timeout\"\n", "is_reconciling": true,
          "is_pending_compute_notification": true, "scheduling_policy": "Pause",
          "preferred_az_id": null, "future": {"nested": [{"tenant_id": "ff"}], "x": [[1], {}]}},
         {"tenant_shard_id": "aa-0202", "node_attached": 7, "node_secondary": null,
          "preferred_az_id": "az-b"}],
       "config": {"pitr_interval": "7d", "lists": [1, "two", null, {"deep": [true]}], "gc": {}},
       "policy": {"Attached": 2}, "stripe_size": 32768, "unknown_list": [1, 2], "unknown": {"a": {"b": []}},
       "tenant_id": "aa"},
      {"tenant_id": "bb", "shards": [], "policy": "Detached"}
    ])";
    auto r = parse_tenant_list(body);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    REQUIRE(r->size() == 2);
    const Tenant& a = r->at(0);
    CHECK(a.tenant_id == "aa");
    CHECK(a.stripe_size == 32768);
    CHECK(a.policy == Json{{"Attached", 2}});
    CHECK(a.config == Json::parse(R"({"pitr_interval": "7d", "lists": [1, "two", null, {"deep": [true]}], "gc": {}})"));
    REQUIRE(a.shards.size() == 2);
    CHECK(a.shards[0].tenant_shard_id == "aa-0102");
    CHECK_FALSE(a.shards[0].node_attached);
    CHECK(a.shards[0].node_secondary == std::vector<std::uint64_t>{3, 4});
    CHECK(a.shards[0].last_error == "reconcile: \"timeout\"\n");
    CHECK(a.shards[0].is_reconciling);
    CHECK(a.shards[0].is_pending_compute_notification);
    CHECK(a.shards[0].scheduling_policy == "Pause");
    CHECK_FALSE(a.shards[0].preferred_az);
    CHECK(a.shards[1].node_attached == std::optional<std::uint64_t>(7));
    CHECK(a.shards[1].node_secondary.empty());
    CHECK(a.shards[1].preferred_az == std::optional<std::string>("az-b"));
    CHECK_FALSE(a.shards[1].is_reconciling);
    const Tenant& b = r->at(1);
    CHECK(b.tenant_id == "bb");
    CHECK(b.shards.empty());
    CHECK(b.policy == "Detached");
    CHECK(b.config == Json::object());
    CHECK(b.stripe_size == 0);

    auto empty = parse_tenant_list("[]");
    REQUIRE(empty);
    CHECK(empty->empty());
  }

  TEST_CASE("the reader gives what the fake controller serves, as the document does") {
    neon::test::FakeStorcon fake;
    fake.add_node(1, "az-a");
    fake.add_node(2, "az-b");
    for (int i = 1; i <= 30; ++i) {
      fake.add_tenant(fmt::format("{:032x}", i), i % 3 == 0 ? 4 : 1, i % 2);
    }
    neon::cli::http::CurlTransport transport;
    neon::cli::http::Request req;
    req.url = fake.url() + "/control/v1/tenant?limit=100";
    auto out = transport.send(req);
    REQUIRE(out.response);
    auto r = parse_tenant_list(out.response->body);
    REQUIRE(r);
    const Json doc = Json::parse(out.response->body);
    REQUIRE(r->size() == doc.size());
    for (std::size_t i = 0; i < doc.size(); ++i) {
      CAPTURE(i);
      const Tenant& t = r->at(i);
      CHECK(t.tenant_id == doc[i]["tenant_id"]);
      CHECK(t.policy == doc[i]["policy"]);
      CHECK(t.config == doc[i]["config"]);
      CHECK(t.stripe_size == doc[i]["stripe_size"]);
      REQUIRE(t.shards.size() == doc[i]["shards"].size());
      for (std::size_t k = 0; k < t.shards.size(); ++k) {
        const Json& s = doc[i]["shards"][k];
        CHECK(t.shards[k].tenant_shard_id == s["tenant_shard_id"]);
        CHECK((t.shards[k].node_attached ? Json(*t.shards[k].node_attached) : Json()) == s["node_attached"]);
        CHECK(Json(t.shards[k].node_secondary) == s["node_secondary"]);
        CHECK(t.shards[k].scheduling_policy == s["scheduling_policy"]);
      }
    }
  }

  TEST_CASE("the reader names what is wrong") {
    CHECK(contains(parse_error("{}"), "expected an array of tenants"));
    CHECK(contains(parse_error("\"x\""), "expected an array of tenants"));
    CHECK(contains(parse_error("[1]"), "expected a tenant object"));
    CHECK(contains(parse_error(R"([{"shards": []}])"), "tenant 1 has no \"tenant_id\""));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa"}])"), "tenant aa has no \"shards\""));
    CHECK(contains(parse_error(R"([{"tenant_id": 5, "shards": []}])"), "\"tenant_id\" has the wrong type"));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": {}}])"), "\"shards\" has the wrong type"));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": [{}]}])"),
                   "a shard of tenant aa has no \"tenant_shard_id\""));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": [{"tenant_shard_id": "x", "node_attached": "1"}]}])"),
                   "\"node_attached\" has the wrong type"));
    CHECK(
        contains(parse_error(R"([{"tenant_id": "aa", "shards": [{"tenant_shard_id": "x", "node_secondary": ["1"]}]}])"),
                 "\"node_secondary\" must hold node ids"));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": [{"tenant_shard_id": "x", "is_reconciling": 1}]}])"),
                   "\"is_reconciling\" has the wrong type"));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": [{"tenant_shard_id": "x", "last_error": null}]}])"),
                   "\"last_error\" has the wrong type"));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": [], "stripe_size": -1}])"),
                   "\"stripe_size\" has the wrong type"));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": [], "stripe_size": 4294967296}])"),
                   "\"stripe_size\" has the wrong type"));
    CHECK(contains(parse_error(R"([{"tenant_id": "aa", "shards": [)"), "not valid JSON"));
    CHECK(contains(parse_error(""), "not valid JSON"));
    CHECK(contains(parse_error(R"({"shards": [ not json)"), "not valid JSON"));
  }

  TEST_CASE("the next page is asked for while a page is read; a wrong guess is asked for again") {
    ScriptedTransport transport;
    // Tenant bb carries a "tenant_id" key of its own after its id: the text-level guess for the
    // next page is "ff", the parsed page says "bb".
    transport.pages["/control/v1/tenant?limit=2"] = {
        200, "[" + tenant_text("aa") + "," + tenant_text("bb", R"(,"config":{"labels":{"tenant_id":"ff"}})") + "]"};
    transport.pages["/control/v1/tenant?limit=2&start_after=ff"] = {200, "[]"};
    transport.pages["/control/v1/tenant?limit=2&start_after=bb"] = {200, "[" + tenant_text("cc") + "]"};
    neon::cli::storcon::Client client(transport, scripted_options());
    auto tenants = client.list_tenants(2);
    REQUIRE_MESSAGE(tenants, (tenants ? "" : tenants.error().message));
    REQUIRE(tenants->size() == 3);
    CHECK(tenants->at(0).tenant_id == "aa");
    CHECK(tenants->at(1).tenant_id == "bb");
    CHECK(tenants->at(2).tenant_id == "cc");
    CHECK(transport.paths == std::vector<std::string>{"/control/v1/tenant?limit=2",
                                                      "/control/v1/tenant?limit=2&start_after=ff",
                                                      "/control/v1/tenant?limit=2&start_after=bb"});
  }

  TEST_CASE("a right guess costs no request; the last short page asks for nothing early") {
    ScriptedTransport transport;
    transport.pages["/control/v1/tenant?limit=2"] = {200, "[" + tenant_text("aa") + "," + tenant_text("bb") + "]"};
    transport.pages["/control/v1/tenant?limit=2&start_after=bb"] = {
        200, "[" + tenant_text("cc") + "," + tenant_text("dd") + "]"};
    transport.pages["/control/v1/tenant?limit=2&start_after=dd"] = {200, "[" + tenant_text("ee") + "]"};
    neon::cli::storcon::Client client(transport, scripted_options());
    auto tenants = client.list_tenants(2);
    REQUIRE(tenants);
    CHECK(tenants->size() == 5);
    CHECK(transport.paths == std::vector<std::string>{"/control/v1/tenant?limit=2",
                                                      "/control/v1/tenant?limit=2&start_after=bb",
                                                      "/control/v1/tenant?limit=2&start_after=dd"});
  }

  TEST_CASE("errors name the page that failed, early request or not") {
    SUBCASE("a bad page after a good one") {
      ScriptedTransport transport;
      transport.pages["/control/v1/tenant?limit=1"] = {200, "[" + tenant_text("aa") + "]"};
      transport.pages["/control/v1/tenant?limit=1&start_after=aa"] = {200, R"([{"shards": []}])"};
      neon::cli::storcon::Client client(transport, scripted_options());
      auto tenants = client.list_tenants(1);
      REQUIRE_FALSE(tenants);
      CHECK(tenants.error().message ==
            "storage controller: GET /control/v1/tenant?limit=1&start_after=aa: unexpected tenant list in the "
            "response: tenant 1 has no \"tenant_id\"");
    }
    SUBCASE("the early request fails") {
      ScriptedTransport transport;
      transport.pages["/control/v1/tenant?limit=1"] = {200, "[" + tenant_text("aa") + "]"};
      transport.pages["/control/v1/tenant?limit=1&start_after=aa"] = {500, R"({"msg":"database unavailable"})"};
      neon::cli::storcon::Client client(transport, scripted_options());
      auto tenants = client.list_tenants(1);
      REQUIRE_FALSE(tenants);
      CHECK(contains(tenants.error().message,
                     "GET /control/v1/tenant?limit=1&start_after=aa: 500 Internal Server Error: database unavailable"));
    }
  }

  TEST_CASE("the JSON writer lays values out as dump(2) does") {
    const std::vector<Json> values = {
        Json::object(),
        Json::array(),
        Json{{"a", Json::array()}, {"b", Json::object()}, {"c", nullptr}},
        Json::parse(
            R"({"nested": {"list": [1, [2, []], {"k": "v"}], "t": true, "f": false}, "n": 18446744073709551615})"),
        Json::parse(R"(["quote \" backslash \\ newline \n tab \t bell \u0007", "ünïcødé ✓", ""])"),
        Json::parse(R"({"\"odd key\"": {"x\ny": [null]}})"),
        Json::parse(R"([-1, 2.5, 1e100])"),
    };
    for (const auto& v : values) {
      std::ostringstream out;
      neon::cli::JsonWriter w(out);
      w.value(v);
      w.finish();
      CHECK(out.str() == v.dump(2) + "\n");
    }
    // Built call by call, including text past the writer's internal chunk size.
    std::ostringstream out;
    neon::cli::JsonWriter w(out);
    Json expected = Json::object();
    w.begin_object().key("items").begin_array();
    for (std::uint64_t i = 0; i < 40000; ++i) {
      const std::string s = fmt::format("item-{:032x}", i);
      w.begin_object().key("id").number(i).key("name").string(s).key("ok").boolean(i % 2 == 0).end_object();
      expected["items"].push_back(Json{{"id", i}, {"name", s}, {"ok", i % 2 == 0}});
    }
    w.end_array().key("none").null().end_object();
    w.finish(false);
    expected["none"] = nullptr;
    CHECK(out.str().size() > (1U << 20));
    CHECK(out.str() == expected.dump(2));
  }
}
