// kubectl neon render: validates, then prints render_stream; usage errors exit 2.
#include <doctest/doctest.h>

#include <string>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"

using neon::test::run_cli;

TEST_SUITE("generate") {
  TEST_CASE("render: the default spec renders to the same stream as the generator") {
    const auto r = run_cli({"render"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(r.err == "note: no -f and no ./neon.yaml: using the built-in dev example spec\n");
    auto loaded = neon::gen::load_spec(*neon::gen::embedded("schemas/starters/dev.yaml"), "dev.yaml");
    REQUIRE(loaded.spec);
    CHECK(r.out == neon::gen::render_stream(*loaded.spec));
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
