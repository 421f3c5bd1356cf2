// bootstrap pageserver|safekeeper|compute: files on disk and calls against the fake controller.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/computes_file.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

namespace {

using neon::test::FakeStorcon;
using neon::test::run_cli;
using Json = nlohmann::json;

const std::string k_tenant = "294ca7a45747bee9a5a893416ee7ad81";
const std::string k_main = "0eb4f5ec83a41a90e2cd41c5d9912de6";
const std::string k_dev = "3bcb2b8d6f0e4a4c9f5c1a7e0e9d2b11";
const std::string k_feature = "aa0000000000000000000000000000bb";

std::string computes_json(const std::string& dev_lsn) {
  Json branches = Json::array();
  branches.push_back(Json{{"name", "main"}, {"timeline_id", k_main}});
  Json dev{{"name", "dev"}, {"timeline_id", k_dev}, {"ancestor_timeline_id", k_main}};
  if (!dev_lsn.empty()) {
    dev["ancestor_start_lsn"] = dev_lsn;
  }
  branches.push_back(dev);
  branches.push_back(Json{{"name", "feature"},
                          {"timeline_id", k_feature},
                          {"ancestor_timeline_id", k_dev},
                          {"ancestor_timestamp", "2025-01-02T03:04:05Z"}});
  return neon::test::computes_file(Json{{"name", "app"},
                                        {"tenant_id", k_tenant},
                                        {"pg_version", 17},
                                        {"shard_count", 2},
                                        {"stripe_size", 2048},
                                        {"tenant_config", Json{{"pitr_interval", "7 days"}}},
                                        {"branches", branches}},
                                   "feature");
}

}  // namespace

TEST_SUITE("storcon bootstrap") {
  TEST_CASE("pageserver: config, identity and metadata in the workdir") {
    neon::test::ScratchDir dir("bootstrap-pageserver");
    neon::test::write_text(dir / "in.toml", "broker_endpoint = \"http://storage-broker:50051\"\n");
    auto res = run_cli(
        {"bootstrap", "pageserver", "--workdir", (dir / "data").string(), "--config", (dir / "in.toml").string(),
         "--zone-number", "2", "--zone", "az-b", "--set", "pageserver-az-b", "--namespace", "neon"},
        "", {{"POD_NAME", "pageserver-az-b-3"}});
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(neon::test::read_text(dir / "data/pageserver.toml") == "broker_endpoint = \"http://storage-broker:50051\"\n");
    CHECK(neon::test::read_text(dir / "data/identity.toml") == "id=23\n");
    auto meta = Json::parse(neon::test::read_text(dir / "data/metadata.json"));
    CHECK(meta == Json{{"host", "pageserver-az-b-3.pageserver-az-b.neon.svc.cluster.local"},
                       {"port", 6400},
                       {"http_host", "pageserver-az-b-3.pageserver-az-b.neon.svc.cluster.local"},
                       {"http_port", 9898},
                       {"availability_zone_id", "az-b"}});
    auto bad = run_cli({"bootstrap", "pageserver", "--workdir", (dir / "data").string(), "--config",
                        (dir / "in.toml").string(), "--set", "pageserver", "--namespace", "neon"},
                       "", {{"POD_NAME", "pageserver"}});
    CHECK(bad.exit == 2);
  }

  TEST_CASE("pageserver: the control-plane token from the environment goes into pageserver.toml, top level") {
    neon::test::ScratchDir dir("bootstrap-pageserver-token");
    neon::test::write_text(dir / "in.toml",
                           "broker_endpoint = \"http://storage-broker:50051\"\n"
                           "control_plane_api_token = \"stale\"\n"
                           "[tenant_config]\n"
                           "pitr_interval = \"7 days\"\n");
    const std::string token = "eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6ImdlbmVyYXRpb25zX2FwaSJ9.c2ln\"\\";
    auto res = run_cli({"bootstrap", "pageserver", "--workdir", (dir / "data").string(), "--config",
                        (dir / "in.toml").string(), "--set", "pageserver", "--namespace", "neon"},
                       "", {{"POD_NAME", "pageserver-0"}, {"NEON_CONTROL_PLANE_API_TOKEN", token}});
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(neon::test::read_text(dir / "data/pageserver.toml") ==
          "broker_endpoint = \"http://storage-broker:50051\"\n"
          "control_plane_api_token = \"eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6ImdlbmVyYXRpb25zX2FwaSJ9.c2ln\\\"\\\\\"\n"
          "[tenant_config]\n"
          "pitr_interval = \"7 days\"\n");
    CHECK(res.out.find("eyJ") == std::string::npos);
    CHECK(res.err.find("eyJ") == std::string::npos);
    // It holds a secret: readable by its owner only, whatever the umask.
    const auto perms = std::filesystem::status(dir / "data/pageserver.toml").permissions();
    CHECK((perms & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    // The input is untouched, and an empty variable means no token.
    CHECK(neon::test::read_text(dir / "in.toml").find("stale") != std::string::npos);
    auto empty = run_cli({"bootstrap", "pageserver", "--workdir", (dir / "data").string(), "--config",
                          (dir / "in.toml").string(), "--set", "pageserver", "--namespace", "neon"},
                         "", {{"POD_NAME", "pageserver-0"}, {"NEON_CONTROL_PLANE_API_TOKEN", ""}});
    REQUIRE(empty.exit == 0);
    CHECK(neon::test::read_text(dir / "data/pageserver.toml") == neon::test::read_text(dir / "in.toml"));
  }

  TEST_CASE("safekeeper: upsert, left Activating for the controller's heartbeat (service.rs:1423-1434), idempotent") {
    FakeStorcon fake;
    neon::test::ScratchDir dir("bootstrap-safekeeper");
    const std::vector<std::string> args = {"bootstrap",
                                           "safekeeper",
                                           "--storage-controller",
                                           fake.url(),
                                           "--zone-number",
                                           "1",
                                           "--zone",
                                           "az-a",
                                           "--set",
                                           "safekeeper",
                                           "--namespace",
                                           "neon",
                                           "--data-dir",
                                           dir.path().string()};
    auto res = run_cli(args, "", {{"POD_NAME", "safekeeper-2"}});
    INFO(res.err);
    REQUIRE(res.exit == 0);
    auto sk = fake.safekeeper(12);
    CHECK(sk["host"] == "safekeeper-2.safekeeper.neon.svc.cluster.local");
    CHECK(sk["port"] == 5454);
    CHECK(sk["http_port"] == 7676);
    CHECK(sk["region_id"] == "default");
    CHECK(sk["version"] == 1);
    CHECK(sk["availability_zone_id"] == "az-a");
    CHECK(sk["scheduling_policy"] == "Activating");
    CHECK(res.out.find("Activating until the controller's first heartbeat makes it Active") != std::string::npos);
    CHECK(run_cli(args, "", {{"POD_NAME", "safekeeper-2"}}).exit == 0);
  }

  TEST_CASE("safekeeper: retries a 503 until it succeeds") {
    FakeStorcon fake;
    neon::test::ScratchDir dir("bootstrap-safekeeper-503");
    FakeStorcon::Fault f;
    f.path_prefix = "/control/v1/safekeeper";
    f.status = 503;
    f.msg = "Current leadership status is Candidate";
    f.times = 6;
    fake.add_fault(f);
    auto res = run_cli({"bootstrap", "safekeeper", "--storage-controller", fake.url(), "--set", "safekeeper",
                        "--namespace", "neon", "--deadline", "1m", "--data-dir", dir.path().string()},
                       "", {{"POD_NAME", "safekeeper-0"}});
    REQUIRE(res.exit == 0);
    CHECK(res.err.find("retrying") != std::string::npos);
    CHECK(fake.safekeeper(10)["scheduling_policy"] == "Activating");
  }

  TEST_CASE("compute: tenant and timelines from the root, timestamp resolved; conflicts are clear") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_node(21, "az-b");
    neon::test::ScratchDir dir("bootstrap-compute");
    neon::test::write_text(dir / "computes.json", computes_json("0/169AD58"));
    const std::vector<std::string> args = {"bootstrap",    "compute",    "--storage-controller",
                                           fake.url(),     "--computes", (dir / "computes.json").string(),
                                           "--compute-id", "app-feature"};
    auto res = run_cli(args);
    INFO(res.err);
    REQUIRE(res.exit == 0);
    auto t = fake.tenant(k_tenant);
    REQUIRE(!t.is_null());
    CHECK(t["shards"].size() == 2);
    CHECK(t["shards"][1]["tenant_shard_id"] == k_tenant + "-0102");
    CHECK(t["config"] == Json{{"pitr_interval", "7 days"}});
    auto tls = fake.timelines(k_tenant);
    CHECK(tls[k_dev]["ancestor_timeline_id"] == k_main);
    CHECK(tls[k_dev]["ancestor_lsn"] == "0/169AD58");
    CHECK(tls[k_feature]["ancestor_timeline_id"] == k_dev);
    CHECK(tls[k_feature]["ancestor_lsn"] == "0/169AD58");
    std::vector<std::string> order;
    for (const auto& r : fake.requests()) {
      if (r.method == "POST") {
        order.push_back(r.path + (r.path.size() > 20 ? Json::parse(r.body)["new_timeline_id"].get<std::string>() : ""));
      }
    }
    REQUIRE(order.size() == 4);
    CHECK(order[1].find(k_main) != std::string::npos);
    CHECK(order[2].find(k_dev) != std::string::npos);
    CHECK(order[3].find(k_feature) != std::string::npos);
    CHECK(run_cli(args).exit == 0);
    neon::test::write_text(dir / "computes.json", computes_json("0/2000000"));
    auto conflict = run_cli(args);
    CHECK(conflict.exit == 1);
    CHECK(conflict.err.find("branch dev: storage controller: POST /v1/tenant/" + k_tenant +
                            "/timeline: 409 Conflict") != std::string::npos);
    CHECK(conflict.err.find("different parameters") != std::string::npos);
  }

  // safekeeper/src/bin/safekeeper.rs:788-830: without --id the safekeeper reads its id from
  // <workdir>/safekeeper.id (the bare decimal id) and bails when it differs from a given --id.
  TEST_CASE("safekeeper: the node id goes into <data-dir>/safekeeper.id, not from the pod-index label") {
    FakeStorcon fake;
    neon::test::ScratchDir dir("bootstrap-safekeeper-id");
    const std::vector<std::string> args = {"bootstrap",
                                           "safekeeper",
                                           "--storage-controller",
                                           fake.url(),
                                           "--zone-number",
                                           "2",
                                           "--zone",
                                           "az-b",
                                           "--set",
                                           "safekeeper-az-b",
                                           "--namespace",
                                           "neon",
                                           "--data-dir",
                                           dir.path().string()};
    // No POD_INDEX in the environment: the ordinal comes from POD_NAME.
    auto res = run_cli(args, "", {{"POD_NAME", "safekeeper-az-b-3"}, {"POD_INDEX", ""}});
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(neon::test::read_text(dir / "safekeeper.id") == "23");
    CHECK(fake.safekeeper(23)["host"] == "safekeeper-az-b-3.safekeeper-az-b.neon.svc.cluster.local");
    // Again: the same id is fine.
    REQUIRE(run_cli(args, "", {{"POD_NAME", "safekeeper-az-b-3"}}).exit == 0);
    CHECK(neon::test::read_text(dir / "safekeeper.id") == "23");
    // The same id with a newline, which the safekeeper's parse("23\n") refuses, is rewritten bare.
    neon::test::write_text(dir / "safekeeper.id", "23\n");
    REQUIRE(run_cli(args, "", {{"POD_NAME", "safekeeper-az-b-3"}}).exit == 0);
    CHECK(neon::test::read_text(dir / "safekeeper.id") == "23");
  }

  TEST_CASE("safekeeper: a safekeeper.id of another node is an error, and nothing is registered") {
    FakeStorcon fake;
    neon::test::ScratchDir dir("bootstrap-safekeeper-id-conflict");
    neon::test::write_text(dir / "safekeeper.id", "11");
    auto res = run_cli({"bootstrap", "safekeeper", "--storage-controller", fake.url(), "--set", "safekeeper",
                        "--namespace", "neon", "--data-dir", dir.path().string()},
                       "", {{"POD_NAME", "safekeeper-2"}});
    CHECK(res.exit == 1);
    CHECK(res.err.find("holds node id 11, but this pod (safekeeper-2) is safekeeper node 12") != std::string::npos);
    CHECK(neon::test::read_text(dir / "safekeeper.id") == "11");
    CHECK(fake.safekeeper(12).is_null());
    CHECK(fake.requests().empty());
    auto missing = run_cli({"bootstrap", "safekeeper", "--storage-controller", fake.url(), "--set", "safekeeper",
                            "--namespace", "neon", "--data-dir", (dir / "absent").string()},
                           "", {{"POD_NAME", "safekeeper-2"}});
    CHECK(missing.exit == 1);
    CHECK(missing.err.find("not a directory") != std::string::npos);
  }

  TEST_CASE("safekeeper: no scheduling policy call (an admin route); Pause and Decomissioned are kept") {
    FakeStorcon fake;
    neon::test::ScratchDir dir("bootstrap-safekeeper-policy");
    auto run_as = [&](const std::string& pod) {
      return run_cli({"bootstrap", "safekeeper", "--storage-controller", fake.url(), "--set", "safekeeper",
                      "--namespace", "neon", "--data-dir", (dir / pod).string()},
                     "", {{"POD_NAME", pod}});
    };
    std::filesystem::create_directories(dir / "safekeeper-0");
    std::filesystem::create_directories(dir / "safekeeper-1");
    std::filesystem::create_directories(dir / "safekeeper-2");
    fake.add_safekeeper(10, "default", "Pause");
    fake.add_safekeeper(11, "default", "Decomissioned");  // SkSchedulingPolicy's own spelling
    fake.add_safekeeper(12, "default", "Activating");
    auto paused = run_as("safekeeper-0");
    INFO(paused.err);
    REQUIRE(paused.exit == 0);
    CHECK(fake.safekeeper(10)["scheduling_policy"] == "Pause");
    CHECK(paused.out.find("scheduling policy Pause kept") != std::string::npos);
    REQUIRE(run_as("safekeeper-1").exit == 0);
    CHECK(fake.safekeeper(11)["scheduling_policy"] == "Decomissioned");
    REQUIRE(run_as("safekeeper-2").exit == 0);
    CHECK(fake.safekeeper(12)["scheduling_policy"] == "Activating");
    for (const auto& r : fake.requests()) {
      CHECK(r.path.find("scheduling_policy") == std::string::npos);
    }
  }

  TEST_CASE("compute: 409 Failed to schedule is retried until a pageserver can take the tenant") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.fail_scheduling(2);  // service.rs:2768-2777, twice
    neon::test::ScratchDir dir("bootstrap-compute-unschedulable");
    neon::test::write_text(dir / "computes.json", computes_json("0/169AD58"));
    auto res = run_cli({"bootstrap", "compute", "--storage-controller", fake.url(), "--computes",
                        (dir / "computes.json").string(), "--compute-id", "app-feature", "--deadline", "1m"});
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(res.err.find("waiting for a schedulable pageserver") != std::string::npos);
    CHECK(res.err.find("Failed to schedule shard(s): No pageservers found") != std::string::npos);
    auto t = fake.tenant(k_tenant);
    CHECK(t["shards"][0]["node_attached"] == 11);
    CHECK(t["shards"][1]["node_attached"] == 11);
    int creates = 0;
    for (const auto& r : fake.requests()) {
      creates += r.method == "POST" && r.path == "/v1/tenant" ? 1 : 0;
    }
    CHECK(creates == 3);  // the same request each time, which schedules the stored shards
    CHECK(fake.shard_sets(k_tenant) == std::vector<int>{2});
  }

  TEST_CASE("compute: no schedulable pageserver until the deadline says what it waited for") {
    FakeStorcon fake;  // no pageserver at all
    neon::test::ScratchDir dir("bootstrap-compute-deadline");
    neon::test::write_text(dir / "computes.json", computes_json("0/169AD58"));
    auto res = run_cli({"bootstrap", "compute", "--storage-controller", fake.url(), "--computes",
                        (dir / "computes.json").string(), "--compute-id", "app-feature", "--deadline", "1s"});
    CHECK(res.exit == 1);
    CHECK(res.err.find("deadline reached while waiting for a schedulable pageserver") != std::string::npos);
  }

  TEST_CASE("compute: described first; another shard count is an error, never a second create") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_tenant(k_tenant, 1);  // unsharded; the computes file says 2 shards
    neon::test::ScratchDir dir("bootstrap-compute-shards");
    neon::test::write_text(dir / "computes.json", computes_json("0/169AD58"));
    auto res = run_cli({"bootstrap", "compute", "--storage-controller", fake.url(), "--computes",
                        (dir / "computes.json").string(), "--compute-id", "app-feature"});
    CHECK(res.exit == 1);
    CHECK(res.err.find("tenant " + k_tenant + " already exists with 1 shard but the computes file says 2") !=
          std::string::npos);
    CHECK(res.err.find("retrying") == std::string::npos);
    for (const auto& r : fake.requests()) {
      CHECK(r.method == "GET");
    }
    CHECK(fake.shard_sets(k_tenant) == std::vector<int>{1});
  }

  TEST_CASE("compute: an existing tenant is not created again") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_tenant(k_tenant, 2);
    neon::test::ScratchDir dir("bootstrap-compute-existing");
    neon::test::write_text(dir / "computes.json", computes_json("0/169AD58"));
    auto res = run_cli({"bootstrap", "compute", "--storage-controller", fake.url(), "--computes",
                        (dir / "computes.json").string(), "--compute-id", "app-feature"});
    INFO(res.err);
    REQUIRE(res.exit == 0);
    for (const auto& r : fake.requests()) {
      CHECK(!(r.method == "POST" && r.path == "/v1/tenant"));
    }
    CHECK(fake.requests().front().path == "/control/v1/tenant/" + k_tenant);
  }

  // neon-api-corrections-2.md (h), pageserver/src/pgdatadir_mapping.rs:66-95.
  TEST_CASE("compute: branch by timestamp needs kind present; future warns; past and nodata say why") {
    neon::test::ScratchDir dir("bootstrap-compute-timestamp");
    neon::test::write_text(dir / "computes.json", computes_json("0/169AD58"));
    auto run_with = [&](FakeStorcon& fake) {
      fake.add_node(11, "az-a");
      return run_cli({"bootstrap", "compute", "--storage-controller", fake.url(), "--computes",
                      (dir / "computes.json").string(), "--compute-id", "app-feature", "--deadline", "30s"});
    };
    {
      FakeStorcon fake;
      fake.set_lsn_by_timestamp("0/2000000", "future");
      auto res = run_with(fake);
      INFO(res.err);
      REQUIRE(res.exit == 0);
      CHECK(res.err.find("warning: branch feature: 2025-01-02T03:04:05Z is later than the newest commit on branch "
                         "dev; branching at its last commit, LSN 0/2000000") != std::string::npos);
      CHECK(fake.timelines(k_tenant)[k_feature]["ancestor_lsn"] == "0/2000000");
      // A later run takes the branch as it is: the newest commit has moved on.
      fake.set_lsn_by_timestamp("0/3000000", "future");
      fake.clear_requests();
      auto again = run_cli({"bootstrap", "compute", "--storage-controller", fake.url(), "--computes",
                            (dir / "computes.json").string(), "--compute-id", "app-feature"});
      INFO(again.err);
      CHECK(again.exit == 0);
      for (const auto& r : fake.requests()) {
        CHECK(r.path.find("get_lsn_by_timestamp") == std::string::npos);
      }
    }
    {
      FakeStorcon fake;
      fake.set_lsn_by_timestamp("0/1800000", "past");
      auto res = run_with(fake);
      CHECK(res.exit == 1);
      CHECK(res.err.find("branch feature: 2025-01-02T03:04:05Z is before the oldest point branch dev still keeps") !=
            std::string::npos);
      CHECK(res.err.find("the oldest usable LSN is 0/1800000") != std::string::npos);
      CHECK(res.err.find("retrying") == std::string::npos);
      CHECK(fake.timelines(k_tenant).count(k_feature) == 0);
    }
    {
      FakeStorcon fake;
      fake.set_lsn_by_timestamp("0/1800000", "nodata");
      auto res = run_with(fake);
      CHECK(res.exit == 1);
      CHECK(res.err.find("no commit records on branch dev") != std::string::npos);
      CHECK(fake.timelines(k_tenant).count(k_feature) == 0);
    }
  }

  TEST_CASE("bootstrap: 401/403 are not retried and name the token") {
    FakeStorcon fake;
    fake.require_token("good");
    neon::test::ScratchDir dir("bootstrap-auth");
    auto res = run_cli({"bootstrap", "safekeeper", "--storage-controller", fake.url(), "--set", "safekeeper",
                        "--namespace", "neon", "--data-dir", dir.path().string()},
                       "", {{"POD_NAME", "safekeeper-0"}, {"NEON_STORAGE_CONTROLLER_TOKEN", "bad"}});
    CHECK(res.exit == 1);
    CHECK(res.err.find("403 Forbidden") != std::string::npos);
    CHECK(res.err.find("retrying") == std::string::npos);
    CHECK(res.err.find("hint: ") != std::string::npos);
  }
}
