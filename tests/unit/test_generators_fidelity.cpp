// The generated cluster as Neon itself expects it (commit 6a35a3e9f149), not as our fakes do:
// one storage broker, Neon's HA model for the storage controller, read replicas that stream WAL,
// one compute ID per replica, compute_ctl reachable before Postgres is ready, IPv6, node ids on
// any Kubernetes version, and storage auth on every port. Each case names the Neon source.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "generators/compute.hpp"
#include "generators/computes.hpp"
#include "generators/names.hpp"
#include "generators/pageserver.hpp"
#include "generators/safekeeper.hpp"
#include "generators/storage_broker.hpp"
#include "generators/storage_controller.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/resources.hpp"
#include "tests/support/run.hpp"

using namespace neon::gen;
using neon::test::of_kind;

namespace {

using neon::test::replaced;

std::string starter_text(const std::string& name) {
  return neon::test::read_text(neon::test::source_dir() / "schemas" / "starters" / (name + ".yaml"));
}

ValidSpec load_text(const std::string& text) {
  auto loaded = load_spec(text, "spec.yaml");
  for (const auto& d : loaded.diagnostics) {
    MESSAGE(format_diagnostic(d));
  }
  REQUIRE(loaded.spec.has_value());
  return *loaded.spec;
}

const Json& container(const Json& workload) { return workload["spec"]["template"]["spec"]["containers"][0]; }

bool has_arg(const Json& args, const std::string& arg) {
  return std::find(args.begin(), args.end(), Json(arg)) != args.end();
}

std::string setting(const Json& compute, const std::string& name) {
  for (const auto& s : compute["settings"]) {
    if (s["name"] == name) {
      return s["value"].get<std::string>();
    }
  }
  return {};
}

std::string vartype(const Json& compute, const std::string& name) {
  for (const auto& s : compute["settings"]) {
    if (s["name"] == name) {
      return s["vartype"].get<std::string>();
    }
  }
  return {};
}

}  // namespace

TEST_SUITE("fidelity") {
  TEST_CASE(
      "storage broker: exactly one, Recreate, a PDB that never blocks a drain "
      "(storage_broker/src/bin/storage_broker.rs:356-361)") {
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      const auto set = generate_storage_broker(load_text(starter_text(name)));
      const Json d = of_kind(set, "Deployment").at(0);
      CHECK(d["spec"]["replicas"] == 1);
      CHECK(d["spec"]["strategy"]["type"] == "Recreate");
      const Json pdb = of_kind(set, "PodDisruptionBudget").at(0);
      CHECK(pdb["spec"]["maxUnavailable"] == 1);
      CHECK_FALSE(pdb["spec"].contains("minAvailable"));
    }
  }

  TEST_CASE(
      "storage controller ha: one instance plus a surge pod, candidates, probes that spare a non-leader "
      "(storage_controller/src/http.rs:1637-1654, leadership.rs:47-64, rfcs/037:72-75)") {
    const auto prod = load_text(starter_text("prod"));
    REQUIRE(prod->storage_controller.ha);
    const Json d = of_kind(generate_storage_controller(prod), "Deployment").at(0);
    CHECK(d["spec"]["replicas"] == 1);
    CHECK(d["spec"]["strategy"] ==
          Json{{"type", "RollingUpdate"}, {"rollingUpdate", Json{{"maxSurge", 1}, {"maxUnavailable", 0}}}});
    const Json& c = container(d);
    CHECK(has_arg(c["args"], "--start-as-candidate"));
    CHECK(has_arg(c["args"], "--address-for-peers=http://$(POD_IP):1234"));
    CHECK(c["livenessProbe"]["httpGet"]["path"] == "/status");
    CHECK(c["readinessProbe"]["httpGet"]["path"] == "/ready");
    CHECK(c["startupProbe"]["httpGet"]["path"] == "/status");
    CHECK(d.dump().find("/live") == std::string::npos);

    const auto single = load_text(replaced(starter_text("prod"), "ha: true", "ha: false"));
    const Json s = of_kind(generate_storage_controller(single), "Deployment").at(0);
    CHECK(s["spec"]["replicas"] == 1);
    CHECK(s["spec"]["strategy"]["type"] == "Recreate");
    CHECK_FALSE(has_arg(container(s)["args"], "--start-as-candidate"));
  }

  TEST_CASE(
      "read replicas: one compute each, streaming WAL from the safekeepers "
      "(compute_tools/src/config.rs:204-216, control_plane/src/endpoint.rs:539-571)") {
    auto text = replaced(starter_text("prod"), "readReplicas: 1", "readReplicas: 3");
    const auto spec = load_text(text);
    const auto set = generate_computes(spec);
    std::set<std::string> deployments;
    for (const auto& d : of_kind(set, "Deployment")) {
      deployments.insert(d["metadata"]["name"].get<std::string>());
      CHECK(d["spec"]["replicas"] == 1);
    }
    CHECK(deployments == std::set<std::string>{"compute-app-main", "compute-app-main-ro-0", "compute-app-main-ro-1",
                                               "compute-app-main-ro-2"});
    // Each compute's own Service publishes the pod before it is Ready: compute_ctl waits for its
    // spec before Postgres starts, and the hook must reach port 3080 then.
    std::set<std::string> services;
    for (const auto& svc : of_kind(set, "Service")) {
      const std::string name = svc["metadata"]["name"];
      services.insert(name);
      CHECK(svc["spec"].value("publishNotReadyAddresses", false) == (name != "compute-app-main-ro"));
    }
    CHECK(services.count("compute-app-main-ro") == 1);
    CHECK(services.size() == 5);

    const Json doc = computes_config(spec);
    std::vector<Json> replicas;
    std::set<std::string> ids;
    std::set<std::string> addresses;
    for (const auto& c : doc["computes"]) {
      CHECK(ids.insert(c["compute_id"].get<std::string>()).second);
      CHECK(addresses.insert(c["address"].get<std::string>()).second);
      if (c["mode"] == "replica") {
        replicas.push_back(c);
      }
    }
    REQUIRE(replicas.size() == 3);
    const Json& r = replicas[1];
    CHECK(r["compute_id"] == "app-main-ro-1");
    CHECK(r["address"] == "compute-app-main-ro-1.neon.svc.cluster.local:3080");
    const std::string tenant = r["tenant_id"];
    const std::string timeline = r["timeline_id"];
    const std::string conninfo = setting(r, "primary_conninfo");
    CHECK(conninfo.rfind("host=safekeeper-", 0) == 0);
    for (const auto& sk : doc["safekeepers"]) {
      const std::string hostport = sk;
      CHECK(conninfo.find(hostport.substr(0, hostport.find(':'))) != std::string::npos);
    }
    CHECK(conninfo.find(" port=5454,5454,5454 ") != std::string::npos);
    CHECK(conninfo.find("options='-c timeline_id=" + timeline + " tenant_id=" + tenant + "'") != std::string::npos);
    CHECK(conninfo.find("application_name=replica replication=true") != std::string::npos);
    CHECK(vartype(r, "primary_conninfo") == "string");  // compute_ctl quotes it (pg_helpers.rs:49-52)
    CHECK(setting(r, "primary_slot_name") == "repl_" + timeline + "_");
    CHECK(setting(r, "hot_standby") == "on");
    CHECK(setting(r, "recovery_prefetch") == "off");  // PG15+ only
    CHECK(setting(r, "synchronous_standby_names").empty());
    const Json& primary = doc["computes"][0];
    CHECK(primary["mode"] == "primary");
    CHECK(setting(primary, "primary_conninfo").empty());
    CHECK(primary["address"] == "compute-app-main.neon.svc.cluster.local:3080");

    const auto pg14 =
        load_text(replaced(replaced(replaced(text, "pgVersion: 17", "pgVersion: 14"), "\"17\": ", "\"14\": "),
                           "compute-node-v17", "compute-node-v14"));
    const Json pg14_doc = computes_config(pg14);
    for (const auto& c : pg14_doc["computes"]) {
      CHECK(setting(c, "recovery_prefetch").empty());
    }
  }

  TEST_CASE("the computes file is one type: what the generator writes, parse_computes reads back unchanged") {
    // The hook (hook serve --computes) and bootstrap compute read the same ComputesFile the
    // generator builds; a field the reader drops or renames fails here.
    std::vector<std::string> texts = {starter_text("dev"), starter_text("prod")};
    for (const char* example : {"dev-minio-argocd", "prod-3zones-sharded"}) {  // branches with parents
      texts.push_back(
          neon::test::read_text(neon::test::source_dir() / "schemas" / "examples" / (std::string(example) + ".yaml")));
    }
    for (const auto& text : texts) {
      const auto spec = load_text(text);
      const Json written = computes_config(spec);
      auto read = parse_computes(written.dump());
      REQUIRE_MESSAGE(read, read.error().message);
      CHECK(to_json(*read) == written);
      CHECK(read->computes.size() >= 1);
      CHECK(read->projects.size() >= 1);
    }
    auto bad = parse_computes(R"({"computes":[{"compute_id":"a"}]})", "/etc/neon/computes.json");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "/etc/neon/computes.json: computes[0].address: required string");
    CHECK(bad.error().kind == neon::ErrorKind::invalid);
  }

  TEST_CASE(
      "node ids without the pod-index label: safekeepers read safekeeper.id "
      "(safekeeper/src/bin/safekeeper.rs:788-830)") {
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      for (const auto& sts : of_kind(generate_safekeepers(load_text(starter_text(name))), "StatefulSet")) {
        const std::string text = sts.dump();
        CHECK(text.find("apps.kubernetes.io/pod-index") == std::string::npos);
        CHECK(text.find("NODE_ID") == std::string::npos);
        const Json& init = sts["spec"]["template"]["spec"]["initContainers"][0];
        CHECK(init["args"][1] == "safekeeper");
        CHECK(has_arg(init["args"], "--data-dir"));
      }
    }
  }

  TEST_CASE(
      "auth on means auth on every port: page service, WAL port, peers "
      "(libs/pageserver_api/src/config.rs:208-210, safekeeper/src/auth.rs:7-36)") {
    const auto prod = load_text(starter_text("prod"));
    for (const auto& cm : of_kind(generate_pageservers(prod), "ConfigMap")) {
      const std::string toml = cm["data"]["pageserver.toml"];
      CHECK(toml.find("pg_auth_type = \"NeonJWT\"\n") != std::string::npos);
      CHECK(toml.find("http_auth_type = \"NeonJWT\"\n") != std::string::npos);
    }
    for (const auto& sts : of_kind(generate_safekeepers(prod), "StatefulSet")) {
      const Json& c = container(sts);
      CHECK(has_arg(c["args"], "--pg-auth-public-key-path=/etc/neon/auth"));
      CHECK(has_arg(c["args"], "--auth-token-path=/etc/neon/token/safekeeper"));
      const Json& volumes = sts["spec"]["template"]["spec"]["volumes"];
      const bool token_volume = std::any_of(volumes.begin(), volumes.end(), [](const Json& v) {
        return v["name"] == "peer-token" && v["secret"]["items"][0]["key"] == names::k_token_safekeeper;
      });
      CHECK(token_volume);
    }
    const auto dev = load_text(starter_text("dev"));
    for (const auto& cm : of_kind(generate_pageservers(dev), "ConfigMap")) {
      CHECK(cm["data"]["pageserver.toml"].get<std::string>().find("auth_type") == std::string::npos);
    }
  }

  TEST_CASE("IPv6: listeners on [::], pod IPs in brackets in URLs") {
    const auto v6 = load_text(replaced(starter_text("prod"), "profile: prod", "profile: prod\n  ipFamily: IPv6"));
    REQUIRE(v6->ip_family == IpFamily::ipv6);
    const Json sc = container(of_kind(generate_storage_controller(v6), "Deployment").at(0));
    CHECK(has_arg(sc["args"], "--listen=[::]:1234"));
    CHECK(has_arg(sc["args"], "--address-for-peers=http://[$(POD_IP)]:1234"));
    CHECK(has_arg(container(of_kind(generate_storage_broker(v6), "Deployment").at(0))["args"],
                  "--listen-addr=[::]:50051"));
    for (const auto& sts : of_kind(generate_safekeepers(v6), "StatefulSet")) {
      CHECK(has_arg(container(sts)["args"], "--listen-pg=[::]:5454"));
      CHECK(has_arg(container(sts)["args"], "--listen-http=[::]:7676"));
    }
    const std::string toml = of_kind(generate_pageservers(v6), "ConfigMap").at(0)["data"]["pageserver.toml"];
    CHECK(toml.find("listen_pg_addr = \"[::]:6400\"") != std::string::npos);
    CHECK(setting(computes_config(v6)["computes"][0], "listen_addresses") == "*");

    const auto v4 = load_text(starter_text("prod"));
    CHECK(has_arg(container(of_kind(generate_storage_controller(v4), "Deployment").at(0))["args"],
                  "--listen=0.0.0.0:1234"));
    CHECK(names::url_host(*&v4.spec(), "fd00::1") == "[fd00::1]");
    CHECK(names::url_host(*&v4.spec(), "$(POD_IP)") == "$(POD_IP)");
  }
}
