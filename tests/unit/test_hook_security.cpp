// Who may call the compute hook (issue 20): the spec route answers a compute's own token only,
// the notify routes the controller's token only, and slow clients cannot starve /healthz.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "plugin/hook/hook_auth.hpp"
#include "tests/support/run.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;
using neon::test::run_cli;
using neon::test::ScratchDir;
using neon::test::write_text;

/// An error body of the hook: JSON {"error": ...} that names no URL, host or port of the cluster.
void check_plain_error(const httplib::Result& res, int status, const Cluster& cluster) {
  REQUIRE(res);
  CHECK(res->status == status);
  const Json body = Json::parse(res->body, nullptr, false);
  REQUIRE(body.is_object());
  REQUIRE(body["error"].is_string());
  const std::string text = body["error"];
  CHECK(text.find("http") == std::string::npos);
  CHECK(text.find("127.0.0.1") == std::string::npos);
  CHECK(text.find(std::to_string(cluster.storcon.port())) == std::string::npos);
  for (const auto& c : cluster.computes) {
    CHECK(text.find(c->address()) == std::string::npos);
  }
}

}  // namespace

TEST_SUITE("hook") {
  // compute_ctl sends `Authorization: Bearer $NEON_CONTROL_PLANE_TOKEN` with its spec request
  // (compute_tools/src/spec.rs:27-29, :79) and gives up at once on a 401/403 (spec.rs:64-71).
  TEST_CASE("spec route: only the compute's own token fetches its spec (compute_tools/src/spec.rs:79)") {
    ClusterOptions o;
    o.token = "the-controllers-token";
    Cluster cluster({{"app-main", k_tenant, k_timeline}, {"app-dev", k_tenant, k_timeline2}}, o);
    cluster.storcon.add_tenant(k_tenant);

    auto own = cluster.get_spec("app-main");
    REQUIRE(own);
    CHECK(own->status == 200);
    CHECK(Json::parse(own->body)["spec"]["timeline_id"] == k_timeline);

    httplib::Headers none;
    check_plain_error(cluster.client().Get("/compute/api/v2/computes/app-main/spec", none), 401, cluster);
    check_plain_error(cluster.get_spec("app-main", ""), 401, cluster);  // "Bearer " with an empty token
    check_plain_error(cluster.get_spec("app-main", "guess"), 403, cluster);
    check_plain_error(cluster.get_spec("app-main", compute_token("app-dev")), 403, cluster);  // a foreign compute's
    check_plain_error(cluster.get_spec("app-main", "the-controllers-token"), 403, cluster);
    check_plain_error(cluster.get_spec("app-main", compute_token("app-main") + "x"), 403, cluster);
    // Unknown computes look the same to a caller without their token: nobody learns which exist.
    check_plain_error(cluster.get_spec("nope", compute_token("app-main")), 403, cluster);
    check_plain_error(cluster.get_spec("nope"), 404, cluster);

    // compute_ctl with another compute's token fails on its first try, and is not configured.
    const auto fetched = cluster.computes[0]->fetch_spec(cluster.hook->url(), compute_token("app-dev"));
    CHECK_FALSE(fetched.ok);
    CHECK(fetched.status == 403);
    CHECK(fetched.attempts == 1);
    const auto right = cluster.computes[0]->fetch_spec(cluster.hook->url(), compute_token("app-main"));
    CHECK_MESSAGE(right.ok, right.error);
  }

  TEST_CASE("compute tokens: HMAC per compute ID, compared whole") {
    const std::string a = neon::cli::compute_token::derive("key", "app-main");
    CHECK(a.size() == 43);
    CHECK(a == neon::cli::compute_token::derive("key", "app-main"));
    CHECK(a != neon::cli::compute_token::derive("key", "app-dev"));
    CHECK(a != neon::cli::compute_token::derive("other", "app-main"));
    CHECK(neon::cli::compute_token::same(a, a));
    CHECK_FALSE(neon::cli::compute_token::same(a, a.substr(0, 42)));
    CHECK_FALSE(neon::cli::hook::check_compute_token("Bearer " + a, "key", "app-main"));
    CHECK(neon::cli::hook::check_compute_token("Bearer " + a, "", "app-main")->status == 403);  // no key: nobody
    CHECK(neon::cli::hook::check_compute_token("Basic " + a, "key", "app-main")->status == 401);
  }

  // The storage controller sends `Authorization: Bearer <CONTROL_PLANE_JWT_TOKEN>` on every
  // notification (storage_controller/src/compute_hook.rs; neon-api.md 4.1), in --dev mode too
  // (storage_controller/src/main.rs:298-301).
  TEST_CASE("notify routes: the controller's token only, in every profile; refusals name no URL") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    cluster.storcon.add_tenant(k_tenant);
    const std::string body = cluster.storcon.notify_attach_body(k_tenant).dump();
    const std::string sk_body = Json{{"tenant_id", k_tenant},
                                     {"timeline_id", k_timeline},
                                     {"generation", 2},
                                     {"safekeepers", {Json{{"id", 1}, {"hostname", "safekeeper-0.safekeeper"}}}}}
                                    .dump();
    for (const char* route : {"/notify-attach", "/notify-safekeepers"}) {
      CAPTURE(route);
      const std::string& b = std::string(route) == "/notify-attach" ? body : sk_body;
      for (const auto& [bearer, status] : std::vector<std::pair<std::string, int>>{
               {k_no_token, 401}, {"wrong", 403}, {compute_token("app-main"), 403}}) {
        httplib::Headers headers;
        if (bearer != k_no_token) {
          headers.emplace("Authorization", "Bearer " + bearer);
        }
        check_plain_error(cluster.client().Put(route, headers, b, "application/json"), status, cluster);
      }
    }
    CHECK(cluster.computes[0]->requests() == 0);
    CHECK(cluster.put("/notify-safekeepers", sk_body) == 200);
    CHECK(cluster.storcon.notify_attach(k_tenant) == 200);
  }

  TEST_CASE("notify-safekeepers: a safekeeper host the computes file does not list is refused, nothing changes") {
    Cluster cluster({{"app-main", k_tenant, k_timeline}});
    cluster.storcon.add_tenant(k_tenant);
    REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);
    auto body = [](const std::string& host) {
      return Json{{"tenant_id", k_tenant},
                  {"timeline_id", k_timeline},
                  {"generation", 5},
                  {"safekeepers",
                   {Json{{"id", 1}, {"hostname", "safekeeper-0.safekeeper"}}, Json{{"id", 9}, {"hostname", host}}}}}
          .dump();
    };
    for (const std::string host : {"evil.example.com", "safekeeper-0.safekeeper.evil", "safekeeper-0"}) {
      CAPTURE(host);
      std::string reply;
      CHECK(cluster.put("/notify-safekeepers", body(host), "", &reply) == 400);
      CHECK(Json::parse(reply)["error"].get<std::string>().find("is not a safekeeper of this cluster") !=
            std::string::npos);
    }
    CHECK(cluster.computes[0]->specs().size() == 1);
    // A later spec still points at the known safekeeper list.
    auto res = cluster.get_spec("app-main");
    REQUIRE(res);
    CHECK(Json::parse(res->body)["spec"]["safekeeper_connstrings"] == Json{"safekeeper-0.safekeeper:5454"});
  }

  TEST_CASE("hook serve refuses to start without the controller's token") {
    ScratchDir dir("hook-no-expected-token");
    write_text(dir / "computes.json", R"({"computes":[]})");
    write_text(dir / "signing.pem", new_key());
    write_text(dir / "key", "k\n");
    write_text(dir / "empty", "\n");
    const std::vector<std::string> args{"hook",     "serve",      "--computes", (dir / "computes.json").string(),
                                        "--listen", "192.0.2.1:1"};
    for (const std::string& file : {std::string(), (dir / "missing").string(), (dir / "empty").string()}) {
      CAPTURE(file);
      auto r = run_cli(args, "",
                       {{"NEON_HOOK_SIGNING_KEY_FILE", (dir / "signing.pem").string()},
                        {"NEON_HOOK_COMPUTE_TOKEN_KEY_FILE", (dir / "key").string()},
                        {"NEON_HOOK_EXPECTED_TOKEN_FILE", file}});
      CHECK(r.exit == 1);
      CHECK(r.err.find("NEON_HOOK_EXPECTED_TOKEN_FILE") != std::string::npos);
      CHECK(r.err.find("spec.storageController.auth.hookTokenSecret") != std::string::npos);
      CHECK(r.err.find("cannot listen") == std::string::npos);
    }
  }

  TEST_CASE("hook serve refuses to start without the compute token key and names the Secret") {
    ScratchDir dir("hook-no-compute-key");
    write_text(dir / "computes.json", R"({"computes":[]})");
    write_text(dir / "signing.pem", new_key());
    write_text(dir / "empty", "\n");
    const std::vector<std::string> args{"hook",     "serve",      "--computes", (dir / "computes.json").string(),
                                        "--listen", "192.0.2.1:1"};
    for (const std::string& file : {std::string(), (dir / "missing").string(), (dir / "empty").string()}) {
      CAPTURE(file);
      auto r = run_cli(
          args, "",
          {{"NEON_HOOK_SIGNING_KEY_FILE", (dir / "signing.pem").string()}, {"NEON_HOOK_COMPUTE_TOKEN_KEY_FILE", file}});
      CHECK(r.exit == 1);
      CHECK(r.err.find("NEON_HOOK_COMPUTE_TOKEN_KEY_FILE") != std::string::npos);
      CHECK(r.err.find("spec.storageController.auth.hookTokenSecret") != std::string::npos);
      CHECK(r.err.find("cannot listen") == std::string::npos);
    }
  }
}
