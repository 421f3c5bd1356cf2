#pragma once
// A spec text loaded in a test: every error fails the test (warnings are allowed).

#include <doctest/doctest.h>

#include <string>

#include "generators/diagnostics.hpp"
#include "generators/validate.hpp"

namespace neon::test {

inline gen::ValidSpec valid_spec(const std::string& text, const std::string& file = "neon.yaml") {
  auto loaded = gen::load_spec(text, file);
  for (const auto& d : loaded.diagnostics) {
    if (!d.warning) {
      FAIL_CHECK(gen::format_diagnostic(d));
    }
  }
  REQUIRE(loaded.spec.has_value());
  return *loaded.spec;
}

}  // namespace neon::test
