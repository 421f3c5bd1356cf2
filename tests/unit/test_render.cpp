// kubectl neon render: validates, then prints render_stream; usage errors exit 2.
#include <doctest/doctest.h>

#include <string>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/same_objects.hpp"
#include "tests/support/tools.hpp"

using neon::test::run_cli;

TEST_SUITE("generate") {
  TEST_CASE("render: the default spec renders what kubectl kustomize builds from the tree generate writes" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("kubectl");
    const auto r = run_cli({"render"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    neon::test::ScratchDir dir("render-kustomize");
    const auto generated = run_cli({"generate", "--repo", (dir / "repo").string(), "--no-commit"});
    REQUIRE_MESSAGE(generated.exit == 0, generated.err);
    const auto built = neon::test::run_process({"kubectl", "kustomize", "clusters/dev"}, dir / "repo");
    REQUIRE_MESSAGE(built.exit == 0, built.err);
    neon::test::check_same_objects(neon::test::parse_objects(built.out), neon::test::parse_objects(r.out));
  }

  TEST_CASE("render: without -f or ./neon.yaml, the built-in dev spec: the Namespace first, everything in it") {
    const auto r = run_cli({"render"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(r.err == "note: no -f and no ./neon.yaml: using the built-in dev example spec\n");
    auto docs = neon::gen::parse_yaml_stream(r.out);
    REQUIRE(docs);
    REQUIRE_FALSE(docs->empty());
    CHECK((*docs)[0]["kind"] == "Namespace");
    for (const auto& d : *docs) {
      if (d["kind"] != "Namespace") {
        CHECK(d["metadata"]["namespace"] == "neon");
      }
    }
  }

  TEST_CASE("render: -f from stdin") {
    const std::string prod(*neon::gen::embedded("schemas/starters/prod.yaml"));
    const auto r = run_cli({"render", "-f", "-"}, prod);
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(r.out.find("--start-as-candidate") != std::string::npos);
  }

  TEST_CASE("render: an invalid spec prints diagnostics and exits 1, nothing on stdout") {
    const auto r = run_cli({"render", "-f", "-"}, "apiVersion: kubectl-neon.io/v1alpha1\nkind: NeonCluster\n");
    CHECK(r.exit == 1);
    CHECK(r.out.empty());
    CHECK_FALSE(r.err.empty());
  }

  TEST_CASE("render: stray arguments are usage errors") {
    const auto r = run_cli({"render", "extra"});
    CHECK(r.exit == 2);
    CHECK(r.err.find("error:") != std::string::npos);
  }
}
