// node pageserver delete|configure and node safekeeper pause|activate|decommission against the
// fake controller, which answers as storage_controller/src/service.rs does (start_node_delete
// :8168-8265, the delete itself :7432-7590, cancel :8280-8302) and checks each route's scope.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/names.hpp"
#include "generators/validate.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/storage_tokens.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

namespace {

using neon::test::FakeStorcon;
using neon::test::run_cli;
using Json = nlohmann::json;

const std::string k_a = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const std::string k_b = "b1b2c3d4e5f60718293a4b5c6d7e8f90";

std::vector<std::string> with_url(const FakeStorcon& fake, std::vector<std::string> args) {
  args.push_back("--storage-controller");
  args.push_back(fake.url());
  return args;
}

/// Pageserver 13 holds both tenants; 11 and 12 are empty and schedulable.
void cluster(FakeStorcon& fake) {
  fake.add_node(13, "az-a");
  fake.add_tenant(k_a);
  fake.add_tenant(k_b);
  fake.add_node(11, "az-a");
  fake.add_node(12, "az-b");
}

}  // namespace

TEST_SUITE("node lifecycle") {
  TEST_CASE("node pageserver delete --wait: shards move off, then the controller forgets the node") {
    FakeStorcon fake;
    cluster(fake);
    fake.set_drain_polls(2);
    REQUIRE(fake.tenant(k_a)["shards"][0]["node_attached"] == 13);
    auto res = run_cli(with_url(fake, {"node", "pageserver", "delete", "13", "--wait", "--timeout", "1m"}));
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(res.out.find("pageserver 13 deleted in") != std::string::npos);
    CHECK(res.out.find("it can never register again") != std::string::npos);
    CHECK(res.err.find("Deleting, ") != std::string::npos);  // progress while it ran
    CHECK(fake.node(13).is_null());
    for (const auto& t : {k_a, k_b}) {
      CHECK(fake.tenant(t)["shards"][0]["node_attached"] != 13);
    }
    std::vector<std::string> changing;
    for (const auto& r : fake.requests()) {
      if (r.method != "GET") {
        changing.push_back(r.method + " " + r.path);
      }
    }
    CHECK(changing == std::vector<std::string>{"PUT /control/v1/node/13/delete"});
  }

  TEST_CASE("node pageserver delete: refusals explained, --no-wait then --wait follows, --cancel, timeout") {
    FakeStorcon fake;
    cluster(fake);
    fake.set_node(12, "Active", "PauseForRestart");
    auto refused = run_cli(with_url(fake, {"node", "pageserver", "delete", "12"}));
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("412") != std::string::npos);
    CHECK(refused.err.find("cannot be deleted due to PauseForRestart policy") != std::string::npos);
    CHECK(run_cli(with_url(fake, {"node", "pageserver", "delete", "99"})).exit == 1);  // 404

    fake.set_drain_polls(1000);
    auto started = run_cli(with_url(fake, {"node", "pageserver", "delete", "13", "--no-wait"}));
    REQUIRE(started.exit == 0);
    CHECK(started.out.find("delete of pageserver 13 started") != std::string::npos);
    CHECK(fake.node(13)["scheduling"] == "Deleting");
    // Another operation while one runs: 412 (service.rs:8194-8198).
    auto busy = run_cli(with_url(fake, {"node", "pageserver", "delete", "11", "--no-wait"}));
    CHECK(busy.exit == 1);
    CHECK(busy.err.find("Background operation already ongoing") != std::string::npos);
    // A second delete of the same node answers 409; with --wait that only means "follow it".
    auto timed_out = run_cli(with_url(fake, {"node", "pageserver", "delete", "13", "--wait", "--timeout", "1s"}));
    CHECK(timed_out.exit == 1);
    CHECK(timed_out.err.find("timed out after 1s") != std::string::npos);
    CHECK(timed_out.err.find("it goes on in the controller") != std::string::npos);
    auto cancelled = run_cli(with_url(fake, {"node", "pageserver", "delete", "13", "--cancel"}));
    REQUIRE(cancelled.exit == 0);
    CHECK(fake.node(13)["scheduling"] == "Active");  // its policy back
    auto again = run_cli(with_url(fake, {"node", "pageserver", "delete", "13", "--cancel"}));
    CHECK(again.exit == 1);
    CHECK(again.err.find("has no delete in progress") != std::string::npos);
  }

  TEST_CASE("node pageserver configure: scheduling and availability, with the values an operator may set") {
    FakeStorcon fake;
    cluster(fake);
    auto paused = run_cli(with_url(fake, {"node", "pageserver", "configure", "11", "--scheduling", "Pause"}));
    REQUIRE(paused.exit == 0);
    CHECK(paused.out == "pageserver 11: scheduling Pause\n");
    CHECK(fake.node(11)["scheduling"] == "Pause");
    bool sent = false;
    for (const auto& r : fake.requests()) {
      if (r.method == "PUT" && r.path == "/control/v1/node/11/config") {
        CHECK(Json::parse(r.body) == Json{{"node_id", 11}, {"scheduling", "Pause"}});
        sent = true;
      }
    }
    CHECK(sent);
    auto offline = run_cli(with_url(fake, {"node", "pageserver", "configure", "11", "--availability", "Offline"}));
    REQUIRE(offline.exit == 0);
    CHECK(fake.node(11)["availability"] == "Offline");

    auto draining = run_cli(with_url(fake, {"node", "pageserver", "configure", "11", "--scheduling", "Draining"}));
    CHECK(draining.exit == 2);
    CHECK(draining.err.find("belong to fill, drain and node pageserver delete") != std::string::npos);
    CHECK(run_cli(with_url(fake, {"node", "pageserver", "configure", "11"})).exit == 2);
    CHECK(run_cli(with_url(fake, {"node", "pageserver", "restart", "11"})).exit == 2);
    CHECK(run_cli(with_url(fake, {"node", "pageserver", "delete", "eleven"})).exit == 2);
  }

  TEST_CASE("node safekeeper pause|activate|decommission set SkSchedulingPolicy, spelled as the controller does") {
    FakeStorcon fake;
    fake.add_safekeeper(12, "az-a", "Active");
    for (const auto& [action, policy] : std::vector<std::pair<std::string, std::string>>{
             {"pause", "Pause"}, {"activate", "Active"}, {"decommission", "Decomissioned"}}) {
      CAPTURE(action);
      auto res = run_cli(with_url(fake, {"node", "safekeeper", action, "12"}));
      REQUIRE(res.exit == 0);
      CHECK(res.out == "safekeeper 12: scheduling policy " + policy + "\n");
      CHECK(fake.safekeeper(12)["scheduling_policy"] == policy);
      CHECK(Json::parse(fake.requests().back().body) == Json{{"scheduling_policy", policy}});
    }
    CHECK(run_cli(with_url(fake, {"node", "safekeeper", "retire", "12"})).exit == 2);
    CHECK(run_cli(with_url(fake, {"node", "safekeeper", "pause"})).exit == 2);
  }

  TEST_CASE(
      "node commands need the admin token: delete and configure are admin routes (http.rs:1125, neon-api.md 2.3)") {
    FakeStorcon fake;
    cluster(fake);
    auto kp = neon::cli::jwt::generate_ed25519();
    REQUIRE(kp);
    fake.require_jwt(kp->public_pem);
    auto tokens = neon::cli::storage_tokens(kp->private_pem);
    REQUIRE(tokens);
    neon::test::ScratchDir dir("node-lifecycle-scopes");
    auto run_with = [&](const std::string& key, std::vector<std::string> args) {
      neon::test::write_text(dir / "token", tokens->at(key));
      args.push_back("--token-file");
      args.push_back((dir / "token").string());
      return run_cli(with_url(fake, args));
    };
    auto infra = run_with(neon::gen::names::k_token_infra, {"node", "pageserver", "delete", "13", "--no-wait"});
    CHECK(infra.exit == 1);
    CHECK(infra.err.find("403") != std::string::npos);
    CHECK(fake.node(13)["scheduling"] == "Active");
    auto admin = run_with(neon::gen::names::k_token_admin, {"node", "pageserver", "delete", "13", "--no-wait"});
    CHECK(admin.exit == 0);
    CHECK(fake.node(13)["scheduling"] == "Deleting");
  }
}

TEST_SUITE("node lifecycle") {
  TEST_CASE("node safekeeper migrate-timelines: every timeline of the spec on it moves (safekeeper_service.rs:1127)") {
    const std::string spec_file = NEON_SOURCE_DIR "/schemas/starters/dev.yaml";
    auto loaded = neon::gen::load_spec(neon::test::read_text(spec_file), "dev.yaml");
    REQUIRE(loaded.spec);
    const auto& project = (*loaded.spec)->projects.at(0);
    const std::string tenant = project.tenant_id;
    const std::string timeline = project.branches.at(0).timeline_id;
    FakeStorcon fake;
    for (std::uint64_t id : {10, 11, 12, 13}) {
      fake.add_safekeeper(id, "az-a", "Active");
    }
    auto migrate = [&](std::vector<std::string> extra) {
      std::vector<std::string> args{"node", "safekeeper", "migrate-timelines", "12", "-f", spec_file};
      args.insert(args.end(), extra.begin(), extra.end());
      return run_cli(with_url(fake, args));
    };
    // A controller without --timelines-onto-safekeepers tracks no set: said plainly.
    auto untracked = migrate({"--to", "10,11,13"});
    CHECK(untracked.exit == 1);
    CHECK(untracked.err.find("--timelines-onto-safekeepers") != std::string::npos);

    fake.set_timeline_safekeepers(tenant, timeline, {10, 11, 12});
    auto dry = migrate({"--to", "10,11,13", "--dry-run"});
    REQUIRE(dry.exit == 0);
    CHECK(dry.out.find("would move " + project.name + "/" + project.branches.at(0).name) != std::string::npos);
    CHECK(fake.timeline_safekeepers(tenant, timeline) == std::vector<std::uint64_t>{10, 11, 12});

    fake.add_safekeeper(14, "az-a", "Decomissioned");
    auto refused = migrate({"--to", "10,11,14"});
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("safekeeper 14 is decomissioned") != std::string::npos);

    auto moved = migrate({"--to", "10,11,13"});
    INFO(moved.err);
    REQUIRE(moved.exit == 0);
    CHECK(moved.out.find("safekeepers 10,11,12 -> 10,11,13") != std::string::npos);
    CHECK(fake.timeline_safekeepers(tenant, timeline) == std::vector<std::uint64_t>{10, 11, 13});
    // Nothing left on 12: a second run moves nothing.
    auto again = migrate({"--to", "10,11,13"});
    CHECK(again.exit == 0);
    CHECK(again.out.empty());

    CHECK(migrate({}).exit == 2);
    CHECK(migrate({"--to", "10,12,13"}).exit == 2);  // the safekeeper being emptied
    CHECK(migrate({"--to", "10,10,13"}).exit == 2);
  }
}
