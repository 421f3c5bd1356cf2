// One version everywhere: the hook image `init` writes, and the one used when the spec leaves
// spec.images.hook out, is the image of the binary's own version (NEON_VERSION), the one
// .ci/release builds.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/run.hpp"

using neon::test::run_cli;

namespace {

std::string own_image() {
  const auto v = run_cli({"version", "-o", "json"});
  REQUIRE(v.exit == 0);
  return "ghcr.io/kubectl-neon/kubectl-neon:" + nlohmann::json::parse(v.out)["version"].get<std::string>();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_SUITE("hook-image") {
  TEST_CASE("init writes the hook image of the binary's own version") {
    const std::string image = own_image();
    for (const char* profile : {"dev", "prod"}) {
      CAPTURE(profile);
      const auto r = run_cli({"init", "--profile", profile, "-f", "-"});
      REQUIRE(r.exit == 0);
      CHECK(r.out.find("\n    hook: " + image + "\n") != std::string::npos);
      CHECK(count(r.out, "ghcr.io/kubectl-neon/kubectl-neon") == 1);
    }
  }

  TEST_CASE("a spec without spec.images.hook renders the binary's own image") {
    const std::string image = own_image();
    auto spec = run_cli({"init", "-f", "-"});
    REQUIRE(spec.exit == 0);
    const auto at = spec.out.find("\n    hook: ");
    REQUIRE(at != std::string::npos);
    spec.out.erase(at, spec.out.find('\n', at + 1) - at);
    REQUIRE(spec.out.find("hook:") == std::string::npos);
    const auto valid = run_cli({"validate", "-f", "-"}, spec.out);
    CHECK_MESSAGE(valid.exit == 0, valid.err);
    const auto r = run_cli({"render", "-f", "-"}, spec.out);
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(count(r.out, "image: " + image + "\n") >= 2);  // the hook Deployment and the bootstrap steps
    CHECK(count(r.out, "image: ghcr.io/kubectl-neon/kubectl-neon") == count(r.out, "image: " + image + "\n"));
  }
}
