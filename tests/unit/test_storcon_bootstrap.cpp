// bootstrap pageserver|safekeeper|compute: files on disk and calls against the fake controller.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

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
  branches.push_back(Json{{"name", "feature"}, {"timeline_id", k_feature}, {"ancestor_timeline_id", k_dev},
                          {"ancestor_timestamp", "2025-01-02T03:04:05Z"}});
  Json doc{{"version", 1},
           {"namespace", "neon"},
           {"safekeepers", Json::array()},
           {"projects", Json::array({Json{{"name", "app"}, {"tenant_id", k_tenant}, {"pg_version", 17},
                                          {"shard_count", 2}, {"stripe_size", 2048},
                                          {"tenant_config", Json{{"pitr_interval", "7 days"}}},
                                          {"branches", branches}}})},
           {"computes", Json::array({Json{{"compute_id", "app-feature"}, {"project", "app"}, {"branch", "feature"},
                                          {"tenant_id", k_tenant}, {"timeline_id", k_feature}}})}};
  return doc.dump();
}

}  // namespace

TEST_SUITE("storcon bootstrap") {
  TEST_CASE("pageserver: config, identity and metadata in the workdir") {
    neon::test::ScratchDir dir("bootstrap-pageserver");
    neon::test::write_text(dir / "in.toml", "broker_endpoint = \"http://storage-broker:50051\"\n");
    auto res = run_cli({"bootstrap", "pageserver", "--workdir", (dir / "data").string(), "--config",
                        (dir / "in.toml").string(), "--zone-number", "2", "--zone", "az-b", "--set",
                        "pageserver-az-b", "--namespace", "neon"},
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
    // The input is untouched, and an empty variable means no token.
    CHECK(neon::test::read_text(dir / "in.toml").find("stale") != std::string::npos);
    auto empty = run_cli({"bootstrap", "pageserver", "--workdir", (dir / "data").string(), "--config",
                          (dir / "in.toml").string(), "--set", "pageserver", "--namespace", "neon"},
                         "", {{"POD_NAME", "pageserver-0"}, {"NEON_CONTROL_PLANE_API_TOKEN", ""}});
    REQUIRE(empty.exit == 0);
    CHECK(neon::test::read_text(dir / "data/pageserver.toml") == neon::test::read_text(dir / "in.toml"));
  }

  TEST_CASE("safekeeper: upsert then Active, idempotent") {
    FakeStorcon fake;
    const std::vector<std::string> args = {"bootstrap", "safekeeper", "--storage-controller", fake.url(),
                                           "--zone-number", "1", "--zone", "az-a", "--set", "safekeeper",
                                           "--namespace", "neon"};
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
    CHECK(sk["scheduling_policy"] == "Active");
    CHECK(run_cli(args, "", {{"POD_NAME", "safekeeper-2"}}).exit == 0);
  }

  TEST_CASE("safekeeper: retries a 503 until it succeeds") {
    FakeStorcon fake;
    FakeStorcon::Fault f;
    f.path_prefix = "/control/v1/safekeeper";
    f.status = 503;
    f.msg = "Current leadership status is Candidate";
    f.times = 6;
    fake.add_fault(f);
    auto res = run_cli({"bootstrap", "safekeeper", "--storage-controller", fake.url(), "--set", "safekeeper",
                        "--namespace", "neon", "--deadline", "1m"},
                       "", {{"POD_NAME", "safekeeper-0"}});
    REQUIRE(res.exit == 0);
    CHECK(res.err.find("retrying") != std::string::npos);
    CHECK(fake.safekeeper(10)["scheduling_policy"] == "Active");
  }

  TEST_CASE("compute: tenant and timelines from the root, timestamp resolved; conflicts are clear") {
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_node(21, "az-b");
    neon::test::ScratchDir dir("bootstrap-compute");
    neon::test::write_text(dir / "computes.json", computes_json("0/169AD58"));
    const std::vector<std::string> args = {"bootstrap", "compute", "--storage-controller", fake.url(), "--computes",
                                           (dir / "computes.json").string(), "--compute-id", "app-feature"};
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
}
