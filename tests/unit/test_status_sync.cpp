// status on spec.sync's CronJob: the newest finished pod's termination message (the run's
// --summary-file) read through the fake Kubernetes API, shown as a note (clean) or a problem
// (drift left, a failed run); "never ran" and "not configured" from the spec, or without one from
// the namespace's spec-sync CronJob.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "plugin/clients/kube_client.hpp"
#include "plugin/commands/storcon_status.hpp"
#include "plugin/commands/sync_summary.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

using Json = nlohmann::json;
using neon::test::run_cli;

const std::string k_tenant = "294ca7a45747bee9a5a893416ee7ad81";

std::map<std::string, std::string> sync_labels() {
  return {{"app.kubernetes.io/name", "spec-sync"},
          {"app.kubernetes.io/component", "spec-sync"},
          {"app.kubernetes.io/part-of", "neon"}};
}

/// A summary as `sync --summary-file` writes it.
std::string summary(int exit, std::map<std::string, long long> found, long long made, long long left,
                    const std::string& time, const std::string& error = "") {
  neon::cli::sync::Summary s;
  s.time = time;
  s.exit = exit;
  s.found = std::move(found);
  s.made = made;
  s.left = left;
  s.error = error;
  return neon::cli::sync::summary_json(s);
}

struct Rig {
  neon::test::ScratchDir dir{"status-sync"};
  neon::test::TestPki pki{dir.path()};
  std::unique_ptr<neon::test::FakeKubeApi> kube;
  neon::test::FakeStorcon fake;
  std::map<std::string, std::string> env;

  Rig() {
    REQUIRE_MESSAGE(pki.ok, pki.error);
    kube = std::make_unique<neon::test::FakeKubeApi>(pki, neon::test::FakeKubeOptions{"kube-token", false, ""});
    REQUIRE(kube->running());
    neon::test::write_text(
        dir / "kubeconfig",
        fmt::format("apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: c\n  cluster:\n"
                    "    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n"
                    "    token: kube-token\ncontexts:\n- name: k\n  context:\n    cluster: c\n    user: u\n"
                    "    namespace: neon\n",
                    kube->url(), neon::cli::kube::base64_encode(neon::test::read_text(pki.ca_crt))));
    env = {{"KUBECONFIG", (dir / "kubeconfig").string()}};
    fake.add_node(11, "az-a");
    fake.add_safekeeper(11, "az-a");
    fake.add_tenant(k_tenant, 1, 0);
  }

  neon::test::CliResult status(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"status", "--storage-controller", fake.url()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, "", env);
  }
};

}  // namespace

TEST_SUITE("storcon status") {
  TEST_CASE("status: the newest finished spec-sync pod's findings; drift left degrades health" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig;
    auto& w = rig.kube->workloads();
    // An older clean run, then a newer one that left an extra tenant (no --prune in the cluster).
    w.add_finished_pod("neon", "spec-sync-29000000-aaaaa", sync_labels(), 0, "Completed",
                       summary(0, {{"create_tenant", 0}}, 0, 0, "2026-03-01T10:00:05Z"), "2026-03-01T10:00:05Z");
    w.add_finished_pod("neon", "spec-sync-29000015-bbbbb", sync_labels(), 1, "Error",
                       summary(1, {{"create_timeline", 1}, {"extra_tenant", 1}}, 1, 1, "2026-03-01T10:15:04Z"),
                       "2026-03-01T10:15:04Z");
    // A pod of another component that has ended is no sync run.
    w.add_finished_pod("neon", "minio-bucket-xyz",
                       {{"app.kubernetes.io/component", "dev-minio"}, {"app.kubernetes.io/part-of", "neon"}}, 0,
                       "Completed", "", "2026-03-01T11:00:00Z");
    auto json = rig.status({"-o", "json"});
    INFO(json.err);
    CHECK(json.exit == 1);
    const auto doc = Json::parse(json.out);
    const Json& sync = doc["sync"];
    CHECK(sync["state"] == "ran");
    CHECK(sync["pod"] == "spec-sync-29000015-bbbbb");
    CHECK(sync["finished"] == "2026-03-01T10:15:04Z");
    CHECK(sync["exit_code"] == 1);
    CHECK(sync["result"] == "drift");
    CHECK(sync["summary"]["found"]["extra_tenant"] == 1);
    CHECK(sync["summary"]["made"] == 1);
    CHECK(doc["health"]["problems"] ==
          Json::array({"spec-sync: the last run (2026-03-01T10:15:04Z, pod spec-sync-29000015-bbbbb): drift: 1 "
                       "change made, 1 left (1 create timeline, 1 tenant not in the spec)"}));
    // Finished Job pods are no replicas that should be ready.
    CHECK(doc["components"]["items"] == Json::array());

    auto table = rig.status();
    CHECK(table.exit == 1);
    CHECK(table.err.find("warning: spec-sync: the last run (2026-03-01T10:15:04Z") != std::string::npos);
  }

  TEST_CASE("status: a clean last run is a note; one that died before its summary shows its log's tail" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    SUBCASE("clean") {
      Rig rig;
      rig.kube->workloads().add_finished_pod(
          "neon", "spec-sync-1", sync_labels(), 0, "Completed",
          summary(0, {{"create_tenant", 1}, {"create_timeline", 2}}, 3, 0, "2026-03-01T10:00:05Z"),
          "2026-03-01T10:00:05Z");
      auto table = rig.status();
      INFO(table.err);
      CHECK(table.exit == 0);
      CHECK(table.err.find("note: spec-sync: the last run (2026-03-01T10:00:05Z, pod spec-sync-1): fixed: 3 "
                           "changes made, 0 left (1 create tenant, 2 create timeline)") != std::string::npos);
      const auto doc = Json::parse(rig.status({"-o", "json"}).out);
      CHECK(doc["sync"]["result"] == "fixed");
      CHECK(doc["health"]["status"] == "healthy");
    }
    SUBCASE("failed without a summary: FallbackToLogsOnError's log tail") {
      Rig rig;
      rig.kube->workloads().add_finished_pod("neon", "spec-sync-2", sync_labels(), 137, "OOMKilled",
                                             "reading timelines\nkilled\n", "2026-03-01T10:30:00Z");
      auto json = rig.status({"-o", "json"});
      CHECK(json.exit == 1);
      const auto doc = Json::parse(json.out);
      CHECK(doc["sync"]["summary"].is_null());
      CHECK(doc["sync"]["result"] == "error");
      CHECK(doc["health"]["problems"] ==
            Json::array({"spec-sync: the last run (2026-03-01T10:30:00Z, pod spec-sync-2) ended with exit code 137 "
                         "(OOMKilled): killed"}));
    }
    SUBCASE("the controller unreachable: the run's own error") {
      Rig rig;
      rig.kube->workloads().add_finished_pod(
          "neon", "spec-sync-3", sync_labels(), 3, "Error",
          summary(3, {}, 0, 0, "2026-03-01T10:45:00Z", "storage controller: connection refused"),
          "2026-03-01T10:45:00Z");
      const auto doc = Json::parse(rig.status({"-o", "json"}).out);
      CHECK(doc["sync"]["result"] == "unreachable");
      CHECK(doc["health"]["problems"] ==
            Json::array({"spec-sync: the last run (2026-03-01T10:45:00Z, pod spec-sync-3): unreachable: "
                         "storage controller: connection refused"}));
    }
  }

  TEST_CASE("status: spec-sync never ran or not configured, from the spec, else from the namespace's CronJob" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig;
    std::string text = neon::test::read_text(neon::test::source_dir() / "schemas/starters/dev.yaml");
    neon::test::write_text(rig.dir / "off.yaml", text);
    neon::test::write_text(
        rig.dir / "on.yaml",
        neon::test::replaced(text, "  gitops:\n", "  sync:\n    schedule: \"*/15 * * * *\"\n  gitops:\n"));
    const auto state = [&](std::vector<std::string> extra) {
      extra.insert(extra.begin(), {"-o", "json"});
      auto r = rig.status(extra);
      INFO(r.err);
      return Json::parse(r.out)["sync"]["state"].get<std::string>();
    };
    // Without -f the namespace tells: no spec-sync CronJob, not configured.
    CHECK(state({}) == "not configured");
    CHECK(state({"-f", (rig.dir / "off.yaml").string()}) == "not configured");
    CHECK(state({"-f", (rig.dir / "on.yaml").string()}) == "never ran");
    auto table = rig.status({"-f", (rig.dir / "on.yaml").string()});
    CHECK(table.err.find("note: spec-sync: the CronJob has no finished run yet") != std::string::npos);

    // Another component's CronJob is not it; the spec-sync one (labelled as generated) is.
    rig.kube->workloads().add_cronjob("neon", "backup", {{"app.kubernetes.io/component", "backup"}}, "@daily", false);
    CHECK(state({}) == "not configured");
    rig.kube->workloads().add_cronjob("neon", "spec-sync", sync_labels(), "*/15 * * * *", false);
    CHECK(state({}) == "never ran");
    const auto requests = rig.kube->requests();
    CHECK(std::any_of(requests.begin(), requests.end(), [](const auto& r) {
      return r.target.rfind("/apis/batch/v1/namespaces/neon/cronjobs?", 0) == 0 &&
             r.target.find("labelSelector=app.kubernetes.io%2Fcomponent%3Dspec-sync") != std::string::npos;
    }));
    // The spec is the truth when given: a CronJob left behind after spec.sync was removed does not count.
    CHECK(state({"-f", (rig.dir / "off.yaml").string()}) == "not configured");
  }

  TEST_CASE("status: the sync state of pods as the API lists them") {
    neon::cli::kube::Pod running;
    running.name = "spec-sync-9";
    running.phase = "Running";
    running.labels = sync_labels();
    // A run still going is not the last run.
    CHECK(neon::cli::status::last_sync_run({running}, true).state == "never ran");
    CHECK(neon::cli::status::last_sync_run({}, false).state == "not configured");
    // Neither the spec nor the CronJob list could tell (the list was refused, say).
    CHECK(neon::cli::status::last_sync_run({}, std::nullopt).state == "none found");
    // Pods not read: no state at all, "unknown" in the document.
    CHECK(neon::cli::status::sync_json(neon::cli::status::SyncRun{}) == Json{{"state", "unknown"}});
  }
}
