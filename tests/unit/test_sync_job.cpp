// What spec.sync's CronJob needs of `kubectl neon sync`: --summary-file (the findings its pod
// leaves as termination message, at most 4 KiB) and --signing-key-file (its own expiring tokens,
// one scope per route, checked by the fake controller as storage_controller/src/http.rs does).
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

#include "generators/computes.hpp"
#include "generators/validate.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/commands/sync_summary.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/run.hpp"

namespace {

using Json = nlohmann::json;
using neon::test::FakeStorcon;
using neon::test::run_cli;
namespace jwt = neon::cli::jwt;
namespace sync = neon::cli::sync;

const std::string k_app = "294ca7a45747bee9a5a893416ee7ad81";
const std::string k_main = "0eb4f5ec83a41a90e2cd41c5d9912de6";
const std::string k_dev = "1c2d3e4f5a6b47c88d9e0f1a2b3c4d5e";
const std::string k_stray = "5e4f5a6b7c8d49ea8f0a1b2c3d4e5f61";

/// The dev starter with project app sharded in two and a second branch; its computes.json.
std::string computes_json() {
  std::string text = neon::test::read_text(neon::test::source_dir() / "schemas/starters/dev.yaml");
  text = neon::test::replaced(text, "      branches:\n",
                              "      shards:\n        count: 2\n        stripeSize: 2048\n      branches:\n");
  text = neon::test::replaced(text, "  gitops:\n",
                              fmt::format("        - name: dev\n          timelineId: {}\n          parent: main\n"
                                          "          lsn: 0/2A3B4C8\n  gitops:\n",
                                          k_dev));
  auto loaded = neon::gen::load_spec(text, "neon.yaml");
  REQUIRE(loaded.spec);
  return neon::gen::to_json(neon::gen::computes_file(*loaded.spec)).dump();
}

Json read_summary(const std::filesystem::path& path) {
  const std::string text = neon::test::read_text(path);
  CHECK(text.size() <= sync::k_summary_limit);
  CHECK(text.find('\n') == text.size() - 1);  // one line
  return Json::parse(text);
}

}  // namespace

TEST_SUITE("sync") {
  TEST_CASE("sync --summary-file: the run's findings as one line of JSON, whatever the outcome") {
    neon::test::ScratchDir dir("sync-summary");
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_tenant(k_stray, 1, 0);
    neon::test::write_text(dir / "computes.json", computes_json());
    const auto summary = dir / "summary.json";
    const auto run = [&](std::vector<std::string> extra, const std::string& url) {
      std::vector<std::string> args{
          "sync",           "--computes-file", (dir / "computes.json").string(), "--storage-controller", url,
          "--summary-file", summary.string()};
      args.insert(args.end(), extra.begin(), extra.end());
      return run_cli(args);
    };

    auto dry = run({"--dry-run"}, fake.url());
    CHECK(dry.exit == 1);
    auto s = read_summary(summary);
    CHECK(s["kind"] == "kubectl-neon/sync-summary");
    CHECK(s["exit"] == 1);
    CHECK(s["result"] == "drift");
    CHECK(s["dry_run"] == true);
    // The tenant, each of its two timelines (ancestors first), and the stray tenant.
    CHECK(s["found"] == Json{{"create_tenant", 1},
                             {"set_config", 0},
                             {"set_preferred_az", 0},
                             {"split", 0},
                             {"create_timeline", 2},
                             {"shards_above_spec", 0},
                             {"extra_timeline", 0},
                             {"extra_tenant", 1}});
    CHECK(s["made"] == 0);
    CHECK(s["left"] == 4);
    CHECK(s["time"].get<std::string>().size() == 20);  // 2026-03-01T10:00:05Z

    // Without --prune the stray tenant stays: drift left, as in the cluster.
    auto fixed = run({}, fake.url());
    INFO(fixed.err);
    CHECK(fixed.exit == 1);
    s = read_summary(summary);
    CHECK(s["result"] == "drift");
    CHECK(s["made"] == 3);
    CHECK(s["left"] == 1);
    CHECK(s["dry_run"] == false);
    CHECK(fake.timelines(k_app).size() == 2);

    REQUIRE(run_cli({"sync", "--computes-file", (dir / "computes.json").string(), "--storage-controller", fake.url(),
                     "--prune", "--yes"})
                .exit == 0);
    auto clean = run({}, fake.url());
    CHECK(clean.exit == 0);
    s = read_summary(summary);
    CHECK(s["result"] == "no drift");
    CHECK(s["found"]["extra_tenant"] == 0);

    // Nothing listens on port 1: exit 3, and the summary says why.
    auto unreachable = run({"--request-timeout", "2s"}, "http://127.0.0.1:1");
    CHECK(unreachable.exit == 3);
    s = read_summary(summary);
    CHECK(s["result"] == "unreachable");
    CHECK_FALSE(s["error"].get<std::string>().empty());

    // An unreadable computes file is an error with a summary too.
    neon::test::write_text(dir / "computes.json", "{not json");
    CHECK(run({}, fake.url()).exit == 2);
    CHECK(read_summary(summary)["result"] == "error");
  }

  TEST_CASE("sync summary: a long error is cut to fit 4 KiB, never inside a UTF-8 character, and reads back") {
    std::string error;
    while (error.size() < 10000) {
      error += "ошибка ";  // two bytes a letter
    }
    const auto s = sync::summarize(nullptr, 2, 1, false, 2, error, "2026-03-01T10:00:05Z");
    const std::string text = sync::summary_json(s);
    CHECK(text.size() <= sync::k_summary_limit);
    const auto back = sync::parse_summary(text);
    REQUIRE(back);
    CHECK(back->exit == 2);
    CHECK(back->made == 2);
    CHECK(back->result() == "error");
    CHECK(back->error.size() < error.size());
    CHECK(back->error.substr(back->error.size() - 3) == "...");
    CHECK(Json::parse(text)["error"].get<std::string>() == back->error);  // valid UTF-8 throughout
    CHECK(sync::summary_line(*back).rfind("error: ошибка", 0) == 0);
    // What is not a summary (a log tail of FallbackToLogsOnError) is not read as one.
    CHECK_FALSE(sync::parse_summary("panic: out of memory\n"));
    CHECK_FALSE(sync::parse_summary(R"({"exit":0})"));
  }

  TEST_CASE("sync --signing-key-file: its own expiring tokens, the scope of each route, none to delete") {
    neon::test::ScratchDir dir("sync-signing");
    FakeStorcon fake;
    fake.add_node(11, "az-a");
    fake.add_node(12, "az-a");
    auto kp = jwt::generate_ed25519();
    REQUIRE(kp);
    fake.require_jwt(kp->public_pem);
    neon::test::write_text(dir / "private.pem", kp->private_pem);
    neon::test::write_text(dir / "computes.json", computes_json());
    // One shard where the spec asks for two, one timeline of two: list (admin), describe
    // (scrubber), timeline list and create (pageserverapi), split (admin).
    fake.add_tenant(k_app, 1, 1);
    fake.add_timeline(k_app, k_main);
    const std::vector<std::string> base{
        "sync",     "--computes-file",    (dir / "computes.json").string(), "--storage-controller",
        fake.url(), "--signing-key-file", (dir / "private.pem").string()};
    auto r = run_cli(base);
    INFO(r.err);
    CHECK(r.exit == 0);
    CHECK(fake.shard_sets(k_app) == std::vector<int>{2});
    CHECK(fake.timelines(k_app).size() == 2);
    std::set<std::string> scopes;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    for (const auto& req : fake.requests()) {
      CAPTURE(req.path);
      REQUIRE(req.authorization.rfind("Bearer ", 0) == 0);
      auto claims = jwt::verify(req.authorization.substr(7), kp->public_pem, now);
      REQUIRE(claims);
      const std::string path = req.path.substr(0, req.path.find('?'));
      CHECK((*claims)["scope"] == FakeStorcon::required_scope(req.method, path));
      CHECK((*claims)["exp"].get<std::int64_t>() <= now + 600);
      scopes.insert((*claims)["scope"].get<std::string>());
    }
    CHECK(scopes == std::set<std::string>{"admin", "pageserverapi", "scrubber"});

    // The table agrees with the controller's for every route sync calls, and gives nothing to delete.
    for (const auto& [method, path] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/control/v1/tenant"},
                                                          {"GET", "/control/v1/tenant/" + k_app},
                                                          {"PUT", "/control/v1/tenant/" + k_app + "/shard_split"},
                                                          {"POST", "/v1/tenant"},
                                                          {"PUT", "/v1/tenant/config"},
                                                          {"GET", "/v1/tenant/" + k_app + "/timeline"},
                                                          {"POST", "/v1/tenant/" + k_app + "/timeline"}}) {
      CAPTURE(path);
      CHECK(sync::scope_for(method, path) == FakeStorcon::required_scope(method, path));
    }
    CHECK(sync::scope_for("DELETE", "/v1/tenant/" + k_app).empty());
    CHECK(sync::scope_for("DELETE", "/v1/tenant/" + k_app + "/timeline/" + k_main).empty());
    CHECK(sync::scope_for("PUT", "/control/v1/tenant/" + k_app + "/policy").empty());
    CHECK(sync::scope_for("POST", "/debug/v1/reconcile_all").empty());

    std::vector<std::string> prune = base;
    prune.insert(prune.end(), {"--prune", "--yes"});
    auto refused = run_cli(prune);
    CHECK(refused.exit == 2);
    CHECK(refused.err.find("--signing-key-file mints no token that may delete") != std::string::npos);

    neon::test::write_text(dir / "token", "a-token");
    std::vector<std::string> both = base;
    both.insert(both.end(), {"--token-file", (dir / "token").string()});
    auto twice = run_cli(both);
    CHECK(twice.exit == 2);
    CHECK(twice.err.find("give one") != std::string::npos);
  }
}
