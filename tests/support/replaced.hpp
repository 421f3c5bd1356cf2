#pragma once
// Editing a spec text in a test: one exact replacement that must find its target.

#include <doctest/doctest.h>

#include <string>

namespace neon::test {

/// `text` with the first `from` replaced by `to`; fails the test (naming `from`) when it is absent.
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

}  // namespace neon::test
