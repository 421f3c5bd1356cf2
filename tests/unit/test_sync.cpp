// kubectl neon sync against the fake storage controller: timeline list and delete (a parent with
// children is 412, pageserver/src/http/routes.rs:318-321), tenant delete, tenant config
// (TenantConfigRequest, models.rs:1410-1414), shard split (service.rs:6243-6254).
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "generators/computes.hpp"
#include "generators/spec_parse.hpp"
#include "generators/validate.hpp"
#include "plugin/commands/sync_plan.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/run.hpp"

namespace {

using Json = nlohmann::json;
using neon::test::FakeStorcon;
using neon::test::run_cli;

const std::string k_app = "294ca7a45747bee9a5a893416ee7ad81";
const std::string k_main = "0eb4f5ec83a41a90e2cd41c5d9912de6";
const std::string k_dev = "1c2d3e4f5a6b47c88d9e0f1a2b3c4d5e";
const std::string k_stray_tenant = "5e4f5a6b7c8d49ea8f0a1b2c3d4e5f61";
const std::string k_stray_parent = "6f5a6b7c8d9e4afb901b2c3d4e5f6072";
const std::string k_stray_child = "7a6b7c8d9e0f4a0c912c3d4e5f607183";

/// The dev starter with project app sharded in two, a tenantConfig and a second branch.
std::string spec_text() {
  std::string text = neon::test::read_text(neon::test::source_dir() / "schemas/starters/dev.yaml");
  text = neon::test::replaced(text, "      branches:\n",
                              "      shards:\n        count: 2\n        stripeSize: 2048\n"
                              "      tenantConfig:\n        pitr_interval: 7 days\n        gc_horizon: 67108864\n"
                              "      branches:\n");
  return neon::test::replaced(text, "  gitops:\n",
                              fmt::format("        - name: dev\n          timelineId: {}\n          parent: main\n"
                                          "          lsn: 0/2A3B4C8\n  gitops:\n",
                                          k_dev));
}

struct Cluster {
  neon::test::ScratchDir dir{"sync"};
  FakeStorcon fake;
  std::string spec;

  Cluster() {
    fake.add_node(11, "az-a");
    fake.add_node(12, "az-a");
    spec = (dir / "neon.yaml").string();
    neon::test::write_text(spec, spec_text());
  }

  neon::test::CliResult sync(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), {"sync", "-f", spec});
    args.insert(args.end(), {"--storage-controller", fake.url()});
    return run_cli(args, stdin_text);
  }

  std::vector<std::string> calls(bool changing_only) const {
    std::vector<std::string> out;
    for (const auto& r : fake.requests()) {
      if (!changing_only || r.method != "GET") {
        out.push_back(r.method + " " + r.path.substr(0, r.path.find('?')));
      }
    }
    return out;
  }
};

}  // namespace

TEST_SUITE("sync") {
  TEST_CASE("sync: creates the missing tenant and its timelines, parents first; a second sync changes nothing") {
    Cluster c;
    auto r = c.sync({});
    INFO(r.out, r.err);
    CHECK(r.exit == 0);
    CHECK(r.out == fmt::format("+ create project app (tenant {}) with 2 shards\n"
                               "+ create branch main (timeline {}) of project app (tenant {})\n"
                               "+ create branch dev (timeline {}) of project app (tenant {})\n",
                               k_app, k_main, k_app, k_dev, k_app));
    CHECK(c.fake.shard_sets(k_app) == std::vector<int>{2});
    CHECK(c.fake.tenant(k_app)["config"] == Json{{"gc_horizon", 67108864}, {"pitr_interval", "7 days"}});
    const Json tls = c.fake.timelines(k_app);
    CHECK(tls[k_dev]["ancestor_timeline_id"] == k_main);
    CHECK(tls[k_dev]["ancestor_lsn"] == "0/2A3B4C8");

    c.fake.clear_requests();
    auto again = c.sync({});
    CHECK(again.exit == 0);
    CHECK(again.out == "no drift: 1 project match the storage controller\n");
    CHECK(c.calls(true).empty());
    CHECK(c.calls(false) ==
          std::vector<std::string>{"GET /control/v1/tenant", "GET /v1/tenant/" + k_app + "/timeline"});
  }

  TEST_CASE("sync --dry-run: every kind of drift, as text and JSON (golden), and nothing changes") {
    Cluster c;
    c.fake.add_tenant(k_app, 1, 1);  // one shard: split to 2
    c.fake.add_timeline(k_app, k_main);
    c.fake.add_timeline(k_app, "8a7b6c5d4e3f40218f9e8d7c6b5a4938", k_main);  // made by hand
    c.fake.add_tenant(k_stray_tenant, 1, 0);
    c.fake.add_timeline(k_stray_tenant, k_stray_parent);
    c.fake.add_timeline(k_stray_tenant, k_stray_child, k_stray_parent);
    auto text = c.sync({"--dry-run"});
    CHECK(text.exit == 1);
    auto json = c.sync({"--dry-run", "-o", "json"});
    CHECK(json.exit == 1);
    CHECK(Json::parse(json.out)["drift"] == true);
    auto pruned = c.sync({"--dry-run", "--prune"});
    CHECK(pruned.exit == 1);
    CHECK(neon::test::check_golden("cli/sync-plan.txt", "$ sync --dry-run\n" + text.out +
                                                            "\n$ sync --dry-run --prune\n" + pruned.out +
                                                            "\n$ sync --dry-run -o json\n" + json.out) == "");
    CHECK(c.calls(true).empty());
  }

  TEST_CASE("sync: fixes what it can, keeps what the spec lacks until --prune, which asks first") {
    Cluster c;
    c.fake.add_tenant(k_app, 1, 1);
    c.fake.add_timeline(k_app, k_main);
    c.fake.add_tenant(k_stray_tenant, 1, 0);
    c.fake.add_timeline(k_stray_tenant, k_stray_parent);
    c.fake.add_timeline(k_stray_tenant, k_stray_child, k_stray_parent);

    auto kept = c.sync({});
    INFO(kept.err);
    CHECK(kept.exit == 1);  // drift left: the stray tenant
    CHECK(kept.err.find("3 changes made; 3 left (see above; --prune deletes what the spec does not have)") !=
          std::string::npos);
    // The branch goes through bootstrap's path: every timeline from the root, each create idempotent.
    CHECK(c.calls(true) ==
          std::vector<std::string>{"PUT /v1/tenant/config", "PUT /control/v1/tenant/" + k_app + "/shard_split",
                                   "POST /v1/tenant/" + k_app + "/timeline", "POST /v1/tenant/" + k_app + "/timeline"});
    CHECK(c.fake.shard_sets(k_app) == std::vector<int>{2});
    CHECK(c.fake.timelines(k_app).contains(k_dev));

    // Not a terminal and no --yes: refused, nothing deleted.
    c.fake.clear_requests();
    auto refused = c.sync({"--prune"});
    CHECK(refused.exit == 2);
    CHECK(refused.err.find("refusing to prune without --yes when stdin is not a terminal") != std::string::npos);
    CHECK(c.calls(true).empty());

    auto done = c.sync({"--prune", "--yes"});
    INFO(done.err);
    CHECK(done.exit == 0);
    CHECK(c.calls(true) ==
          std::vector<std::string>{"DELETE /v1/tenant/" + k_stray_tenant + "/timeline/" + k_stray_child,
                                   "DELETE /v1/tenant/" + k_stray_tenant + "/timeline/" + k_stray_parent,
                                   "DELETE /v1/tenant/" + k_stray_tenant});
    CHECK(c.fake.tenant(k_stray_tenant).is_null());
    CHECK(c.sync({}).exit == 0);
  }

  TEST_CASE("sync: more shards than the spec is reported, never split back") {
    Cluster c;
    c.fake.add_tenant(k_app, 4, 1);
    c.fake.add_timeline(k_app, k_main);
    c.fake.add_timeline(k_app, k_dev, k_main, "0/2A3B4C8");
    auto r = c.sync({});
    CHECK(r.exit == 1);
    CHECK(r.out.find(fmt::format("! project app (tenant {}) has 4 shards, the spec asks for 2: a split cannot be "
                                 "undone; set shards.count to 4 in the spec",
                                 k_app)) != std::string::npos);
    for (const auto& call : c.calls(true)) {
      CHECK(call.find("shard_split") == std::string::npos);
    }
  }

  TEST_CASE("sync: a controller failing half way stops it; the next sync finishes") {
    Cluster c;
    c.fake.add_fault({"POST", "/v1/tenant/" + k_app + "/timeline", FakeStorcon::FaultKind::status, 400, "injected", 1});
    auto failed = c.sync({});
    CHECK(failed.exit == 2);
    CHECK(failed.err.find("sync stopped at: create timeline app/main; 1 change made before it") != std::string::npos);
    CHECK_FALSE(c.fake.tenant(k_app).is_null());
    auto finished = c.sync({});
    INFO(finished.err);
    CHECK(finished.exit == 0);
    CHECK(finished.out.find("create project") == std::string::npos);
    CHECK(c.fake.timelines(k_app).size() == 2);
  }

  TEST_CASE("sync --computes-file: the compute hook's computes.json names the projects, as in the CronJob") {
    Cluster c;
    auto loaded = neon::gen::load_spec(spec_text(), "neon.yaml");
    REQUIRE(loaded.spec);
    const auto file = c.dir / "computes.json";
    neon::test::write_text(file, neon::gen::to_json(neon::gen::computes_file(*loaded.spec)).dump());
    auto r = run_cli({"sync", "--computes-file", file.string(), "--storage-controller", c.fake.url()});
    INFO(r.err);
    CHECK(r.exit == 0);
    CHECK(c.fake.timelines(k_app).size() == 2);
    auto both = run_cli({"sync", "--computes-file", file.string(), "-f", c.spec});
    CHECK(both.exit == 2);
    CHECK(both.err.find("-f and --computes-file both name the projects") != std::string::npos);
  }

  TEST_CASE("sync: tenant config durations compare by value, as humantime_serde writes them back") {
    std::vector<std::string> differing;
    CHECK(neon::cli::sync::same_config(Json{{"pitr_interval", "7 days"}}, Json{{"pitr_interval", "7days"}}, differing));
    CHECK(
        neon::cli::sync::same_config(Json{{"gc_period", "1h"}}, Json{{"gc_period", "60m"}, {"x", nullptr}}, differing));
    CHECK(differing.empty());
    CHECK_FALSE(neon::cli::sync::same_config(Json{{"gc_period", "1h"}},
                                             Json{{"gc_period", "2h"}, {"checkpoint_distance", 1}}, differing));
    CHECK(differing == std::vector<std::string>{"checkpoint_distance", "gc_period"});
  }

  TEST_CASE(
      "sync: preferredZone is set on every shard not preferring it (PUT /control/v1/preferred_azs); "
      "a second sync changes nothing") {
    Cluster c;
    std::string text = spec_text();
    text = neon::test::replaced(text, "    count: 1\n    storage:\n      size: 10Gi\n",
                                "    count: 2\n    zones: [az-a, az-b]\n    storage:\n      size: 10Gi\n");
    text = neon::test::replaced(text, "  safekeepers:\n    count: 3\n",
                                "  safekeepers:\n    count: 3\n    zones: [az-a, az-b]\n");
    text = neon::test::replaced(text, "      shards:\n", "      preferredZone: az-b\n      shards:\n");
    neon::test::write_text(c.spec, text);
    c.fake.add_tenant(k_app, 2, 0);  // both shards on az-a nodes: they prefer az-a
    c.fake.add_timeline(k_app, k_main);
    c.fake.add_timeline(k_app, k_dev, k_main);
    auto plan = c.sync({"--dry-run", "-o", "json"});
    INFO(plan.out, plan.err);
    CHECK(plan.exit == 1);
    Json zone_change;
    const Json planned = Json::parse(plan.out);
    for (const auto& change : planned["changes"]) {
      if (change["action"] == "set_preferred_az") {
        zone_change = change;
      }
    }
    CHECK(zone_change["zone"] == "az-b");
    CHECK(zone_change["shards"] == Json::array({k_app + "-0002", k_app + "-0102"}));
    auto r = c.sync({});
    CHECK(r.exit == 0);
    CHECK(r.out.find(fmt::format("~ prefer zone az-b for project app (tenant {}) (2 shards)\n", k_app)) !=
          std::string::npos);
    const Json tenant = c.fake.tenant(k_app);  // a copy: a range-for over a temporary's member would dangle
    for (const auto& shard : tenant["shards"]) {
      CHECK(shard["preferred_az_id"] == "az-b");
    }
    c.fake.clear_requests();
    auto again = c.sync({});
    CHECK(again.exit == 0);
    CHECK(c.calls(true).empty());

    // A zone the pageservers are not in is a validate error, with did-you-mean.
    neon::test::write_text(c.spec, neon::test::replaced(text, "preferredZone: az-b", "preferredZone: az-bb"));
    auto bad = c.sync({"--dry-run"});
    CHECK(bad.exit == 2);  // sync: an invalid spec is an error, not drift
    CHECK(bad.err.find("spec.projects[0].preferredZone: \"az-bb\" is not a pageserver zone (az-a, az-b) "
                       "(did you mean \"az-b\"?)") != std::string::npos);
  }
}
