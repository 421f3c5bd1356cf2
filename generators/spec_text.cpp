#include "generators/spec_text.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

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
      diags.push_back({file,
                       {line, col},
                       "",
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

/// The 1-based line and column of byte `pos` of `text` (columns count bytes, as yaml-cpp's do).
Mark position_of(std::string_view text, std::size_t pos) {
  pos = std::min(pos, text.size());
  const std::size_t line_start = pos == 0 ? 0 : text.rfind('\n', pos - 1);
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n');
  const std::size_t col = line_start == std::string_view::npos || pos == 0 ? pos + 1 : pos - line_start;
  return {static_cast<int>(line), static_cast<int>(col)};
}

/// Where the quoted string whose node starts at `pos` ends, or npos when it is never closed.
/// `pos` may point at the node's properties (`!tag`, `&anchor`) before the quote; a node that
/// is not a quoted string yields `pos` itself. The rules are YAML's: `\` escapes in double
/// quotes, `''` in single quotes.
std::size_t quoted_string_end(std::string_view text, std::size_t pos, std::size_t& quote_pos) {
  while (pos < text.size() && (text[pos] == '!' || text[pos] == '&')) {
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t' && text[pos] != '\n' && text[pos] != '\r') {
      ++pos;
    }
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) {
      ++pos;
    }
  }
  quote_pos = pos;
  if (pos >= text.size() || (text[pos] != '"' && text[pos] != '\'')) {
    return pos;
  }
  const char q = text[pos];
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    if (q == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == q) {
      if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
        continue;
      }
      return i;
    }
  }
  return std::string_view::npos;
}

/// Whether a string value is text: UTF-8 without control characters other than tab and line
/// breaks. Only escapes in double quotes (`\0`, `\e`, `\x01`) can make one that is not (the
/// text itself passed check_utf8), and no field of the spec has a use for them.
bool is_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    if (len == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return false;
    }
    i += len;
  }
  return true;
}

/// Walks one document's events for load_yaml_stream: remembers where it starts, catches an
/// unterminated quoted string and counts the nodes aliases add. Keeps no tree.
class DocumentProbe : public YAML::EventHandler {
public:
  explicit DocumentProbe(std::string_view text) : m_text(text) {}

  std::optional<std::size_t> start;         ///< byte offset of the document's first token
  std::optional<std::size_t> unterminated;  ///< byte offset of an unterminated quote
  std::optional<std::size_t> alias_bomb;    ///< byte offset of the alias that went over budget
  std::optional<std::size_t> alias_cycle;   ///< byte offset of an alias inside its own anchor
  std::optional<std::size_t> bad_string;    ///< byte offset of a string that is not text
  std::string bad_value;                    ///< its start (the CLI escapes it when printing)

  void OnDocumentStart(const YAML::Mark& mark) override { start = static_cast<std::size_t>(mark.pos); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t anchor) override { leaf(anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // yaml-cpp links such an alias back to the collection that holds it: a cycle that no walk of
    // the tree would finish.
    if (std::any_of(m_open.begin(), m_open.end(), [&](const Open& o) { return o.anchor == anchor; }) && !alias_cycle) {
      alias_cycle = static_cast<std::size_t>(mark.pos);
    }
    const auto it = m_sizes.find(anchor);
    const std::size_t size = it == m_sizes.end() ? 1 : it->second;
    add(size);
    m_extra = std::min(m_extra + size - 1, k_max_alias_nodes + 1);
    if (m_extra > k_max_alias_nodes && !alias_bomb) {
      alias_bomb = static_cast<std::size_t>(mark.pos);
    }
  }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(anchor);
    if (!bad_string && !is_text(value)) {
      bad_string = static_cast<std::size_t>(mark.pos);
      bad_value = value.substr(0, 64);
    }
    std::size_t quote = 0;
    if (!unterminated &&
        quoted_string_end(m_text, static_cast<std::size_t>(mark.pos), quote) == std::string_view::npos) {
      unterminated = quote;
    }
  }
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    m_open.push_back({anchor, 1});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    m_open.push_back({anchor, 1});
  }
  void OnMapEnd() override { close(); }

private:
  struct Open {
    YAML::anchor_t anchor;
    std::size_t nodes;  ///< nodes in the collection so far, aliases expanded (capped)
  };

  void add(std::size_t nodes) {
    if (!m_open.empty()) {
      m_open.back().nodes = std::min(m_open.back().nodes + nodes, k_cap);
    }
  }
  void leaf(YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      m_sizes[anchor] = 1;
    }
    add(1);
  }
  void close() {
    if (m_open.empty()) {
      return;
    }
    const Open o = m_open.back();
    m_open.pop_back();
    if (o.anchor != YAML::NullAnchor) {
      m_sizes[o.anchor] = o.nodes;
    }
    add(o.nodes);
  }

  static constexpr std::size_t k_cap = std::size_t{1} << 40;
  std::string_view m_text;
  std::vector<Open> m_open;
  std::map<YAML::anchor_t, std::size_t> m_sizes;
  std::size_t m_extra = 0;
};

/// `c` as a message shows it.
std::string describe_char(char c) {
  if (c >= 0x21 && c <= 0x7e) {
    return fmt::format("\"{}\"", c);
  }
  return "text";
}

}  // namespace

namespace {

/// The problem a probed document showed, if any.
std::optional<Diagnostic> problem_of(const DocumentProbe& probe, std::string_view text, const std::string& file) {
  if (probe.unterminated) {
    return Diagnostic{file, position_of(text, *probe.unterminated), "", "invalid YAML: unterminated quoted string"};
  }
  if (probe.bad_string) {
    return Diagnostic{file, position_of(text, *probe.bad_string), "",
                      fmt::format("this string holds a control character (from an escape such as \\0, \\e or "
                                  "\\x01), which no field of the spec takes: \"{}\"",
                                  probe.bad_value)};
  }
  if (probe.alias_cycle) {
    return Diagnostic{file, position_of(text, *probe.alias_cycle), "",
                      "invalid YAML: an alias inside the node it refers to makes an endless cycle"};
  }
  if (probe.alias_bomb) {
    return Diagnostic{file, position_of(text, *probe.alias_bomb), "",
                      fmt::format("invalid YAML: aliases add more than {} nodes to the document", k_max_alias_nodes)};
  }
  return std::nullopt;
}

Diagnostic yaml_error(const YAML::Exception& e, const std::string& file) {
  const Mark m = e.mark.is_null() ? Mark{} : Mark{e.mark.line + 1, e.mark.column + 1};
  return {file, m, "", fmt::format("invalid YAML: {}", e.msg)};
}

}  // namespace

bool load_yaml_stream(std::string_view text, const std::string& file, std::vector<YAML::Node>& docs,
                      std::vector<Diagnostic>& diags) {
  const std::string owned(text);
  // First pass: events only. A document that starts where the previous one started consumed
  // nothing, and yaml-cpp 0.7 would return it forever.
  std::istringstream in(owned);
  YAML::Parser parser(in);
  std::optional<std::size_t> previous_start;
  while (true) {
    DocumentProbe probe(text);
    bool more = false;
    try {
      more = parser.HandleNextDocument(probe);
    } catch (const YAML::Exception& e) {
      // An unterminated string runs to the end of the file, where yaml-cpp may complain about
      // whatever was still open: the string is the cause.
      diags.push_back(problem_of(probe, text, file).value_or(yaml_error(e, file)));
      return false;
    }
    if (!more) {
      break;
    }
    if (auto d = problem_of(probe, text, file)) {
      diags.push_back(*d);
      return false;
    }
    if (probe.start && previous_start && *probe.start == *previous_start) {
      const std::size_t at = std::min(*probe.start, text.size());
      diags.push_back(
          {file, position_of(text, at), "",
           fmt::format("invalid YAML: unexpected {}", at < text.size() ? describe_char(text[at]) : "end of file")});
      return false;
    }
    previous_start = probe.start;
  }
  // The same token stream again, now building nodes: every document was seen to end.
  try {
    docs = YAML::LoadAll(owned);
  } catch (const YAML::Exception& e) {
    diags.push_back(yaml_error(e, file));
    return false;
  }
  return true;
}

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
