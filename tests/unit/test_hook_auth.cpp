// The compute hook's credentials: its signing key outlives it (compute_ctl fixes the keys it
// accepts at start), the controller reaches it with a token of its own, and with storage auth on
// every compute spec carries a tenant-scoped storage_auth_token the hook mints.
#include <doctest/doctest.h>

#include <ctime>
#include <filesystem>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "plugin/clients/jwt.hpp"
#include "tests/support/run.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;
using neon::test::read_text;
using neon::test::run_cli;
using neon::test::ScratchDir;
using neon::test::write_text;
namespace fs = std::filesystem;
namespace jwt = neon::cli::jwt;

using SecretData = std::map<std::string, std::string>;

/// `secrets init -o yaml` for the dev example with auth on (and the three safekeepers auth needs):
/// Secret name -> stringData.
std::map<std::string, SecretData> init_secrets_with_auth() {
  std::string text = read_text(fs::path(NEON_SOURCE_DIR) / "schemas/examples/dev-minio-argocd.yaml");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"    auth:\n      enabled: false\n",
            "    auth:\n      enabled: true\n      keySecret: neon-auth-public-key\n"
            "      tokenSecret: neon-auth-tokens\n"},
           {"  safekeepers:\n    count: 1\n", "  safekeepers:\n    count: 3\n"}}) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  ScratchDir dir("hook-auth-secrets");
  write_text(dir / "spec.yaml", text);
  auto r = run_cli({"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml"});
  REQUIRE_MESSAGE(r.exit == 0, r.err);
  std::map<std::string, SecretData> out;
  for (const auto& d : YAML::LoadAll(r.out)) {
    out[d["metadata"]["name"].as<std::string>()] = d["stringData"].as<SecretData>();
  }
  return out;
}

std::string primary_conninfo() {
  return "host=safekeeper-0.safekeeper,safekeeper-1.safekeeper port=5454,5454 options='-c "
         "timeline_id=" +
         k_timeline + " tenant_id=" + k_tenant + "' application_name=replica replication=true";
}

Json setting(const Json& spec, const std::string& name) {
  for (const Json& s : spec["cluster"]["settings"]) {
    if (s["name"] == name) {
      return s;
    }
  }
  return Json();
}

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("hook serve refuses to start without its signing key and names the Secret") {
    ScratchDir dir("hook-no-key");
    write_text(dir / "computes.json", R"({"computes":[]})");
    write_text(dir / "bad.pem", "not a key\n");
    // An address that cannot be bound: a hook that went on without a key would fail there instead.
    const std::vector<std::string> args{"hook",     "serve",      "--computes", (dir / "computes.json").string(),
                                        "--listen", "192.0.2.1:1"};
    for (const std::string& file : {std::string(), (dir / "missing.pem").string(), (dir / "bad.pem").string()}) {
      CAPTURE(file);
      auto r = run_cli(args, "", {{"NEON_HOOK_SIGNING_KEY_FILE", file}});
      CHECK(r.exit == 1);
      CHECK(r.err.find(file.empty() ? "NEON_HOOK_SIGNING_KEY_FILE is not set" : "NEON_HOOK_SIGNING_KEY_FILE: ") !=
            std::string::npos);
      CHECK(r.err.find("spec.storageController.auth.computeSigningSecret") != std::string::npos);
      CHECK(r.err.find("private.pem") != std::string::npos);
      CHECK(r.err.find("kubectl neon secrets init") != std::string::npos);
      CHECK(r.err.find("cannot listen") == std::string::npos);
    }
  }

  TEST_CASE("a restarted hook with the same key configures a running compute; a foreign key gets 401") {
    const std::string key = new_key();
    FakeStorcon storcon;
    storcon.add_node(1, "az-a");
    storcon.add_tenant(k_tenant);
    const std::vector<ComputeDef> defs{{"app-main", k_tenant, k_timeline}};
    std::vector<std::unique_ptr<FakeComputeCtl>> computes;
    computes.push_back(std::make_unique<FakeComputeCtl>("app-main"));
    FakeComputeCtl& compute = *computes[0];
    auto options = [&](const std::string& signing) {
      HookOptions o = hook_options(defs, computes, storcon.url());
      o.signing_key_pem = signing;
      return o;
    };
    {
      RunningHook first(options(key));
      const auto fetched =
          compute.fetch_spec(first.url(), compute_token("app-main"));  // the compute starts: its keys are fixed now
      REQUIRE_MESSAGE(fetched.ok, fetched.error);
    }
    {
      RunningHook restarted(options(key));
      storcon.set_control_plane(restarted.url() + "/", "test-control-plane-token");
      CHECK(storcon.notify_attach(k_tenant) == 200);
      CHECK(compute.specs().size() == 1);
      CHECK(compute.rejected() == 0);
    }
    {
      // What a hook that made a key of its own at start would meet.
      RunningHook foreign(options(new_key()));
      storcon.set_control_plane(foreign.url() + "/", "test-control-plane-token");
      CHECK(storcon.notify_attach(k_tenant) == 500);
      CHECK(compute.rejected() == 1);
      CHECK(compute.last_rejection() == Json{{"error", "failed to verify authorization token"}});
      CHECK(compute.specs().size() == 1);
    }
  }

  TEST_CASE("the Secrets of secrets init: the hook takes only the control-plane token and mints tenant tokens") {
    auto secrets = init_secrets_with_auth();
    const std::string public_pem = secrets.at("neon-auth-public-key").at("public.pem");
    const SecretData& tokens = secrets.at("neon-auth-tokens");
    const std::string control_plane = secrets.at("neon-compute-hook-tokens").at("control-plane");
    const std::string admin = tokens.at("admin");
    CHECK(control_plane != admin);
    CHECK_FALSE(jwt::verify(control_plane, public_pem, 0));

    std::ostringstream log;
    ClusterOptions o;
    o.token = control_plane;
    o.signing_key_pem = secrets.at("neon-compute-hook-key").at("private.pem");
    o.storage_key_pem = secrets.at("neon-storage-signing-key").at("private.pem");
    o.log = &log;
    const Json replica_settings =
        Json::array({Json{{"name", "primary_conninfo"}, {"value", primary_conninfo()}, {"vartype", "string"}},
                     Json{{"name", "hot_standby"}, {"value", "on"}, {"vartype", "bool"}}});
    Cluster cluster({{"app-main", k_tenant, k_timeline},
                     {"app-main-ro", k_tenant, k_timeline, "replica", replica_settings},
                     {"big-main", k_sharded, k_timeline2}},
                    o);
    cluster.storcon.add_tenant(k_tenant);
    cluster.storcon.add_tenant(k_sharded);

    const std::string body = cluster.storcon.notify_attach_body(k_tenant).dump();
    CHECK(cluster.put("/notify-attach", body, admin) == 403);
    CHECK(cluster.put("/notify-safekeepers", "{}", admin) == 403);
    CHECK(cluster.put("/notify-attach", body, k_no_token) == 401);
    CHECK(cluster.computes[0]->requests() == 0);
    REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);  // with the control-plane token
    REQUIRE(cluster.storcon.notify_attach(k_sharded) == 200);

    std::map<std::string, std::string> by_tenant;
    for (std::size_t i = 0; i < cluster.computes.size(); ++i) {
      const Json spec = cluster.computes[i]->specs().back();
      const std::string tenant = spec["tenant_id"];
      REQUIRE(spec["storage_auth_token"].is_string());
      const std::string token = spec["storage_auth_token"];
      auto claims = jwt::verify(token, public_pem, static_cast<std::int64_t>(std::time(nullptr)));
      REQUIRE_MESSAGE(claims, (claims ? std::string() : claims.error().message));
      CHECK(*claims == Json{{"scope", "tenant"}, {"tenant_id", tenant}});
      auto header = jwt::base64url_decode(token.substr(0, token.find('.')));
      REQUIRE(header);
      CHECK(Json::parse(*header)["alg"] == "EdDSA");
      CHECK(Json::parse(*header)["kid"] == *jwt::key_id(public_pem));  // names the key during a rotation
      if (by_tenant.count(tenant) != 0) {
        CHECK(by_tenant[tenant] == token);  // one token per tenant, the same for each of its computes
      }
      by_tenant[tenant] = token;
      CHECK(log.str().find(token) == std::string::npos);
    }
    CHECK(by_tenant.size() == 2);
    CHECK(by_tenant[k_tenant] != by_tenant[k_sharded]);

    const Json replica = cluster.computes[1]->specs().back();
    CHECK(setting(replica, "primary_conninfo")["value"] == primary_conninfo() + " password=" + by_tenant[k_tenant]);
    CHECK(setting(replica, "hot_standby")["value"] == "on");
    CHECK(setting(cluster.computes[0]->specs().back(), "primary_conninfo").is_null());

    // A starting compute gets the same token in its spec: minted once, deterministic.
    auto res = cluster.get_spec("app-main-ro");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const Json fetched = Json::parse(res->body)["spec"];
    CHECK(fetched["storage_auth_token"] == by_tenant[k_tenant]);
    CHECK(setting(fetched, "primary_conninfo")["value"] == primary_conninfo() + " password=" + by_tenant[k_tenant]);
  }

  TEST_CASE("a compute_ctl answer quoting the storage token is redacted before it is logged") {
    CHECK(neon::cli::hook::redact("a tok b tok", "tok") == "a <redacted> b <redacted>");
    CHECK(neon::cli::hook::redact("a tok", "") == "a tok");
  }

  TEST_CASE("without a storage signing key the spec carries no storage token") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    cluster.storcon.add_tenant(k_tenant);
    REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);
    CHECK_FALSE(cluster.computes[0]->specs().back().contains("storage_auth_token"));
  }
}
