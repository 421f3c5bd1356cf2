// Least-privilege storage tokens: one scope per holder, a key id in every token, the hook's own
// expiring tokens, and the bootstrap steps against a fake controller that checks scopes as the
// real one does (storage_controller/src/http.rs check_permissions; neon-api.md §2-3).
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/names.hpp"
#include "plugin/adapters/base64.hpp"
#include "plugin/clients/compute_token.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/storage_tokens.hpp"
#include "plugin/hook/controller_tokens.hpp"
#include "plugin/hook/hook_server.hpp"
#include "tests/support/computes_file.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

namespace {

using neon::cli::hook::ControllerTokens;
using neon::test::FakeStorcon;
using neon::test::run_cli;
using Json = nlohmann::json;
namespace jwt = neon::cli::jwt;
namespace names = neon::gen::names;

const std::string k_tenant = "5d1b6f0c2a9e4c7b8f3a2e1d0c9b8a7f";
const std::string k_main = "6e2c7a1d3b0f4d8c9a4b3f2e1d0c9b8a";
const std::string k_dev = "7f3d8b2e4c1a4e9d0b5c4a3f2e1d0c9b";
const std::string k_compute_key = "least-privilege-compute-token-key";

Json header_of(const std::string& token) {
  auto text = jwt::base64url_decode(token.substr(0, token.find('.')));
  REQUIRE(text);
  return Json::parse(*text);
}

Json claims_of(const std::string& token, const std::string& public_pem) {
  auto claims = jwt::verify(token, public_pem, 0);
  REQUIRE_MESSAGE(claims, (claims ? std::string() : claims.error().message));
  return *claims;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_SUITE("least-privilege tokens") {
  TEST_CASE("key_id is the RFC 7638 JWK thumbprint (RFC 8037 appendix A.3's key and thumbprint)") {
    const std::string pem =
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC "
        "KEY-----\n";
    auto kid = jwt::key_id(pem);
    REQUIRE(kid);
    CHECK(*kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  }

  TEST_CASE("the token Secret: one scope per holder, every token names its key, none expires") {
    auto kp = jwt::generate_ed25519();
    REQUIRE(kp);
    auto tokens = neon::cli::storage_tokens(kp->private_pem);
    REQUIRE(tokens);
    auto kid = jwt::key_id(kp->public_pem);
    REQUIRE(kid);
    const std::map<std::string, std::string> want = {
        {names::k_token_pageserver, "pageserverapi"},    {names::k_token_safekeeper, "safekeeperdata"},
        {names::k_token_generations, "generations_api"}, {names::k_token_infra, "infra"},
        {names::k_token_peer, "controller_peer"},        {names::k_token_admin, "admin"}};
    CHECK(tokens->size() == want.size());
    for (const auto& [key, scope] : want) {
      CAPTURE(key);
      REQUIRE(tokens->count(key) == 1);
      const std::string& token = tokens->at(key);
      CHECK(header_of(token) == Json{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", *kid}});
      // Exactly {"scope"}: Neon's Claims (libs/utils/src/auth.rs:75-88) with no tenant, and no exp
      // since the holders read them once and cannot renew them.
      CHECK(claims_of(token, kp->public_pem) == Json{{"scope", scope}});
    }
  }

  TEST_CASE("the hook's own tokens: the route's scope, exp and kid, reused until half their life") {
    auto kp = jwt::generate_ed25519();
    REQUIRE(kp);
    std::int64_t now = 1'800'000'000;
    auto tokens = ControllerTokens::create(kp->private_pem, std::chrono::seconds(600), [&now] { return now; });
    REQUIRE(tokens);
    CHECK(tokens->enabled());
    auto infra = tokens->token("infra");
    REQUIRE(infra);
    const Json claims = claims_of(*infra, kp->public_pem);
    CHECK(claims == Json{{"scope", "infra"}, {"exp", now + 600}});
    CHECK(header_of(*infra)["kid"] == *jwt::key_id(kp->public_pem));
    now += 299;
    CHECK(*tokens->token("infra") == *infra);
    now += 2;  // less than half of the lifetime left
    auto again = tokens->token("infra");
    REQUIRE(again);
    CHECK(*again != *infra);
    CHECK(claims_of(*again, kp->public_pem)["exp"] == now + 600);
    // An expired token is refused by the same check the controller makes (jsonwebtoken's exp).
    CHECK_FALSE(jwt::verify(*infra, kp->public_pem, 1'800'000'000 + 601));

    // The scope of each route the hook calls agrees with the controller's table as the fake reads it.
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/control/v1/node/7"},
             {"GET", "/control/v1/tenant/" + k_tenant},
             {"POST", "/v1/tenant"},
             {"POST", "/v1/tenant/" + k_tenant + "/timeline"},
             {"GET", "/v1/tenant/" + k_tenant + "/timeline/" + k_main + "/get_lsn_by_timestamp?timestamp=x"}}) {
      CAPTURE(path);
      CHECK(ControllerTokens::scope_for(method, path) ==
            FakeStorcon::required_scope(method, path.substr(0, path.find('?'))));
    }
    // Routes the hook has no business with get no token at all, not an admin one.
    CHECK(ControllerTokens::scope_for("GET", "/control/v1/tenant").empty());
    CHECK(ControllerTokens::scope_for("PUT", "/control/v1/tenant/" + k_tenant + "/policy").empty());
    CHECK(ControllerTokens::scope_for("POST", "/debug/v1/reconcile_all").empty());

    auto off = ControllerTokens::create(std::nullopt);
    REQUIRE(off);
    CHECK_FALSE(off->enabled());
    CHECK(off->token("infra")->empty());
  }

  TEST_CASE("bootstrap safekeeper registers with an infra token alone (no admin call)") {
    FakeStorcon fake;
    auto kp = jwt::generate_ed25519();
    REQUIRE(kp);
    fake.require_jwt(kp->public_pem);
    auto tokens = neon::cli::storage_tokens(kp->private_pem);
    REQUIRE(tokens);
    neon::test::ScratchDir dir("least-privilege-sk");
    std::filesystem::create_directories(dir / "data");
    auto run_with = [&](const std::string& token) {
      neon::test::write_text(dir / "token", token);
      return run_cli(
          {"bootstrap", "safekeeper", "--storage-controller", fake.url(), "--token-file", (dir / "token").string(),
           "--set", "safekeeper", "--namespace", "neon", "--deadline", "5s", "--data-dir", (dir / "data").string()},
          "", {{"POD_NAME", "safekeeper-0"}});
    };
    auto res = run_with(tokens->at(names::k_token_infra));
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(res.out.find("Activating until the controller's first heartbeat") != std::string::npos);
    CHECK(fake.safekeeper(10)["scheduling_policy"] == "Activating");
    for (const auto& r : fake.requests()) {
      CHECK(r.path.find("scheduling_policy") == std::string::npos);
    }
    // A token of another scope is refused at once, with no retry.
    auto wrong = run_with(tokens->at(names::k_token_pageserver));
    CHECK(wrong.exit == 1);
    CHECK(wrong.err.find("403") != std::string::npos);
    CHECK(wrong.err.find("retrying") == std::string::npos);
  }

  TEST_CASE("bootstrap compute through the hook: the compute's own token, the hook's scoped expiring tokens") {
    FakeStorcon fake;
    fake.add_node(1, "az-a");
    auto storage_key = jwt::generate_ed25519();
    auto hook_key = jwt::generate_ed25519();
    REQUIRE(storage_key);
    REQUIRE(hook_key);
    fake.require_jwt(storage_key->public_pem);

    neon::cli::hook::HookOptions options;
    auto parsed = neon::cli::hook::parse_computes(
        neon::test::computes_file(Json{{"name", "app"},
                                       {"tenant_id", k_tenant},
                                       {"pg_version", 17},
                                       {"branches", Json::array({Json{{"name", "main"}, {"timeline_id", k_main}},
                                                                 Json{{"name", "dev"},
                                                                      {"timeline_id", k_dev},
                                                                      {"ancestor_timeline_id", k_main},
                                                                      {"ancestor_start_lsn", "0/169AD58"}}})}},
                                  "dev"));
    REQUIRE(parsed);
    options.computes = *parsed;
    options.storage_controller_url = fake.url();
    options.signing_key_pem = hook_key->private_pem;
    options.storage_signing_key_pem = storage_key->private_pem;
    options.compute_token_key = k_compute_key;
    options.expected_token = "control-plane";
    auto server = neon::cli::hook::HookServer::create(std::move(options));
    REQUIRE(server);
    // The hook's own key is named by its thumbprint in the JWKS compute_ctl trusts (and in each
    // /configure token), so a second key can be published beside it (neon-api-corrections-2.md (d)).
    CHECK((*server)->jwks()["keys"][0]["kid"] == *jwt::key_id(hook_key->public_pem));
    auto port = (*server)->bind("127.0.0.1", 0);
    REQUIRE(port);
    std::thread serving([&] { (*server)->run(); });
    const std::string hook_url = "http://127.0.0.1:" + std::to_string(*port);

    neon::test::ScratchDir dir("least-privilege-compute");
    auto run_with = [&](const std::string& token) {
      neon::test::write_text(dir / "token", token);
      return run_cli({"bootstrap", "compute", "--hook", hook_url, "--compute-id", "app-dev", "--compute-token-file",
                      (dir / "token").string(), "--deadline", "5s"});
    };
    // Another compute's token, or the controller's, is refused before anything is created.
    auto foreign = run_with(neon::cli::compute_token::derive(k_compute_key, "app-main"));
    CHECK(foreign.exit == 1);
    CHECK(foreign.err.find("403") != std::string::npos);
    CHECK(foreign.err.find("app-dev.token") != std::string::npos);
    CHECK(fake.tenant(k_tenant).is_null());

    auto res = run_with(neon::cli::compute_token::derive(k_compute_key, "app-dev"));
    INFO(res.err);
    CHECK(res.exit == 0);
    CHECK(res.out.find("2 timeline(s) ready for compute app-dev") != std::string::npos);
    CHECK_FALSE(fake.tenant(k_tenant).is_null());
    const Json timelines = fake.timelines(k_tenant);
    CHECK(timelines.contains(k_main));
    CHECK(timelines.contains(k_dev));
    // Idempotent: a restarted init container runs it again.
    CHECK(run_with(neon::cli::compute_token::derive(k_compute_key, "app-dev")).exit == 0);

    // Every call reached the controller with the route's own scope, an exp within the hour, and
    // the key's kid: never admin.
    const std::string kid = *jwt::key_id(storage_key->public_pem);
    std::set<std::string> scopes;
    for (const auto& r : fake.requests()) {
      CAPTURE(r.path);
      REQUIRE(r.authorization.rfind("Bearer ", 0) == 0);
      const std::string token = r.authorization.substr(7);
      const Json claims = claims_of(token, storage_key->public_pem);
      scopes.insert(claims["scope"].get<std::string>());
      CHECK(claims["scope"] != "admin");
      CHECK(claims["exp"].get<std::int64_t>() > unix_now());
      CHECK(claims["exp"].get<std::int64_t>() <= unix_now() + 3600);
      CHECK(header_of(token)["kid"] == kid);
    }
    CHECK(scopes == std::set<std::string>{"pageserverapi", "scrubber"});
    (*server)->stop();
    serving.join();
  }
}

TEST_SUITE("least-privilege tokens") {
  TEST_CASE("bootstrap pageserver takes its upcall token from a mounted file (the generated init container)") {
    neon::test::ScratchDir dir("least-privilege-ps");
    neon::test::write_text(dir / "in.toml", "broker_endpoint = \"http://storage-broker:50051\"\n");
    neon::test::write_text(dir / "generations", "eyJ0eXAiOiJKV1QifQ.eyJzY29wZSI6ImdlbmVyYXRpb25zX2FwaSJ9.c2ln\n");
    auto run_with = [&](const std::string& token_file) {
      return run_cli(
          {"bootstrap", "pageserver", "--workdir", (dir / "data").string(), "--config", (dir / "in.toml").string(),
           "--set", "pageserver", "--namespace", "neon", "--control-plane-token-file", token_file},
          "", {{"POD_NAME", "pageserver-0"}});
    };
    auto res = run_with((dir / "generations").string());
    INFO(res.err);
    REQUIRE(res.exit == 0);
    CHECK(neon::test::read_text(dir / "data/pageserver.toml") ==
          "broker_endpoint = \"http://storage-broker:50051\"\n"
          "control_plane_api_token = \"eyJ0eXAiOiJKV1QifQ.eyJzY29wZSI6ImdlbmVyYXRpb25zX2FwaSJ9.c2ln\"\n");
    CHECK(res.err.find("eyJ") == std::string::npos);
    neon::test::write_text(dir / "empty", "\n");
    auto empty = run_with((dir / "empty").string());
    CHECK(empty.exit == 1);
    CHECK(empty.err.find("the file is empty") != std::string::npos);
    CHECK(run_with((dir / "missing").string()).exit != 0);
  }
}
