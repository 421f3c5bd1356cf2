// Storage controller client against the fake controller over loopback.
#include <doctest/doctest.h>

#include <sstream>

#include <fmt/format.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/storcon.hpp"
#include "tests/support/fake_storcon.hpp"

namespace {

using neon::cli::storcon::Client;
using neon::cli::storcon::ClientOptions;
using neon::cli::storcon::Json;
using neon::test::FakeStorcon;

const std::string k_tenant = "1f359dd625e519a1a4e8d7509690f6fc";
const std::string k_root = "de200bd42b49cc1814412c7e592dd6e9";
const std::string k_child = "3bcb2b8d6f0e4a4c9f5c1a7e0e9d2b11";

ClientOptions options(const FakeStorcon& fake) {
  ClientOptions o;
  o.base_url = fake.url();
  o.timeout = std::chrono::milliseconds(3000);
  o.sleep = [](std::chrono::milliseconds) {};
  return o;
}

}  // namespace

TEST_SUITE("storcon client") {
  TEST_CASE("redact_url drops userinfo and query values") {
    CHECK(neon::cli::http::redact_url("https://user:secret@host:6443/api?token=abc&x=1") ==
          "https://host:6443/api?token=...&x=...");
    CHECK(neon::cli::http::redact_url("http://127.0.0.1:1234/control/v1/node") ==
          "http://127.0.0.1:1234/control/v1/node");
  }

  TEST_CASE("request bodies use the controller's JSON spellings") {
    neon::cli::storcon::TenantCreate c;
    c.tenant_id = k_tenant;
    c.placement = neon::cli::storcon::attached_placement(1);
    c.config = Json{{"pitr_interval", "7 days"}};
    CHECK(neon::cli::storcon::tenant_create_body(c) ==
          Json::parse(R"({"new_tenant_id":")" + k_tenant +
                      R"(","placement_policy":{"Attached":1},"pitr_interval":"7 days"})"));
    c.shard_count = 4;
    CHECK(neon::cli::storcon::tenant_create_body(c)["shard_parameters"] == Json{{"count", 4}, {"stripe_size", 2048}});
    CHECK(neon::cli::storcon::shard_id(k_tenant, 1, 4) == k_tenant + "-0104");
    CHECK(neon::cli::storcon::shard_id(k_tenant, 0, 1) == k_tenant);
    neon::cli::storcon::TimelineCreate t;
    t.tenant_id = k_tenant;
    t.timeline_id = k_child;
    t.ancestor_timeline_id = k_root;
    t.ancestor_start_lsn = "0/169AD58";
    CHECK(neon::cli::storcon::timeline_create_body(t) ==
          Json{{"new_timeline_id", k_child}, {"ancestor_timeline_id", k_root}, {"ancestor_start_lsn", "0/169AD58"}});
  }

  TEST_CASE("nodes, tenants with pagination, safekeepers") {
    FakeStorcon fake;
    fake.add_node(1, "az-a");
    fake.add_node(2, "az-b", "Offline");
    fake.add_safekeeper(1, "az-a");
    for (int i = 0; i < 25; ++i) {
      fake.add_tenant(fmt::format("{:032x}", i + 1));
    }
    neon::cli::http::CurlTransport transport;
    Client client(transport, options(fake));
    auto nodes = client.list_nodes();
    REQUIRE(nodes);
    REQUIRE(nodes->size() == 2);
    CHECK(nodes->at(1).availability == "Offline");
    auto tenants = client.list_tenants(10);
    REQUIRE(tenants);
    CHECK(tenants->size() == 25);
    CHECK(tenants->back().tenant_id == fmt::format("{:032x}", 25));
    int pages = 0;
    for (const auto& r : fake.requests()) {
      pages += r.path.rfind("/control/v1/tenant?limit=10", 0) == 0 ? 1 : 0;
    }
    CHECK(pages == 3);
    auto sks = client.list_safekeepers();
    REQUIRE(sks);
    CHECK(sks->at(0).scheduling_policy == "Active");
    auto missing = client.describe_tenant(k_tenant);
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
  }

  TEST_CASE("create tenant and timelines is idempotent; different timeline parameters give a clear 409") {
    FakeStorcon fake;
    fake.add_node(1, "az-a");
    neon::cli::http::CurlTransport transport;
    Client client(transport, options(fake));
    neon::cli::storcon::TenantCreate c;
    c.tenant_id = k_tenant;
    REQUIRE(client.create_tenant(c));
    REQUIRE(client.create_tenant(c));
    neon::cli::storcon::TimelineCreate root;
    root.tenant_id = k_tenant;
    root.timeline_id = k_root;
    REQUIRE(client.create_timeline(root));
    REQUIRE(client.create_timeline(root));
    neon::cli::storcon::TimelineCreate child = root;
    child.timeline_id = k_child;
    child.ancestor_timeline_id = k_root;
    child.ancestor_start_lsn = "0/169AD58";
    REQUIRE(client.create_timeline(child));
    child.ancestor_start_lsn = "0/1000000";
    auto conflict = client.create_timeline(child);
    REQUIRE_FALSE(conflict);
    CHECK(conflict.error().message.find("POST /v1/tenant/" + k_tenant + "/timeline: 409 Conflict") !=
          std::string::npos);
    CHECK(conflict.error().message.find("different parameters") != std::string::npos);
    CHECK(conflict.error().http_status == 409);
    // The controller does not refuse another shard count: it stores a second set of shards
    // (storage_controller/src/schema.rs:85, neon-api-corrections-2.md (e)). Callers describe first.
    c.shard_count = 4;
    REQUIRE(client.create_tenant(c));
    CHECK(fake.shard_sets(k_tenant) == std::vector<int>{1, 4});
  }

  TEST_CASE("a failed call carries its HTTP status or transport failure, not only text") {
    FakeStorcon fake;
    fake.add_tenant(k_tenant);
    neon::cli::http::CurlTransport transport;
    Client client(transport, options(fake));
    // service.rs:2768-2777: no schedulable pageserver is a 409 after the shards are stored.
    neon::cli::storcon::TenantCreate c;
    c.tenant_id = "aa0000000000000000000000000000bb";
    auto unschedulable = client.create_tenant(c);
    REQUIRE_FALSE(unschedulable);
    CHECK(unschedulable.error().http_status == 409);
    CHECK(neon::cli::storcon::failed_to_schedule(unschedulable.error()));
    CHECK(unschedulable.error().message.find("Failed to schedule shard(s): No pageservers found") != std::string::npos);
    CHECK_FALSE(unschedulable.error().unreachable());
    CHECK(unschedulable.error().changing);
    // A 409 about something else is not a scheduling wait.
    FakeStorcon::Fault f;
    f.method = "PUT";
    f.path_prefix = "/control/v1/tenant/" + k_tenant + "/policy";
    f.status = 409;
    f.msg = "Failed to schedule: this text is not the controller's";
    fake.add_fault(f);
    auto other = client.set_policy(k_tenant, neon::cli::storcon::attached_placement(0));
    REQUIRE_FALSE(other);
    CHECK(other.error().http_status == 409);
    CHECK_FALSE(neon::cli::storcon::failed_to_schedule(other.error()));
    fake.clear_faults();
    // No answer at all: the transport failure, no status.
    auto o = options(fake);
    o.base_url = "http://127.0.0.1:1";
    o.max_attempts = 1;
    Client nowhere(transport, o);
    auto refused = nowhere.list_nodes();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().http_status == 0);
    CHECK(refused.error().kind == neon::ErrorKind::unreachable);
    CHECK(refused.error().unreachable());
  }

  TEST_CASE("a changing call that times out says it may or may not have been applied") {
    FakeStorcon fake;
    fake.add_tenant(k_tenant);
    FakeStorcon::Fault f;
    f.kind = FakeStorcon::FaultKind::hang;
    f.path_prefix = "/control/v1/tenant/";
    fake.add_fault(f);
    auto o = options(fake);
    o.timeout = std::chrono::milliseconds(300);
    neon::cli::http::CurlTransport transport;
    Client client(transport, o);
    auto r = client.set_policy(k_tenant, Json("Detached"));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("may or may not have been applied") != std::string::npos);
    CHECK(r.error().message.find("kubectl neon status") != std::string::npos);
    CHECK_FALSE(r.error().unreachable());
    auto read = client.describe_tenant(k_tenant);
    REQUIRE_FALSE(read);
    CHECK(read.error().message.find("may or may not") == std::string::npos);
    CHECK(read.error().unreachable());
  }

  TEST_CASE("retries 503 for idempotent calls, then succeeds") {
    FakeStorcon fake;
    fake.add_node(1, "az-a");
    FakeStorcon::Fault f;
    f.path_prefix = "/control/v1/node";
    f.status = 503;
    f.times = 2;
    fake.add_fault(f);
    neon::cli::http::CurlTransport transport;
    Client client(transport, options(fake));
    auto nodes = client.list_nodes();
    REQUIRE(nodes);
    CHECK(fake.requests().size() == 3);
  }

  TEST_CASE("errors quote the controller's msg and name the call") {
    FakeStorcon fake;
    fake.add_node(1, "az-a");
    fake.add_tenant(k_tenant);
    FakeStorcon::Fault f;
    f.method = "PUT";
    f.path_prefix = "/control/v1/tenant/" + k_tenant + "/policy";
    f.status = 409;
    f.msg = "tenant is being split";
    fake.add_fault(f);
    neon::cli::http::CurlTransport transport;
    Client client(transport, options(fake));
    auto r = client.set_policy(k_tenant, neon::cli::storcon::attached_placement(0));
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "storage controller: PUT /control/v1/tenant/" + k_tenant + "/policy: 409 Conflict: tenant is being split");
    CHECK(fake.requests().size() == 1);
  }

  TEST_CASE("bearer token is sent and never appears in errors") {
    FakeStorcon fake;
    fake.require_token("sekrit-token");
    auto o = options(fake);
    neon::cli::http::CurlTransport transport;
    o.token = "wrong-token";
    Client wrong(transport, o);
    auto r = wrong.list_nodes();
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("403 Forbidden") != std::string::npos);
    CHECK(r.error().message.find("wrong-token") == std::string::npos);
    o.token = "sekrit-token";
    Client right(transport, o);
    CHECK(right.list_nodes());
    CHECK(fake.requests().back().authorization == "Bearer sekrit-token");
  }

  TEST_CASE("safekeeper upsert gets 204 with an empty body, then Active") {
    FakeStorcon fake;
    neon::cli::http::CurlTransport transport;
    Client client(transport, options(fake));
    neon::cli::storcon::SafekeeperUpsert sk;
    sk.id = 10;
    sk.host = "safekeeper-0.safekeeper.neon.svc.cluster.local";
    sk.zone = "az-a";
    REQUIRE(client.upsert_safekeeper(sk));
    CHECK(fake.safekeeper(10)["scheduling_policy"] == "Activating");
    REQUIRE(client.set_safekeeper_policy(10, "Active"));
    CHECK(fake.safekeeper(10)["scheduling_policy"] == "Active");
    CHECK(fake.safekeeper(10)["region_id"] == "default");
  }

  TEST_CASE("get_lsn_by_timestamp encodes the timestamp") {
    FakeStorcon fake;
    fake.add_node(1, "az-a");
    fake.add_tenant(k_tenant);
    fake.add_timeline(k_tenant, k_root);
    neon::cli::http::CurlTransport transport;
    Client client(transport, options(fake));
    auto lsn = client.lsn_by_timestamp(k_tenant, k_root, "2025-01-02T03:04:05+00:00");
    REQUIRE(lsn);
    CHECK(lsn->lsn == "0/169AD58");
    CHECK(lsn->kind == "present");
    CHECK(fake.requests().back().path.find("timestamp=2025-01-02T03:04:05+00:00") != std::string::npos);
  }

  TEST_CASE("dry run prints changing calls and sends none") {
    FakeStorcon fake;
    std::ostringstream out;
    auto o = options(fake);
    o.dry_run = &out;
    neon::cli::http::CurlTransport transport;
    Client client(transport, o);
    REQUIRE(client.set_policy(k_tenant, Json("Detached")));
    CHECK(out.str() == "PUT /control/v1/tenant/" + k_tenant + "/policy {\"placement\":\"Detached\"}\n");
    CHECK(fake.requests().empty());
  }
}
