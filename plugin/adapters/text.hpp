#pragma once
// Small text helpers shared by commands.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace neon::cli {

/// The segments of a URL path without its query: "/control/v1/tenant?x" -> {"control","v1","tenant"}.
inline std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> out;
  const std::string route = path.substr(0, path.find('?'));
  for (std::size_t at = 1; at <= route.size();) {
    const std::size_t end = std::min(route.find('/', at), route.size());
    out.push_back(route.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

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
