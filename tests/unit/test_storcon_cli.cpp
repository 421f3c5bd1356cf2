// status, attach, detach, drain, fill and bootstrap against the fake controller over loopback,
// including transport and HTTP faults.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "generators/emit.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

namespace {

using neon::test::FakeStorcon;
using neon::test::run_cli;
using Json = nlohmann::json;

const std::string k_app_tenant = "294ca7a45747bee9a5a893416ee7ad81";  // project "app" of the dev spec
const std::string k_other = "1f359dd625e519a1a4e8d7509690f6fc";

std::vector<std::string> with_url(const FakeStorcon& fake, std::vector<std::string> args) {
  args.push_back("--storage-controller");
  args.push_back(fake.url());
  return args;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

void healthy_cluster(FakeStorcon& fake) {
  fake.add_node(11, "az-a");
  fake.add_node(21, "az-b");
  fake.add_safekeeper(11, "az-a");
  fake.add_tenant(k_app_tenant, 1, 1);
}

}  // namespace

TEST_SUITE("storcon commands") {
  TEST_CASE("status: healthy cluster, table and json, tenants named from the spec") {
    FakeStorcon fake;
    healthy_cluster(fake);
    auto table = run_cli(with_url(fake, {"status", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
    CHECK(table.exit == 0);
    CHECK(contains(table.out, "PAGESERVER"));
    CHECK(contains(table.out, "app"));
    CHECK(contains(table.out, "healthy: 2 pageservers, 1 safekeeper, 1 tenant"));
    auto json = run_cli(with_url(fake, {"status", "-o", "json"}));
    REQUIRE(json.exit == 0);
    auto doc = Json::parse(json.out);
    CHECK(doc["pageservers"].size() == 2);
    CHECK(doc["pageservers"][0]["attached_shards"].get<int>() + doc["pageservers"][1]["attached_shards"].get<int>() == 1);
    CHECK(doc["tenants"][0]["tenant_id"] == k_app_tenant);
    CHECK(doc["health"]["status"] == "healthy");
    // Pretty-printed with sorted keys, as a JSON document's dump(2) is.
    CHECK(json.out == doc.dump(2) + "\n");
    CHECK(doc["pageservers"][0] == Json{{"id", 11},
                                        {"zone", "az-a"},
                                        {"availability", "Active"},
                                        {"scheduling", "Active"},
                                        {"address", doc["pageservers"][0]["address"]},
                                        {"http_address", doc["pageservers"][0]["http_address"]},
                                        {"attached_shards", doc["pageservers"][0]["attached_shards"]},
                                        {"secondary_shards", doc["pageservers"][0]["secondary_shards"]}});
    CHECK(doc["safekeepers"][0]["id"] == 11);
    CHECK(doc["safekeepers"][0]["zone"] == "az-a");
    CHECK(doc["safekeepers"][0]["scheduling"] == "Active");
    const Json& shard = doc["tenants"][0]["shards"][0];
    CHECK(shard["tenant_shard_id"].get<std::string>().rfind(k_app_tenant, 0) == 0);
    CHECK(shard["attached"].is_number_unsigned());
    CHECK(shard["secondaries"].size() == 1);
    CHECK(shard["reconciling"] == false);
    CHECK(shard["pending_compute_notification"] == false);
    CHECK(shard["last_error"] == "");
    CHECK(doc["tenants"][0]["name"].is_null());  // no spec given
    CHECK(doc["tenants"][0]["policy"] == Json{{"Attached", 1}});
    CHECK(doc["components"]["available"].is_boolean());
    auto yaml = run_cli(with_url(fake, {"status", "-o", "yaml"}));
    CHECK(yaml.exit == 0);
    CHECK(contains(yaml.out, "pageservers:"));
    auto from_yaml = neon::gen::parse_yaml_stream(yaml.out);
    REQUIRE(from_yaml);
    REQUIRE(from_yaml->size() == 1);
    CHECK(from_yaml->front()["tenants"] == doc["tenants"]);
    CHECK(from_yaml->front()["pageservers"] == doc["pageservers"]);
    auto named = run_cli(with_url(fake, {"status", "-o", "json", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
    CHECK(Json::parse(named.out)["tenants"][0]["name"] == "app");
  }

  TEST_CASE("status: offline node, reconcile errors and pending notifications are degraded") {
    FakeStorcon fake;
    healthy_cluster(fake);
    fake.set_node(21, "Offline", "Active");
    fake.set_last_error(k_app_tenant, "reconcile failed: boom");
    fake.set_pending_notification(k_app_tenant, true);
    auto res = run_cli(with_url(fake, {"status"}));
    CHECK(res.exit == 1);
    CHECK(contains(res.out, "degraded: pageserver 21 is Offline"));
    CHECK(contains(res.out, "1 shard with reconcile errors"));
    CHECK(contains(res.out, "pending compute notification"));
  }

  TEST_CASE("status: bad output format is a usage error") {
    auto res = run_cli({"status", "-o", "xml", "--storage-controller", "http://127.0.0.1:1"});
    CHECK(res.exit == 2);
  }

  TEST_CASE("attach creates the project's tenant, sets placement, migrates and waits") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_node(21, "az-b");
    fake.set_reconcile_polls(2);
    auto res = run_cli(with_url(fake, {"attach", "app", "--az", "az-b", "--secondaries", "1", "--no-prewarm", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
    INFO(res.err);
    REQUIRE(res.exit == 0);
    auto t = fake.tenant(k_app_tenant);
    REQUIRE(!t.is_null());
    CHECK(t["policy"] == Json{{"Attached", 1}});
    CHECK(t["shards"][0]["node_attached"] == 21);
    CHECK(t["shards"][0]["is_reconciling"] == false);
    CHECK(contains(res.out, "attached to pageserver 21 (az-b)"));
    bool created = false;
    bool migrated = false;
    for (const auto& r : fake.requests()) {
      created = created || (r.method == "POST" && r.path == "/v1/tenant");
      if (r.method == "PUT" && r.path == "/control/v1/tenant/" + k_app_tenant + "/migrate") {
        migrated = true;
        CHECK(Json::parse(r.body) == Json::parse(R"({"node_id":21,"migration_config":{"prewarm":false}})"));
      }
    }
    CHECK(created);
    CHECK(migrated);
    // Again: nothing to create or migrate.
    fake.clear_requests();
    auto again = run_cli(with_url(fake, {"attach", "app", "--node", "21", "--secondaries", "1", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
    CHECK(again.exit == 0);
    for (const auto& r : fake.requests()) {
      CHECK(r.method != "POST");
      CHECK(!contains(r.path, "migrate"));
    }
  }

  TEST_CASE("attach --dry-run prints calls and changes nothing") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    auto res = run_cli(with_url(fake, {"attach", k_other, "--node", "11", "--dry-run"}));
    REQUIRE(res.exit == 0);
    CHECK(contains(res.out, "POST /v1/tenant {\"new_tenant_id\":\"" + k_other + "\",\"placement_policy\":{\"Attached\":0}}"));
    CHECK(contains(res.out, "PUT /control/v1/tenant/" + k_other + "/policy"));
    CHECK(contains(res.out, "PUT /control/v1/tenant/" + k_other + "/migrate"));
    CHECK(fake.tenant(k_other).is_null());
    for (const auto& r : fake.requests()) {
      CHECK(r.method == "GET");
    }
  }

  TEST_CASE("attach to an unavailable node: 412 with a clear message") {
    FakeStorcon fake;
    healthy_cluster(fake);
    fake.set_node(21, "Offline", "Active");
    auto res = run_cli(with_url(fake, {"attach", k_app_tenant, "--node", "21"}));
    CHECK(res.exit == 1);
    CHECK(contains(res.err, "412 Precondition Failed"));
    CHECK(contains(res.err, "node 21 is unavailable"));
  }

  TEST_CASE("attach times out while shards keep reconciling") {
    FakeStorcon fake;
    healthy_cluster(fake);
    fake.set_reconcile_polls(1000);
    auto res = run_cli(with_url(fake, {"attach", k_app_tenant, "--timeout", "300ms"}));
    CHECK(res.exit == 1);
    CHECK(contains(res.err, "timed out after 300ms"));
  }

  TEST_CASE("detach needs --yes without a terminal, then sets Detached") {
    FakeStorcon fake;
    healthy_cluster(fake);
    auto refused = run_cli(with_url(fake, {"detach", "app", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
    CHECK(refused.exit == 2);
    CHECK(contains(refused.err, "--yes"));
    CHECK(fake.requests().empty());
    auto res = run_cli(with_url(fake, {"detach", "app", "--yes", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
    REQUIRE(res.exit == 0);
    CHECK(fake.tenant(k_app_tenant)["policy"] == "Detached");
    CHECK(fake.tenant(k_app_tenant)["shards"][0]["node_attached"].is_null());
  }

  TEST_CASE("drain waits for PauseForRestart; fill returns to Active; cancel") {
    FakeStorcon fake;
    healthy_cluster(fake);
    fake.set_drain_polls(3);
    auto drain = run_cli(with_url(fake, {"drain", "11", "--wait", "--timeout", "1m"}));
    INFO(drain.err);
    REQUIRE(drain.exit == 0);
    CHECK(contains(drain.out, "scheduling PauseForRestart"));
    CHECK(fake.node(11)["scheduling"] == "PauseForRestart");
    CHECK(fake.tenant(k_app_tenant)["shards"][0]["node_attached"] == 21);
    auto fill = run_cli(with_url(fake, {"fill", "11", "--wait"}));
    REQUIRE(fill.exit == 0);
    CHECK(fake.node(11)["scheduling"] == "Active");
    fake.set_drain_polls(1000);
    REQUIRE(run_cli(with_url(fake, {"drain", "11"})).exit == 0);
    CHECK(fake.node(11)["scheduling"] == "Draining");
    REQUIRE(run_cli(with_url(fake, {"drain", "11", "--cancel"})).exit == 0);
    CHECK(fake.node(11)["scheduling"] == "Active");
    CHECK(run_cli(with_url(fake, {"drain", "eleven"})).exit == 2);
  }

  TEST_CASE("faults end in a clear message and exit code") {
    FakeStorcon fake;
    healthy_cluster(fake);
    SUBCASE("connection refused") {
      auto res = run_cli({"status", "--storage-controller", fmt::format("http://127.0.0.1:{}", closed_port())});
      CHECK(res.exit == 3);
      CHECK(contains(res.err, "cannot connect"));
      CHECK(contains(res.err, "gave up after 5 attempts"));
    }
    SUBCASE("a server that never answers") {
      FakeStorcon::Fault f;
      f.kind = FakeStorcon::FaultKind::hang;
      f.path_prefix = "/control/v1/node";
      fake.add_fault(f);
      auto res = run_cli(with_url(fake, {"status", "--request-timeout", "300ms"}));
      CHECK(res.exit == 3);
      CHECK(contains(res.err, "GET /control/v1/node: timed out"));
    }
    SUBCASE("500") {
      FakeStorcon::Fault f;
      f.path_prefix = "/control/v1/tenant";
      f.msg = "database unavailable";
      fake.add_fault(f);
      auto res = run_cli(with_url(fake, {"status"}));
      CHECK(res.exit == 3);
      CHECK(contains(res.err, "500 Internal Server Error: database unavailable"));
    }
    SUBCASE("invalid JSON") {
      FakeStorcon::Fault f;
      f.kind = FakeStorcon::FaultKind::invalid_json;
      f.path_prefix = "/control/v1/tenant";
      fake.add_fault(f);
      auto res = run_cli(with_url(fake, {"status"}));
      CHECK(res.exit == 3);
      CHECK(contains(res.err, "not valid JSON"));
    }
    SUBCASE("connection closed mid-response") {
      FakeStorcon::Fault f;
      f.kind = FakeStorcon::FaultKind::close;
      f.path_prefix = "/control/v1/node";
      fake.add_fault(f);
      auto res = run_cli(with_url(fake, {"status"}));
      CHECK(res.exit == 3);
      CHECK(contains(res.err, "storage controller: GET /control/v1/node"));
    }
    SUBCASE("401 and 403") {
      fake.require_token("good-token");
      auto missing = run_cli(with_url(fake, {"status"}), "", {{"NEON_STORAGE_CONTROLLER_TOKEN", ""}});
      CHECK(missing.exit == 3);
      CHECK(contains(missing.err, "401 Unauthorized"));
      auto wrong = run_cli(with_url(fake, {"status"}), "", {{"NEON_STORAGE_CONTROLLER_TOKEN", "bad-token"}});
      CHECK(wrong.exit == 3);
      CHECK(contains(wrong.err, "403 Forbidden"));
      CHECK(!contains(wrong.err, "bad-token"));
      auto good = run_cli(with_url(fake, {"status"}), "", {{"NEON_STORAGE_CONTROLLER_TOKEN", "good-token"}});
      CHECK(good.exit == 0);
    }
    SUBCASE("409 on a policy change") {
      FakeStorcon::Fault f;
      f.method = "PUT";
      f.path_prefix = "/control/v1/tenant/" + k_app_tenant + "/policy";
      f.status = 409;
      f.msg = "shard split in progress";
      fake.add_fault(f);
      auto res = run_cli(with_url(fake, {"detach", "app", "--yes", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
      CHECK(res.exit == 1);
      CHECK(contains(res.err, "storage controller: PUT /control/v1/tenant/" + k_app_tenant +
                                  "/policy: 409 Conflict: shard split in progress"));
    }
  }

  TEST_CASE("no controller URL for a bootstrap step is a usage error") {
    auto res = run_cli({"bootstrap", "safekeeper", "--set", "safekeeper", "--namespace", "neon"},
                       "", {{"POD_NAME", "safekeeper-0"}, {"NEON_STORAGE_CONTROLLER_URL", ""}});
    CHECK(res.exit == 2);
    CHECK(contains(res.err, "--storage-controller"));
  }
}
