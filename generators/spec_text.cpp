#include "generators/spec_text.hpp"

#include <fmt/format.h>

#include "generators/spec_parse.hpp"

namespace neon::gen {

namespace {

/// Length of the well-formed UTF-8 sequence starting at text[i], or 0 if it is malformed
/// (truncated, overlong, a surrogate or beyond U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    lo = b0 == 0xe0 ? 0xa0 : 0x80;
    hi = b0 == 0xed ? 0x9f : 0xbf;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    lo = b0 == 0xf0 ? 0x90 : 0x80;
    hi = b0 == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (i + len > text.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) {
      return 0;
    }
  }
  return len;
}

/// Reports the first byte that is not UTF-8, by line and column; the byte itself is shown in
/// hex so that the message stays printable.
bool check_utf8(std::string_view text, const std::string& file, std::vector<Diagnostic>& diags) {
  int line = 1;
  int col = 1;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      diags.push_back({file, {line, col}, "",
                       fmt::format("invalid UTF-8 (byte 0x{:02X}); the spec must be UTF-8 text",
                                   static_cast<unsigned char>(text[i]))});
      return false;
    }
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
    i += len;
  }
  return true;
}

}  // namespace

/// Rejects what yaml-cpp would accept silently or choke on: binary data, text that is not UTF-8,
/// tabs in indentation and nesting deep enough to exhaust the stack.
bool prescan_spec_text(std::string_view text, const std::string& file, std::vector<Diagnostic>& diags) {
  if (text.size() > k_max_spec_bytes) {
    diags.push_back({file, {}, "", fmt::format("file is larger than {} MiB", k_max_spec_bytes >> 20)});
    return false;
  }
  if (text.find('\0') != std::string_view::npos) {
    diags.push_back({file, {}, "", "file is binary, not YAML"});
    return false;
  }
  if (!check_utf8(text, file, diags)) {
    return false;
  }
  bool ok = true;
  int line = 1;
  int depth = 0;
  bool at_line_start = true;
  int col = 1;
  int max_indent_reported = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      col = 1;
      at_line_start = true;
      continue;
    }
    if (at_line_start && c == '\t') {
      diags.push_back({file, {line, col}, "", "tabs are not allowed for indentation in YAML; use spaces"});
      ok = false;
      at_line_start = false;
    } else if (at_line_start && c != ' ') {
      at_line_start = false;
      if (col > 2 * k_max_nesting + 1 && max_indent_reported == 0) {
        diags.push_back({file, {line, col}, "", fmt::format("nesting is deeper than {} levels", k_max_nesting)});
        max_indent_reported = line;
        ok = false;
      }
    }
    if (c == '[' || c == '{') {
      if (++depth > k_max_nesting) {
        diags.push_back({file, {line, col}, "", fmt::format("nesting is deeper than {} levels", k_max_nesting)});
        return false;
      }
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
    ++col;
  }
  return ok;
}

}  // namespace neon::gen
