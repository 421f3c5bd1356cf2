// Roles through the real hook: the fake compute_ctl checks cluster.roles/databases of every
// /configure body (tests/support/fake_compute_ctl.cpp, cluster_problem), and a password changed in
// the mounted Secret reaches the running compute.
#include <doctest/doctest.h>

#include <sstream>

#include "plugin/hook/hook_roles.hpp"
#include "tests/support/run.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;

ComputeDef with_roles(const std::string& id, const std::string& mode = "primary") {
  ComputeDef d{id, k_tenant, k_timeline, mode};
  d.roles = Json::array({Json{{"name", "app"}, {"options", nullptr}, {"secret", "app-main-app"}}});
  d.databases = Json::array({Json{{"name", "app"}, {"owner", "app"}, {"options", nullptr}}});
  return d;
}

}  // namespace

TEST_SUITE("hook") {
  TEST_CASE("a password change in the role Secret reaches the running primary by /configure") {
    neon::test::ScratchDir tmp("hook-roles");
    neon::test::write_text(tmp / "app-main-app", "first");
    std::ostringstream log;
    ClusterOptions o;
    o.passwords_dir = tmp.path().string();
    o.password_poll = std::chrono::milliseconds(50);
    o.log = &log;
    Cluster cluster({with_roles("app-main"), with_roles("app-main-ro-0", "replica")}, o);
    cluster.storcon.add_tenant(k_tenant);
    REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);
    auto& primary = *cluster.computes[0];
    REQUIRE(primary.specs().size() == 1);
    const Json first = primary.specs().back()["cluster"];
    CHECK(first["roles"][0]["name"] == "app");
    CHECK(first["roles"][0]["encrypted_password"].get<std::string>().rfind("SCRAM-SHA-256$4096:", 0) == 0);
    CHECK(first["databases"] == Json::parse(R"([{"name":"app","owner":"app","options":null}])"));
    CHECK(cluster.computes[1]->specs().back()["cluster"]["roles"] == first["roles"]);  // replicas: the same roles

    neon::test::write_text(tmp / "app-main-app.new", "second");
    std::filesystem::rename(tmp / "app-main-app.new", tmp / "app-main-app");
    for (int i = 0; i < 200 && primary.specs().size() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE_MESSAGE(primary.specs().size() == 2, log.str());
    const Json second = primary.specs().back()["cluster"];
    CHECK(second["roles"][0]["encrypted_password"] != first["roles"][0]["encrypted_password"]);
    CHECK(primary.rejected() == 0);
    CHECK(cluster.computes[1]->specs().size() == 1);  // compute_ctl applies roles on primaries only

    // The Secret vanishes: the last password stays, said once; nothing is sent.
    std::filesystem::remove(tmp / "app-main-app");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(primary.specs().size() == 2);
    const std::string text = log.str();
    CHECK(text.find("Secret app-main-app is missing") != std::string::npos);
    CHECK(text.find("keeping the last password") != std::string::npos);
    CHECK(text.find("second") == std::string::npos);
    CHECK(text.find("SCRAM-SHA-256") == std::string::npos);
  }

  TEST_CASE("the hook's restart sends the same verifier: no reconfigure storm") {
    neon::test::ScratchDir tmp("hook-roles-restart");
    neon::test::write_text(tmp / "app-main-app", "steady");
    std::vector<Json> seen;
    for (int round = 0; round < 2; ++round) {
      ClusterOptions o;
      o.passwords_dir = tmp.path().string();
      Cluster cluster({with_roles("app-main")}, o);
      cluster.storcon.add_tenant(k_tenant);
      REQUIRE(cluster.storcon.notify_attach(k_tenant) == 200);
      seen.push_back(cluster.computes[0]->specs().back()["cluster"]["roles"]);
    }
    CHECK(seen[0] == seen[1]);
  }
}
