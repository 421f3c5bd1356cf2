// The value checks of validate.hpp (DNS names, ids, LSNs, quantities, pinned images): pure
// predicates, shared by validate and the spec editors.
#include <algorithm>
#include <cctype>
#include <regex>
#include <string_view>

#include "generators/validate.hpp"

namespace neon::gen {

bool is_label_value(std::string_view s) {
  static const std::regex k_re(R"(^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$)");
  return s.size() <= 63 && std::regex_match(s.begin(), s.end(), k_re);
}

bool is_s3_bucket(std::string_view s) {
  static const std::regex k_re(R"(^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$)");
  return std::regex_match(s.begin(), s.end(), k_re) && s.find("..") == std::string_view::npos;
}

bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && i != 0 && i + 1 != s.size())) {
      return false;
    }
  }
  return true;
}

bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    if (!is_dns1123_label(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

bool is_hex_id(std::string_view s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_lsn(std::string_view s) {
  static const std::regex k_re("^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$");
  return std::regex_match(s.begin(), s.end(), k_re);
}

bool is_rfc3339(std::string_view s) {
  static const std::regex k_re(
      R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$)");
  return std::regex_match(s.begin(), s.end(), k_re);
}

bool is_quantity(std::string_view s) {
  static const std::regex k_re(R"(^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$)");
  return std::regex_match(s.begin(), s.end(), k_re);
}

bool is_pinned_image(std::string_view s) {
  static const std::regex k_digest(R"(^[^\s@]+@sha256:[0-9a-f]{64}$)");
  if (std::regex_match(s.begin(), s.end(), k_digest)) {
    return true;
  }
  const auto slash = s.rfind('/');
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    return false;
  }
  const std::string_view tag = s.substr(colon + 1);
  static const std::regex k_tag(R"(^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$)");
  return tag != "latest" && std::regex_match(tag.begin(), tag.end(), k_tag) &&
         s.find_first_of(" \t") == std::string_view::npos && colon != 0;
}

}  // namespace neon::gen
