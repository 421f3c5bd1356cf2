#pragma once
// Small text helpers shared by commands.

#include <cctype>
#include <string>
#include <string_view>

namespace neon::cli {

/// `s` without leading and trailing whitespace (tokens and values read from files, env, headers).
inline std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  return std::string(s);
}

}  // namespace neon::cli
