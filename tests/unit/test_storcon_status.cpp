// status: pod readiness per component from the Kubernetes API next to the controller's view.
#include <doctest/doctest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "generators/embedded.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/commands/storcon_status.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

using Json = nlohmann::json;
using neon::test::run_cli;

const std::string k_tenant = "294ca7a45747bee9a5a893416ee7ad81";

void small_cluster(neon::test::FakeStorcon& fake) {
  fake.add_node(11, "az-a");
  fake.add_safekeeper(11, "az-a");
  fake.add_tenant(k_tenant, 1, 0);
}

std::map<std::string, std::string> component(const std::string& name) {
  return {
      {"app.kubernetes.io/name", name}, {"app.kubernetes.io/component", name}, {"app.kubernetes.io/part-of", "neon"}};
}

/// A kubeconfig for `kube` with token kube-token and namespace neon.
void write_kubeconfig(const std::filesystem::path& path, const neon::test::FakeKubeApi& kube,
                      const neon::test::TestPki& pki) {
  neon::test::write_text(
      path, fmt::format("apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: c\n  cluster:\n"
                        "    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n"
                        "    token: kube-token\ncontexts:\n- name: k\n  context:\n    cluster: c\n    user: u\n"
                        "    namespace: neon\n",
                        kube.url(), neon::cli::kube::base64_encode(neon::test::read_text(pki.ca_crt))));
}

}  // namespace

TEST_SUITE("storcon status") {
  TEST_CASE("status: component pod readiness from the API server, unready pods degrade health" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    neon::test::ScratchDir dir("status-pods");
    neon::test::TestPki pki(dir.path());
    REQUIRE_MESSAGE(pki.ok, pki.error);
    neon::test::FakeKubeApi kube(pki, neon::test::FakeKubeOptions{"kube-token", false, ""});
    REQUIRE(kube.running());
    kube.add_pod("neon", "pageserver-0", component("pageserver"), "Running", true);
    kube.add_pod("neon", "pageserver-1", component("pageserver"), "Running", false);
    kube.add_pod("neon", "safekeeper-0", component("safekeeper"), "Running", true);
    kube.add_pod("neon", "unrelated-0", {{"app", "other"}}, "Running", false);
    kube.add_pod("other", "pageserver-0", component("pageserver"), "Running", false);
    write_kubeconfig(dir / "kubeconfig", kube, pki);
    neon::test::FakeStorcon fake;
    small_cluster(fake);
    const std::map<std::string, std::string> env = {{"KUBECONFIG", (dir / "kubeconfig").string()}};

    auto json = run_cli({"status", "-o", "json", "--storage-controller", fake.url()}, "", env);
    INFO(json.err);
    CHECK(json.exit == 1);
    auto doc = Json::parse(json.out);
    CHECK(doc["components"] ==
          Json{{"asleep", Json::array()},
               {"available", true},
               {"namespace", "neon"},
               {"restart_pending", Json::array()},
               {"waking", Json::array()},
               {"items", Json::array({Json{{"component", "pageserver"}, {"ready", 1}, {"pods", 2}},
                                      Json{{"component", "safekeeper"}, {"ready", 1}, {"pods", 1}}})}});
    CHECK(doc["health"]["problems"] == Json::array({"pageserver: 1/2 pods ready"}));

    auto table = run_cli({"status", "--storage-controller", fake.url()}, "", env);
    CHECK(table.exit == 1);
    CHECK(table.out.find("COMPONENT") != std::string::npos);
    CHECK(table.out.find("degraded: 1 pageserver, 1 safekeeper, 1 tenant; 1 problem") != std::string::npos);
    CHECK(table.err.find("warning: pageserver: 1/2 pods ready") != std::string::npos);
  }

  TEST_CASE("status: pods of an OnDelete StatefulSet on an older revision are listed as restart pending" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    neon::test::ScratchDir dir("status-revisions");
    neon::test::TestPki pki(dir.path());
    REQUIRE_MESSAGE(pki.ok, pki.error);
    neon::test::FakeKubeApi kube(pki, neon::test::FakeKubeOptions{"kube-token", false, ""});
    REQUIRE(kube.running());
    auto with_revision = [](std::map<std::string, std::string> labels, const std::string& revision) {
      labels["controller-revision-hash"] = revision;
      return labels;
    };
    // A new image reached the StatefulSet (updateRevision v2); pageserver-1 was restarted, -0 not.
    kube.add_statefulset("neon", "pageserver", component("pageserver"), "OnDelete", "pageserver-v2");
    kube.add_pod("neon", "pageserver-0", with_revision(component("pageserver"), "pageserver-v1"), "Running", true);
    kube.add_pod("neon", "pageserver-1", with_revision(component("pageserver"), "pageserver-v2"), "Running", true);
    // A RollingUpdate StatefulSet rolls by itself: never listed.
    kube.add_statefulset("neon", "storage-broker", component("storage-broker"), "RollingUpdate", "b-v2");
    kube.add_pod("neon", "storage-broker-0", with_revision(component("storage-broker"), "b-v1"), "Running", true);
    write_kubeconfig(dir / "kubeconfig", kube, pki);
    neon::test::FakeStorcon fake;
    small_cluster(fake);
    const std::map<std::string, std::string> env = {{"KUBECONFIG", (dir / "kubeconfig").string()}};
    auto json = run_cli({"status", "-o", "json", "--storage-controller", fake.url()}, "", env);
    INFO(json.err);
    const auto doc = Json::parse(json.out);
    CHECK(doc["components"]["restart_pending"] ==
          Json::array({"pod pageserver-0 runs revision pageserver-v1, StatefulSet pageserver is at pageserver-v2: "
                       "`kubectl neon rollout pageservers` restarts it safely"}));
    auto table = run_cli({"status", "--storage-controller", fake.url()}, "", env);
    CHECK(table.err.find("restart pending: pod pageserver-0 runs revision pageserver-v1") != std::string::npos);
    CHECK(table.err.find("storage-broker-0") == std::string::npos);
  }

  TEST_CASE("status: with no URL given, reaches the controller through the API server's service proxy" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    neon::test::ScratchDir dir("status-proxy");
    neon::test::TestPki pki(dir.path());
    REQUIRE_MESSAGE(pki.ok, pki.error);
    neon::test::FakeStorcon fake;
    small_cluster(fake);
    neon::test::FakeKubeApi kube(pki, neon::test::FakeKubeOptions{"kube-token", false, fake.url()});
    REQUIRE(kube.running());
    write_kubeconfig(dir / "kubeconfig", kube, pki);
    const std::map<std::string, std::string> env = {{"KUBECONFIG", (dir / "kubeconfig").string()},
                                                    {"NEON_STORAGE_CONTROLLER_URL", ""}};
    auto r = run_cli({"status", "-o", "json"}, "", env);
    INFO(r.err);
    REQUIRE(r.exit != 3);
    auto doc = Json::parse(r.out);
    CHECK(doc["pageservers"].size() == 1);
    CHECK(doc["pageservers"][0]["id"] == 11);
    bool proxied = false;
    for (const auto& req : kube.requests()) {
      if (req.target.rfind("/api/v1/namespaces/neon/services/http:storage-controller:1234/proxy/control/v1/node", 0) ==
          0) {
        proxied = true;
        CHECK(req.authorization == "Bearer kube-token");
      }
    }
    CHECK(proxied);
  }

  TEST_CASE("status: no kubeconfig, the controller's view alone with a note") {
    neon::test::ScratchDir dir("status-no-kube");
    neon::test::FakeStorcon fake;
    small_cluster(fake);
    auto res = run_cli({"status", "-o", "json", "--storage-controller", fake.url()}, "",
                       {{"KUBECONFIG", (dir / "missing").string()}});
    INFO(res.err);
    CHECK(res.exit == 0);
    auto doc = Json::parse(res.out);
    CHECK(doc["components"]["available"] == false);
    CHECK(doc["components"]["note"].get<std::string>().rfind("pod readiness skipped: ", 0) == 0);
    CHECK(doc["health"]["status"] == "healthy");
    auto table =
        run_cli({"status", "--storage-controller", fake.url()}, "", {{"KUBECONFIG", (dir / "missing").string()}});
    CHECK(table.exit == 0);
    // A note: on standard error, apart from the data.
    CHECK(table.out.find("pod readiness skipped") == std::string::npos);
    CHECK(table.err.find("note: pod readiness skipped: ") != std::string::npos);
    CHECK(res.err.find("note: pod readiness skipped: ") != std::string::npos);
  }

  TEST_CASE("status --watch screen: time and summary first, notes, tenants cut to the height") {
    neon::cli::status::Snapshot snap;
    snap.nodes.push_back(neon::cli::storcon::Node{11, "Offline", "Active", "az-a", "ps-0", 9898, "ps-0", 6400});
    for (int i = 0; i < 50; ++i) {
      neon::cli::storcon::Tenant t;
      t.tenant_id = fmt::format("{:032x}", i + 1);
      neon::cli::storcon::Shard sh;
      sh.tenant_shard_id = t.tenant_id;
      sh.node_attached = 11;
      t.shards.push_back(sh);
      t.policy = Json{{"Attached", 0}};
      snap.tenants.push_back(t);
    }
    neon::cli::status::Components components;
    components.note = "pod readiness skipped: no kubeconfig";
    const auto health = neon::cli::status::assess(snap, components, {});
    const neon::cli::status::WatchHeader header{"2025-01-02 03:04:05 UTC", "http://storcon:1234", "2s"};
    const std::string screen = neon::cli::status::watch_screen(header, snap, health, components, {}, false, 24);
    std::vector<std::string> lines;
    std::istringstream in(screen);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    CHECK(lines.size() == 23);  // the last row stays for the cursor
    REQUIRE(lines.size() > 3);
    CHECK(lines[0] == "Every 2s: http://storcon:1234    2025-01-02 03:04:05 UTC");
    CHECK(lines[1] == "degraded: 1 pageserver, 0 safekeepers, 50 tenants; 1 problem");
    CHECK(lines[2] == "warning: pageserver 11 is Offline");
    CHECK(lines[3] == "note: pod readiness skipped: no kubeconfig");
    CHECK(lines.back().rfind("... ", 0) == 0);
    CHECK(lines.back().find("more tenants not shown") != std::string::npos);
    CHECK(screen.find("TENANT") != std::string::npos);
    // Tall enough: everything, no cut line.
    const std::string all = neon::cli::status::watch_screen(header, snap, health, components, {}, false, 200);
    CHECK(all.find("not shown") == std::string::npos);
    CHECK(all.find(fmt::format("{:032x}", 50)) != std::string::npos);
    // No terminal: no cut.
    CHECK(neon::cli::status::watch_screen(header, snap, health, components, {}, false, std::nullopt) == all);
  }

  TEST_CASE("status: reads ./neon.yaml without -f and reports Flux's Git Secret and the ServiceMonitor CRD" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    neon::test::ScratchDir dir("status-prereqs");
    neon::test::TestPki pki(dir.path());
    REQUIRE_MESSAGE(pki.ok, pki.error);
    std::string spec(*neon::gen::embedded("schemas/starters/dev.yaml"));
    for (const auto& [from, to] : {std::pair<std::string, std::string>{
                                       "  gitops:\n    target: none\n",
                                       "  gitops:\n    target: flux\n    repoURL: git@github.com:acme/gitops.git\n"},
                                   {"  monitoring:\n    enabled: false\n", "  monitoring:\n    enabled: true\n"}}) {
      const auto at = spec.find(from);
      REQUIRE(at != std::string::npos);
      spec.replace(at, from.size(), to);
    }
    neon::test::write_text(dir / "neon.yaml", spec);
    neon::test::FakeStorcon fake;
    small_cluster(fake);
    const auto run = [&](const neon::test::FakeKubeApi& kube) {
      neon::test::write_text(
          dir / "kubeconfig",
          fmt::format("apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: c\n  cluster:\n"
                      "    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n"
                      "    token: kube-token\ncontexts:\n- name: k\n  context:\n    cluster: c\n    user: u\n",
                      kube.url(), neon::cli::kube::base64_encode(neon::test::read_text(pki.ca_crt))));
      return neon::test::run_process({NEON_BINARY, "status", "--storage-controller", fake.url()}, dir.path(),
                                     {{"KUBECONFIG", (dir / "kubeconfig").string()}});
    };
    {
      neon::test::FakeKubeApi kube(pki, neon::test::FakeKubeOptions{"kube-token", false, ""});
      const auto r = run(kube);
      INFO(r.err);
      CHECK(r.exit == 1);
      CHECK(r.out.find("tenant") != std::string::npos);
      CHECK(r.err.find("warning: Flux's Git Secret flux-system/neon-dev-git is missing") != std::string::npos);
      CHECK(r.err.find("warning: CRD servicemonitors.monitoring.coreos.com is missing") != std::string::npos);
      // The spec's namespace (not the context's default) is where the pods were looked for.
      bool listed = false;
      for (const auto& req : kube.requests()) {
        listed = listed || req.target.rfind("/api/v1/namespaces/neon/pods", 0) == 0;
      }
      CHECK(listed);
    }
    {
      neon::test::FakeKubeApi kube(pki, neon::test::FakeKubeOptions{"kube-token", false, ""});
      kube.add_crd("servicemonitors.monitoring.coreos.com");
      const auto r = run(kube);
      INFO(r.err);
      CHECK(r.err.find("note: CRD servicemonitors.monitoring.coreos.com exists") != std::string::npos);
      CHECK(r.err.find("CRD servicemonitors.monitoring.coreos.com is missing") == std::string::npos);
    }
  }
}
