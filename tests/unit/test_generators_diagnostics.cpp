#include <doctest/doctest.h>

#include "generators/diagnostics.hpp"

using namespace neon::gen;

TEST_SUITE("diagnostics") {
  TEST_CASE("format is FILE:LINE:COL: error: PATH: MESSAGE") {
    CHECK(format_diagnostic({"neon.yaml", {3, 5}, "spec.pageservers.count", "must be an integer"}) ==
          "neon.yaml:3:5: error: spec.pageservers.count: must be an integer");
    CHECK(format_diagnostic({"neon.yaml", {}, "", "file is empty"}) == "neon.yaml: error: file is empty");
  }

  TEST_CASE("did you mean") {
    const std::vector<std::string> keys = {"pageservers", "safekeepers", "projects", "profile"};
    CHECK(did_you_mean("pagservers", keys) == "pageservers");
    CHECK(did_you_mean("Projects", keys) == "projects");
    CHECK(did_you_mean("zzzzzz", keys).empty());
    CHECK(suggestion_suffix("safekeeper", keys) == " (did you mean \"safekeepers\"?)");
  }

  TEST_CASE("edit distance") {
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("same", "same") == 0);
    CHECK(edit_distance("a", "abcdefgh", 2) == 3);
  }
}
