// kubectl neon rollout against the fake Kubernetes API (pods re-created by their StatefulSet at its
// updateRevision, fake_workloads.hpp) and the fake storage controller (drain, fill, re-attach as
// storage_controller/src/service.rs does them: :8305-8341, :8443-8478, :2503-2520, :9745-9752).
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "plugin/clients/kube_client.hpp"
#include "plugin/commands/rollout_plan.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/rollout_rig.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

using neon::test::Json;
using neon::test::labels;
using neon::test::Rig;
using neon::test::run_cli;

}  // namespace

TEST_SUITE("rollout") {
  TEST_CASE("rollout --dry-run: the plan for every target, in order, and nothing changes" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-plan", 3, 3, 6, 1);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    rig.kube.workloads().add_deployment("neon", "compute-app-dev", labels("compute-app-dev", "compute"), 1, 0, 1);
    std::string all;
    for (const char* target : {"all", "pageservers", "safekeepers", "storage-controller", "computes"}) {
      auto r = rig.rollout({target, "--dry-run"});
      INFO(target, r.err);
      CHECK(r.exit == 0);
      all += fmt::format("$ kubectl neon rollout {} --dry-run\n{}\n", target, r.out);
    }
    auto one = rig.rollout({"pageservers", "--node", "11", "--dry-run"});
    CHECK(one.exit == 0);
    all += fmt::format("$ kubectl neon rollout pageservers --node 11 --dry-run\n{}", one.out);
    CHECK(neon::test::check_golden("cli/rollout-plans.txt", all) == "");

    auto json = rig.rollout({"pageservers", "--dry-run", "-o", "json"});
    REQUIRE(json.exit == 0);
    const Json plan = Json::parse(json.out);
    REQUIRE(plan["steps"].size() == 3);
    CHECK(plan["steps"][0] == Json{{"kind", "pageservers"},
                                   {"name", "pageserver-a-0"},
                                   {"workload", "pageserver-a"},
                                   {"node", 10},
                                   {"from_revision", "v1"},
                                   {"to_revision", "v2"},
                                   {"phase", "drain"},
                                   {"under_way", false},
                                   {"interrupts", false},
                                   {"remaining", "drain, delete the pod, wait until Ready and Active, fill"}});
    CHECK(plan["problems"] == Json::array());
    // A dry run reads only.
    CHECK(rig.kube.workloads().deleted_pods().empty());
    CHECK(rig.storcon_calls("PUT").empty());
    CHECK(rig.revisions() ==
          "pageserver-a-0=v1 pageserver-a-1=v1 pageserver-a-2=v1 safekeeper-a-0=v1 "
          "safekeeper-a-1=v1 safekeeper-a-2=v1");
  }

  TEST_CASE("rollout all: safekeepers one at a time, then each pageserver drained, restarted, filled" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-all", 3, 3, 12, 1);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    // A compute Deployment is still rolling when the command starts; it waits for it last.
    rig.kube.workloads().add_deployment("neon", "compute-app-dev", labels("compute-app-dev", "compute"), 1, 0, 0);
    rig.kube.workloads().finish_deployment_after("neon", "compute-app-dev", 3);
    const std::size_t before = rig.attached(10);
    REQUIRE(before == 4);

    auto r = rig.rollout({"all"});
    INFO(r.out, r.err);
    CHECK(r.exit == 0);
    CHECK(rig.revisions() ==
          "pageserver-a-0=v2 pageserver-a-1=v2 pageserver-a-2=v2 safekeeper-a-0=v2 "
          "safekeeper-a-1=v2 safekeeper-a-2=v2");
    // Safekeepers first, in node order; each pageserver deleted only once drained and empty.
    CHECK(rig.events == std::vector<std::string>{"delete safekeeper-a-0", "delete safekeeper-a-1",
                                                 "delete safekeeper-a-2", "delete pageserver-a-0 PauseForRestart 0",
                                                 "delete pageserver-a-1 PauseForRestart 0",
                                                 "delete pageserver-a-2 PauseForRestart 0"});
    CHECK(rig.storcon_calls("PUT") == std::vector<std::string>{"/control/v1/node/10/drain", "/control/v1/node/10/fill",
                                                               "/control/v1/node/11/drain", "/control/v1/node/11/fill",
                                                               "/control/v1/node/12/drain",
                                                               "/control/v1/node/12/fill"});
    for (std::uint64_t id : {10, 11, 12}) {
      CHECK(rig.storcon.node(id)["scheduling"] == "Active");
      CHECK(rig.storcon.node(id)["availability"] == "Active");
      CHECK(rig.attached(id) == 4);  // filled back to its share
    }
    CHECK(r.out.find("rollout plan:\n") == 0);
    CHECK(r.out.find("pageserver 11 (pod pageserver-a-1): restarted at revision v2") != std::string::npos);
    CHECK(r.out.find("7. computes: Deployment compute-app-dev: wait for its own rollout") != std::string::npos);
    CHECK(r.out.find("Deployment compute-app-dev: rolled out") != std::string::npos);
    CHECK(r.out.find("rollout finished: 7 steps") != std::string::npos);
    // Progress on standard error, as lines (not a terminal).
    CHECK(r.err.find("[4/7] pageserver 10 (pod pageserver-a-0)") != std::string::npos);
    CHECK(r.err.find("pageserver 10 (pod pageserver-a-0): until Ready and Active: pod terminating") !=
          std::string::npos);

    // Everything is current now: a second run has nothing to do and touches nothing.
    const auto puts = rig.storcon_calls("PUT").size();
    auto again = rig.rollout({"all"});
    CHECK(again.exit == 0);
    CHECK(again.out.find("nothing to roll out") != std::string::npos);
    CHECK(rig.storcon_calls("PUT").size() == puts);
  }

  TEST_CASE("rollout: a pod that never becomes Ready stops it; --resume finishes from the cluster's state" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-resume", 3, 3, 9, 1);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    rig.kube.workloads().stick("neon", "pageserver-a-1");

    auto failed = rig.rollout({"pageservers", "--timeout", "1s"});
    INFO(failed.out, failed.err);
    CHECK(failed.exit == 1);
    CHECK(failed.err.find("error: pageserver 11 (pod pageserver-a-1): timed out after 1s waiting until Ready and "
                          "Active (pod Running, not Ready)") != std::string::npos);
    CHECK(failed.err.find("`kubectl neon rollout pageservers --resume` continues it") != std::string::npos);
    CHECK(rig.revisions().find("pageserver-a-0=v2 pageserver-a-1=v2 pageserver-a-2=v1") == 0);
    CHECK(rig.storcon.node(11)["scheduling"] == "PauseForRestart");

    // Without --resume the half-done state is refused, with the node and its state named.
    auto refused = rig.rollout({"pageservers"});
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("error: pageserver 11 (pod pageserver-a-1) is restarting: a rollout (or a drain) is under "
                           "way; run again with --resume to continue it") != std::string::npos);
    CHECK(refused.out.find("1. pageserver 11 (pod pageserver-a-1, v2 -> v2): restarting; wait until Ready and "
                           "Active, fill") != std::string::npos);

    rig.kube.workloads().unstick("neon", "pageserver-a-1");
    auto resumed = rig.rollout({"pageservers", "--resume"});
    INFO(resumed.out, resumed.err);
    CHECK(resumed.exit == 0);
    CHECK(rig.revisions().find("pageserver-a-0=v2 pageserver-a-1=v2 pageserver-a-2=v2") == 0);
    // Node 11 was filled, node 12 went through the whole sequence; pageserver-a-1 was not deleted again.
    CHECK(rig.events == std::vector<std::string>{"delete pageserver-a-0 PauseForRestart 0",
                                                 "delete pageserver-a-1 PauseForRestart 0",
                                                 "delete pageserver-a-2 PauseForRestart 0"});
    CHECK(rig.attached(11) == 3);
    CHECK(rig.storcon.node(12)["scheduling"] == "Active");
  }

  TEST_CASE("rollout: resumes a pageserver left draining, and one left paused for restart" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-resume-states", 3, 0, 6, 1);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    rig.storcon.set_drain_polls(3);
    // An earlier run was cut off right after starting the drain of 10.
    REQUIRE(run_cli({"drain", "10", "--no-wait", "--storage-controller", rig.storcon.url()}, "", rig.env).exit == 0);
    auto r = rig.rollout({"pageservers", "--resume", "--dry-run"});
    CHECK(r.out.find("1. pageserver 10 (pod pageserver-a-0, v1 -> v2): draining; drain, delete the pod") !=
          std::string::npos);
    auto done = rig.rollout({"pageservers", "--resume"});
    INFO(done.err);
    CHECK(done.exit == 0);
    CHECK(rig.events.front() == "delete pageserver-a-0 PauseForRestart 0");
    CHECK(rig.revisions() == "pageserver-a-0=v2 pageserver-a-1=v2 pageserver-a-2=v2");
  }

  TEST_CASE("rollout: a drain that does not finish in --timeout stops before any pod is deleted" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-drain-timeout", 2, 0, 4, 1);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    rig.storcon.set_drain_polls(100000);
    auto r = rig.rollout({"pageservers", "--timeout", "500ms"});
    INFO(r.err);
    CHECK(r.exit == 1);
    CHECK(r.err.find("error: pageserver 10 (pod pageserver-a-0): timed out after 500ms waiting draining (Draining, 2 "
                     "attached shards left)") != std::string::npos);
    CHECK(r.err.find("rollout pageservers --resume") != std::string::npos);
    CHECK(rig.kube.workloads().deleted_pods().empty());
  }

  TEST_CASE("rollout: a drain that leaves shards without a secondary stops; --allow-interruption goes on" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-no-secondary", 2, 0, 2, 0);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    auto r = rig.rollout({"pageservers", "--node", "10"});
    INFO(r.err);
    CHECK(r.exit == 1);
    CHECK(r.err.find("error: pageserver 10 (pod pageserver-a-0): the drain left 1 shard attached") !=
          std::string::npos);
    CHECK(rig.kube.workloads().deleted_pods().empty());
    auto forced = rig.rollout({"pageservers", "--node", "10", "--resume", "--allow-interruption"});
    INFO(forced.err);
    CHECK(forced.exit == 0);
    CHECK(rig.events == std::vector<std::string>{"delete pageserver-a-0 PauseForRestart 1"});
  }

  TEST_CASE("rollout: the only pageserver is restarted only with --allow-interruption, without drain or fill" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-single", 1, 0, 2, 0);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    auto r = rig.rollout({"pageservers"});
    CHECK(r.exit == 1);
    CHECK(r.err.find("error: pageserver 10 (pod pageserver-a-0) is the only pageserver: its tenants have nowhere to "
                     "move while it restarts; run with --allow-interruption") != std::string::npos);
    auto ok = rig.rollout({"pageservers", "--allow-interruption"});
    INFO(ok.err);
    CHECK(ok.exit == 0);
    CHECK(rig.storcon_calls("PUT").empty());
    CHECK(rig.events == std::vector<std::string>{"delete pageserver-a-0 Active 2"});
    CHECK(rig.storcon.node(10)["availability"] == "Active");
  }

  TEST_CASE("rollout storage-controller: waits for the Deployment's own rollout, then for /ready" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-controller", 0, 0, 0, 0);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    // A new image: the old pod is still there (Recreate ends it first; HA surges a second one).
    rig.kube.workloads().set_deployment("neon", "storage-controller", 0, 1);
    rig.kube.workloads().finish_deployment_after("neon", "storage-controller", 4);
    // The new controller is not ready at first (neon-api.md 2.1: /ready is 503 until it leads).
    rig.storcon.add_fault({"GET", "/ready", neon::test::FakeStorcon::FaultKind::status, 503, "not ready", 2});
    auto plan = rig.rollout({"storage-controller", "--dry-run"});
    CHECK(plan.out ==
          "rollout plan:\n  1. storage-controller: Deployment storage-controller: wait for its own "
          "rollout (the Deployment restarts it), then for /ready\n");
    auto r = rig.rollout({"storage-controller"});
    INFO(r.err);
    CHECK(r.exit == 0);
    CHECK(r.err.find("Deployment storage-controller: for the Deployment's rollout: 0 of 1 replicas updated, 1 "
                     "available, 1 old") != std::string::npos);
    CHECK(r.err.find("Deployment storage-controller: for /ready: /ready answers 503") != std::string::npos);
    CHECK(rig.storcon_calls("GET") == std::vector<std::string>{"/ready", "/ready", "/ready"});
    CHECK(r.out.find("Deployment storage-controller: rolled out in") != std::string::npos);
  }

  TEST_CASE("rollout safekeepers: refused while the others could not keep a quorum" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Rig rig("rollout-quorum", 0, 3, 0, 0);
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    rig.new_image();
    // safekeeper-a-1 is down: restarting 10 would leave only 12 of {10, 11, 12}.
    rig.kube.workloads().stick("neon", "safekeeper-a-1");
    rig.kube.workloads().set_restart_lists(0, 0);
    nlohmann::json body;
    REQUIRE(rig.kube.workloads().delete_pod("neon", "safekeeper-a-1", body) == 200);
    rig.kube.workloads().list("PodList", "neon", "");  // re-created on v2, never Ready
    rig.events.clear();
    auto r = rig.rollout({"safekeepers", "--resume", "--timeout", "300ms"});
    INFO(r.err);
    CHECK(r.exit == 1);
    CHECK(r.err.find("safekeeper 11 (pod safekeeper-a-1): timed out") != std::string::npos);
    auto skip = rig.rollout({"safekeepers", "--node", "10"});
    CHECK(skip.exit == 1);
    CHECK(skip.err.find("error: safekeeper 10 (pod safekeeper-a-0): restarting safekeeper 10 now would leave every "
                        "timeline (computes are given every safekeeper) with 1 of its 3 safekeepers (10,11,12) up, "
                        "below its quorum of 2: safekeeper 11 not Ready") != std::string::npos);
    CHECK(rig.events.empty());
  }

  TEST_CASE("rollout: quorum per timeline when the controller tracks safekeeper sets") {
    using neon::cli::rollout::quorum_problem;
    const std::map<std::string, std::vector<std::uint64_t>> sets = {{"timeline app/main", {10, 11, 12}},
                                                                    {"timeline app/dev", {12, 13, 14}}};
    std::map<std::uint64_t, bool> up = {{10, true}, {11, true}, {12, true}, {13, true}, {14, false}};
    CHECK_FALSE(quorum_problem(10, sets, up));
    // 12 serves app/dev, where 14 is down: without 12 only 13 is left of three.
    CHECK(quorum_problem(12, sets, up) ==
          "restarting safekeeper 12 now would leave timeline app/dev with 1 of its 3 safekeepers (12,13,14) up, "
          "below its quorum of 2: safekeeper 14 not Ready");
    CHECK_FALSE(quorum_problem(15, sets, up));  // in no set
    // One safekeeper alone can never restart with its timeline kept.
    CHECK(quorum_problem(1, {{"t", {1}}}, {{1, true}}).has_value());
  }

  TEST_CASE("rollout: usage errors") {
    auto unknown = run_cli({"rollout", "pageserver"});
    CHECK(unknown.exit == 2);
    CHECK(unknown.err.find("unknown TARGET \"pageserver\": use pageservers, safekeepers, storage-controller, "
                           "computes or all (did you mean \"pageservers\"?)") != std::string::npos);
    auto node = run_cli({"rollout", "computes", "--node", "10"});
    CHECK(node.exit == 2);
    CHECK(node.err.find("--node names a pageserver or safekeeper") != std::string::npos);
    auto json = run_cli({"rollout", "all", "-o", "json"});
    CHECK(json.exit == 2);
    CHECK(json.err.find("-o json prints the plan: use it with --dry-run") != std::string::npos);
    auto timeout = run_cli({"rollout", "all", "--timeout", "soon"});
    CHECK(timeout.exit == 2);
    auto none = run_cli({"rollout"});
    CHECK(none.exit == 2);
  }
}
