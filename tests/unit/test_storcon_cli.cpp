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
#include "tests/support/sockets.hpp"

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

using neon::test::closed_port;

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
    CHECK(doc["pageservers"][0]["attached_shards"].get<int>() + doc["pageservers"][1]["attached_shards"].get<int>() ==
          1);
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
    CHECK(contains(res.out, "degraded: 2 pageservers, 1 safekeeper, 1 tenant; 3 problems"));
    // The reasons are notes: standard error, not the data on standard output.
    CHECK(contains(res.err, "warning: pageserver 21 is Offline\n"));
    CHECK(contains(res.err, "warning: 1 shard with reconcile errors\n"));
    CHECK(contains(res.err, "pending compute notification"));
    CHECK(!contains(res.out, "is Offline"));
  }

  TEST_CASE("status: draining and deleting pageservers degrade; paused and decommissioned nodes are noted") {
    FakeStorcon fake;
    healthy_cluster(fake);
    fake.add_node(31, "az-c", "Active", "Pause");
    fake.add_node(41, "az-c");
    fake.set_drain_polls(1000);  // the delete stays in progress
    REQUIRE(run_cli(with_url(fake, {"node", "pageserver", "delete", "41", "--no-wait"})).exit == 0);
    fake.add_safekeeper(12, "az-b", "Pause");
    fake.add_safekeeper(13, "az-c", "Decomissioned");
    auto table = run_cli(with_url(fake, {"status"}));
    CHECK(table.exit == 1);
    CHECK(contains(table.err, "warning: pageserver 41 is Deleting"));
    CHECK(contains(table.err, "note: pageserver 31 is paused: no new shards are placed on it"));
    CHECK(contains(table.err, "note: safekeeper 12 is paused: no new timelines are placed on it"));
    CHECK(contains(table.err, "note: safekeeper 13 is decommissioned"));
    auto json = run_cli(with_url(fake, {"status", "-o", "json"}));
    const auto doc = Json::parse(json.out);
    CHECK(doc["health"]["problems"] == Json::array({"pageserver 41 is Deleting"}));
    CHECK(doc["health"]["out_of_service"] == Json::array({"pageserver 31 is paused: no new shards are placed on it",
                                                          "safekeeper 12 is paused: no new timelines are placed on it",
                                                          "safekeeper 13 is decommissioned"}));
  }

  TEST_CASE("status: the tables' columns say whether they hold node ids or shard counts") {
    FakeStorcon fake;
    healthy_cluster(fake);
    auto res = run_cli(with_url(fake, {"status"}));
    REQUIRE(res.exit == 0);
    CHECK(contains(res.out, "ATTACHED-SHARDS"));
    CHECK(contains(res.out, "SECONDARY-SHARDS"));
    CHECK(contains(res.out, "ATTACHED-NODES"));
    CHECK(contains(res.out, "SECONDARY-NODES"));
    CHECK(!contains(res.out, " ATTACHED "));
    CHECK(!contains(res.out, " SECONDARIES "));
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
    auto res = run_cli(with_url(fake, {"attach", "app", "--az", "az-b", "--secondaries", "1", "--no-prewarm", "-f",
                                       NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
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
    auto again = run_cli(with_url(fake, {"attach", "app", "--node", "21", "--secondaries", "1", "-f",
                                         NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
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
    CHECK(contains(res.out,
                   "POST /v1/tenant {\"new_tenant_id\":\"" + k_other + "\",\"placement_policy\":{\"Attached\":0}}"));
    // The new tenant is created with its placement: no policy call after it.
    CHECK(!contains(res.out, "/policy"));
    CHECK(contains(res.out, "PUT /control/v1/tenant/" + k_other + "/migrate"));
    CHECK(fake.tenant(k_other).is_null());
    for (const auto& r : fake.requests()) {
      CHECK(r.method == "GET");
    }
  }

  TEST_CASE("attach without --secondaries keeps the tenant's placement and reports what it holds") {
    FakeStorcon fake;
    healthy_cluster(fake);  // k_app_tenant: {"Attached": 1}
    auto res = run_cli(with_url(fake, {"attach", k_app_tenant, "--node", "21"}));
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(fake.tenant(k_app_tenant)["policy"] == Json{{"Attached", 1}});
    CHECK(fake.tenant(k_app_tenant)["shards"][0]["node_secondary"].size() == 1);
    CHECK(contains(res.out, "placement policy: Attached(1) (unchanged)"));
    for (const auto& r : fake.requests()) {
      CHECK(!contains(r.path, "/policy"));
    }
    auto fewer = run_cli(with_url(fake, {"attach", k_app_tenant, "--secondaries", "0"}));
    REQUIRE(fewer.exit == 0);
    CHECK(fake.tenant(k_app_tenant)["policy"] == Json{{"Attached", 0}});
    CHECK(contains(fewer.out, "placement policy: Attached(0) (changed from Attached(1))"));
    REQUIRE(run_cli(with_url(fake, {"detach", k_app_tenant, "--yes"})).exit == 0);
    auto again = run_cli(with_url(fake, {"attach", k_app_tenant}));
    REQUIRE(again.exit == 0);
    CHECK(contains(again.out, "placement policy: Attached(0) (changed from Detached)"));
    CHECK(contains(again.out, "attached to pageserver"));
  }

  TEST_CASE("attach after a 409 Failed to schedule: the stored shards are scheduled on the next attach") {
    FakeStorcon fake;  // no pageserver yet
    auto first = run_cli(with_url(fake, {"attach", k_other}));
    CHECK(first.exit == 1);
    CHECK(contains(first.err, "409 Conflict: Failed to schedule shard(s): No pageservers found"));
    CHECK(contains(first.err, "no pageserver can take the shards yet"));
    fake.add_node(11, "az-a");
    auto second = run_cli(with_url(fake, {"attach", k_other}));
    INFO(second.err);
    REQUIRE(second.exit == 0);
    CHECK(fake.tenant(k_other)["shards"][0]["node_attached"] == 11);
    CHECK(fake.shard_sets(k_other) == std::vector<int>{1});
  }

  // GET /control/v1/node/:id/shards is the one node route the controller does not forward to its
  // leader (storage_controller/src/http.rs:1093-1102): a stepped-down instance answers it stale.
  TEST_CASE("attach --az weighs pageservers with forwarded routes only") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_node(21, "az-b");
    fake.add_node(22, "az-b");
    fake.set_node(21, "Active", "Pause");
    fake.set_node(22, "Active", "Pause");
    fake.add_tenant(k_other, 1, 0);  // on 11, the only schedulable node
    fake.set_node(11, "Active", "Pause");
    fake.set_node(21, "Active", "Active");
    fake.add_tenant("2f359dd625e519a1a4e8d7509690f6fc", 1, 0);  // on 21
    fake.set_node(11, "Active", "Active");
    fake.set_node(22, "Active", "Active");
    auto res = run_cli(with_url(fake, {"attach", k_other, "--az", "az-b"}));
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(fake.tenant(k_other)["shards"][0]["node_attached"] == 22);  // 21 holds a shard, 22 none
    for (const auto& r : fake.requests()) {
      CHECK(!contains(r.path, "/shards"));
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
    auto res = run_cli(with_url(fake, {"attach", k_app_tenant, "--secondaries", "0", "--timeout", "300ms"}));
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

  TEST_CASE("drain --wait shows shards left and time; fill after it says to restart first; cancel") {
    FakeStorcon fake;
    healthy_cluster(fake);
    fake.add_tenant(k_other, 1, 1);
    fake.set_drain_polls(2);
    fake.set_reconcile_polls(1);
    const auto on_11 = [&] {
      int n = 0;
      for (const auto& t : {k_app_tenant, k_other}) {
        n += fake.tenant(t)["shards"][0]["node_attached"] == 11 ? 1 : 0;
      }
      return n;
    };
    // Put both shards on node 11.
    for (const auto& t : {k_app_tenant, k_other}) {
      REQUIRE(run_cli(with_url(fake, {"attach", t, "--node", "11", "--no-prewarm"})).exit == 0);
    }
    REQUIRE(on_11() == 2);
    auto drain = run_cli(with_url(fake, {"drain", "11", "--wait", "--timeout", "1m"}));
    INFO(drain.err);
    REQUIRE(drain.exit == 0);
    CHECK(contains(drain.err, "pageserver 11: Draining, 2 attached shards left, "));
    CHECK(contains(drain.err, " elapsed"));
    CHECK(contains(drain.out, "pageserver 11: drain finished in "));
    CHECK(contains(drain.out, "no attached shards left, scheduling PauseForRestart"));
    CHECK(on_11() == 0);
    CHECK(fake.node(11)["scheduling"] == "PauseForRestart");
    // service.rs:8532-8535: fill needs Active; the pageserver's restart (re-attach) gives it back.
    auto early = run_cli(with_url(fake, {"fill", "11", "--wait"}));
    CHECK(early.exit == 1);
    CHECK(contains(early.err, "412 Precondition Failed"));
    CHECK(contains(early.err, "hint: pageserver 11 is PauseForRestart"));
    CHECK(contains(early.err, "Restart it"));
    CHECK(contains(early.err, "then run `kubectl neon fill 11`"));
    fake.reattach_node(11);
    auto fill = run_cli(with_url(fake, {"fill", "11"}));  // waiting is the default (issue 12)
    INFO(fill.err);
    REQUIRE(fill.exit == 0);
    CHECK(contains(fill.out, "pageserver 11: fill finished in "));
    CHECK(fake.node(11)["scheduling"] == "Active");
    fake.set_drain_polls(1000);
    const auto started = run_cli(with_url(fake, {"drain", "11", "--no-wait"}));
    REQUIRE(started.exit == 0);
    CHECK(contains(started.out, "drain of pageserver 11 started"));
    CHECK(fake.node(11)["scheduling"] == "Draining");
    REQUIRE(run_cli(with_url(fake, {"drain", "11", "--cancel"})).exit == 0);
    CHECK(fake.node(11)["scheduling"] == "Active");
    CHECK(run_cli(with_url(fake, {"drain", "eleven"})).exit == 2);
  }

  TEST_CASE("drain --wait does not say finished while a shard is still attached") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_node(21, "az-b");
    fake.add_tenant(k_other, 1, 0);  // Attached(0): nothing to move it to; stays on 11
    const auto node = fake.tenant(k_other)["shards"][0]["node_attached"].get<std::uint64_t>();
    auto drain = run_cli(with_url(fake, {"drain", std::to_string(node), "--wait", "--timeout", "1m"}));
    CHECK(drain.exit == 1);
    CHECK(!contains(drain.out, "finished"));
    CHECK(contains(drain.err, fmt::format("with 1 shard still attached ({})", k_other)));
    CHECK(contains(drain.err, "--secondaries 1"));
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
      CHECK(missing.exit == 1);
      CHECK(contains(missing.err, "401 Unauthorized"));
      CHECK(contains(missing.err, "hint: no token was sent"));
      CHECK(contains(missing.err, "--token-file"));
      CHECK(contains(missing.err, "NEON_STORAGE_CONTROLLER_TOKEN"));
      CHECK(contains(missing.err, "key \"admin\" of the Secret that storageController.auth.tokenSecret names"));
      auto wrong = run_cli(with_url(fake, {"status"}), "", {{"NEON_STORAGE_CONTROLLER_TOKEN", "bad-token"}});
      CHECK(wrong.exit == 1);
      CHECK(contains(wrong.err, "403 Forbidden"));
      CHECK(contains(wrong.err, "hint: the controller refused the token"));
      CHECK(!contains(wrong.err, "bad-token"));
      auto attach = run_cli(with_url(fake, {"attach", k_app_tenant}), "", {{"NEON_STORAGE_CONTROLLER_TOKEN", "x"}});
      CHECK(attach.exit == 1);
      CHECK(contains(attach.err, "--token-file"));
      auto good = run_cli(with_url(fake, {"status"}), "", {{"NEON_STORAGE_CONTROLLER_TOKEN", "good-token"}});
      CHECK(good.exit == 0);
    }
    SUBCASE("could not reach the controller: 3 for every command") {
      const std::string url = fmt::format("http://127.0.0.1:{}", closed_port());
      CHECK(run_cli({"attach", k_app_tenant, "--storage-controller", url}).exit == 3);
      auto detach = run_cli({"detach", k_app_tenant, "--yes", "--storage-controller", url});
      CHECK(detach.exit == 3);
      CHECK(contains(detach.err, "cannot connect"));
    }
    SUBCASE("a changing request that times out: may or may not have been applied") {
      FakeStorcon::Fault f;
      f.kind = FakeStorcon::FaultKind::hang;
      f.method = "PUT";
      f.path_prefix = "/control/v1/tenant/" + k_app_tenant + "/policy";
      fake.add_fault(f);
      auto res = run_cli(with_url(fake, {"detach", k_app_tenant, "--yes", "--request-timeout", "300ms"}));
      CHECK(res.exit == 1);
      CHECK(contains(res.err, "the change may or may not have been applied"));
      CHECK(contains(res.err, "kubectl neon status"));
    }
    SUBCASE("409 on a policy change") {
      FakeStorcon::Fault f;
      f.method = "PUT";
      f.path_prefix = "/control/v1/tenant/" + k_app_tenant + "/policy";
      f.status = 409;
      f.msg = "shard split in progress";
      fake.add_fault(f);
      auto res =
          run_cli(with_url(fake, {"detach", "app", "--yes", "-f", NEON_SOURCE_DIR "/schemas/starters/dev.yaml"}));
      CHECK(res.exit == 1);
      CHECK(contains(res.err, "storage controller: PUT /control/v1/tenant/" + k_app_tenant +
                                  "/policy: 409 Conflict: shard split in progress"));
    }
  }

  TEST_CASE("a bad controller flag value is a usage error (2) for every command") {
    FakeStorcon fake;
    healthy_cluster(fake);
    const std::vector<std::vector<std::string>> commands = {
        {"status"}, {"attach", k_app_tenant}, {"detach", k_app_tenant, "--yes"}, {"drain", "11"}, {"fill", "11"}};
    const auto with = [](std::vector<std::string> args, const std::string& flag, const std::string& value) {
      args.push_back(flag);
      args.push_back(value);
      return args;
    };
    for (const auto& cmd : commands) {
      INFO(cmd.front());
      auto timeout = run_cli(with_url(fake, with(cmd, "--request-timeout", "abc")));
      CHECK(timeout.exit == 2);
      CHECK(contains(timeout.err, "invalid --request-timeout \"abc\""));
      auto scheme = run_cli(with(cmd, "--storage-controller", "127.0.0.1:1234"));
      CHECK(scheme.exit == 2);
      CHECK(contains(scheme.err, "must start with http:// or https://"));
      auto token = run_cli(with_url(fake, with(cmd, "--token-file", "/nonexistent/token")));
      CHECK(token.exit == 2);
      CHECK(contains(token.err, "--token-file"));
    }
    CHECK(fake.requests().empty());
  }

  TEST_CASE("no controller URL for a bootstrap step is a usage error") {
    auto res = run_cli({"bootstrap", "safekeeper", "--set", "safekeeper", "--namespace", "neon"}, "",
                       {{"POD_NAME", "safekeeper-0"}, {"NEON_STORAGE_CONTROLLER_URL", ""}});
    CHECK(res.exit == 2);
    CHECK(contains(res.err, "--storage-controller"));
  }
}
