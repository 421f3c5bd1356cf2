#include "generators/spec_edit.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "generators/diagnostics.hpp"
#include "generators/roles.hpp"

namespace neon::gen {

namespace {

/// The file as lines without their `\n`. A `\r` stays part of its line, so CRLF files and mixed
/// endings come back unchanged; new lines copy the ending of the first line.
struct Lines {
  std::vector<std::string> lines;
  bool final_newline = false;
  std::string cr;  ///< "\r" for a CRLF file

  explicit Lines(std::string_view text) {
    final_newline = !text.empty() && text.back() == '\n';
    std::size_t start = 0;
    while (start < text.size()) {
      const auto nl = text.find('\n', start);
      if (nl == std::string_view::npos) {
        lines.emplace_back(text.substr(start));
        break;
      }
      lines.emplace_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    if (!lines.empty() && !lines.front().empty() && lines.front().back() == '\r') {
      cr = "\r";
    }
  }

  std::string join() const {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += lines[i];
      if (i + 1 < lines.size() || final_newline) {
        out += '\n';
      }
    }
    return out;
  }
};

std::string_view body(const std::string& line) {
  std::string_view v(line);
  if (!v.empty() && v.back() == '\r') {
    v.remove_suffix(1);
  }
  return v;
}

int indent_of(const std::string& line) {
  const auto v = body(line);
  const auto p = v.find_first_not_of(' ');
  return static_cast<int>(p == std::string_view::npos ? v.size() : p);
}

bool is_blank(const std::string& line) { return body(line).find_first_not_of(" \t") == std::string_view::npos; }

bool is_comment(const std::string& line) {
  const auto v = body(line);
  const auto p = v.find_first_not_of(" \t");
  return p != std::string_view::npos && v[p] == '#';
}

bool is_document_marker(const std::string& line) {
  const auto v = body(line);
  return v.rfind("---", 0) == 0 || v.rfind("...", 0) == 0;
}

std::string spaces(int n) { return std::string(static_cast<std::size_t>(std::max(n, 0)), ' '); }

struct Entry {
  YAML::Node key;
  YAML::Node value;
};

std::optional<Entry> find_entry(const YAML::Node& map, const std::string& key) {
  if (!map.IsMap()) {
    return std::nullopt;
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      return Entry{it->first, it->second};
    }
  }
  return std::nullopt;
}

std::string scalar_of(const YAML::Node& map, const std::string& key) {
  auto e = find_entry(map, key);
  return e && e->value.IsScalar() ? e->value.Scalar() : std::string();
}

/// A list in the text: where its key is, and the lines each item spans.
struct Seq {
  int key_line = 0;
  int key_col = 0;
  bool empty = false;    ///< `[]` or no value
  int bracket_col = -1;  ///< column of `[` when the value is a flow `[]`
  int dash_col = 0;
  int item_offset = 2;             ///< from the dash to the item's first key
  std::vector<std::size_t> first;  ///< line of each item's dash
  std::vector<std::size_t> last;   ///< last line of each item, inclusive
};

Result<std::pair<std::size_t, int>> find_dash(const Lines& t, const YAML::Node& item) {
  const auto m = item.Mark();
  if (m.line < 0 || static_cast<std::size_t>(m.line) >= t.lines.size()) {
    return make_error("cannot locate a list item in the text");
  }
  const auto line = static_cast<std::size_t>(m.line);
  const auto v = body(t.lines[line]);
  int c = std::min(m.column, static_cast<int>(v.size())) - 1;
  while (c >= 0 && v[static_cast<std::size_t>(c)] == ' ') {
    --c;
  }
  if (c >= 0 && v[static_cast<std::size_t>(c)] == '-') {
    return std::pair<std::size_t, int>{line, c};
  }
  for (std::size_t l = line; l-- > 0;) {
    if (is_blank(t.lines[l]) || is_comment(t.lines[l])) {
      continue;
    }
    const auto b = body(t.lines[l]);
    const auto d = b.find_first_not_of(' ');
    const auto rest = b.substr(d + 1);
    const auto r = rest.find_first_not_of(' ');
    if (b[d] == '-' && (r == std::string_view::npos || rest[r] == '#')) {
      return std::pair<std::size_t, int>{l, static_cast<int>(d)};
    }
    break;
  }
  return make_error("cannot locate a list item's dash in the text");
}

/// The column of the `:` after the key on `line`.
std::size_t colon_after_key(const std::string& line, int key_col) {
  const auto p = line.find(':', static_cast<std::size_t>(key_col));
  return p == std::string::npos ? line.size() : p;
}

Result<Seq> locate(const Lines& t, const YAML::Node& parent, const std::string& key, const std::string& what) {
  auto e = find_entry(parent, key);
  if (!e) {
    return make_error(fmt::format("{} has no \"{}\" list", what, key));
  }
  Seq s;
  s.key_line = e->key.Mark().line;
  s.key_col = e->key.Mark().column;
  const YAML::Node& v = e->value;
  if (v.IsNull()) {
    const auto& line = t.lines[static_cast<std::size_t>(s.key_line)];
    const auto rest = body(line).substr(std::min(body(line).size(), colon_after_key(line, s.key_col) + 1));
    const auto r = rest.find_first_not_of(' ');
    if (r == std::string_view::npos || rest[r] == '#') {
      s.empty = true;
      return s;
    }
  }
  if (!v.IsSequence()) {
    return make_error(fmt::format("{}.{} is not a list", what, key));
  }
  if (v.size() == 0 || v.Style() == YAML::EmitterStyle::Flow) {
    if (v.size() != 0 || v.Mark().line != s.key_line) {
      return make_error(
          fmt::format("{}.{} is a flow list ([...]); write it as a block list (- item) to edit it "
                      "with this command",
                      what, key));
    }
    s.empty = true;
    s.bracket_col = v.Mark().column;
    return s;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto dash = find_dash(t, v[i]);
    NEON_TRY(dash);
    if (i == 0) {
      s.dash_col = dash->second;
      if (v[i].Mark().line == static_cast<int>(dash->first)) {
        s.item_offset = v[i].Mark().column - dash->second;
      }
    }
    s.first.push_back(dash->first);
  }
  for (std::size_t i = 0; i < s.first.size(); ++i) {
    const std::size_t limit = i + 1 < s.first.size() ? s.first[i + 1] : t.lines.size();
    std::size_t end = s.first[i];
    for (std::size_t l = s.first[i] + 1; l < limit; ++l) {
      const auto& line = t.lines[l];
      if (is_blank(line)) {
        continue;
      }
      if (indent_of(line) <= s.dash_col || is_document_marker(line)) {
        if (is_comment(line)) {
          continue;
        }
        break;
      }
      end = l;
    }
    s.last.push_back(end);
  }
  return s;
}

/// Appends `item` (lines relative to the item's first key column) to `s`, rewriting an empty
/// `[]` on the key line.
void append_item(Lines& t, const Seq& s, int dash_col, int offset, const std::vector<std::string>& item) {
  std::size_t at = 0;
  if (s.empty) {
    auto& line = t.lines[static_cast<std::size_t>(s.key_line)];
    if (s.bracket_col >= 0) {
      const auto open = static_cast<std::size_t>(s.bracket_col);
      const auto close = line.find(']', open);
      std::string before = line.substr(0, open);
      while (!before.empty() && before.back() == ' ') {
        before.pop_back();
      }
      line = before + line.substr(close + 1);
    }
    at = static_cast<std::size_t>(s.key_line) + 1;
  } else {
    at = s.last.back() + 1;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < item.size(); ++i) {
    const std::string prefix = i == 0 ? spaces(dash_col) + "-" + spaces(offset - 1) : spaces(dash_col + offset);
    out.push_back(prefix + item[i] + t.cr);
  }
  t.lines.insert(t.lines.begin() + static_cast<std::ptrdiff_t>(at), out.begin(), out.end());
}

void remove_item(Lines& t, const Seq& s, std::size_t i) {
  t.lines.erase(t.lines.begin() + static_cast<std::ptrdiff_t>(s.first[i]),
                t.lines.begin() + static_cast<std::ptrdiff_t>(s.last[i]) + 1);
  if (s.first.size() == 1) {
    auto& line = t.lines[static_cast<std::size_t>(s.key_line)];
    line.insert(colon_after_key(line, s.key_col) + 1, " []");
  }
}

/// An ID is plain hex; quoted when a YAML reader could take it for a number.
std::string id_scalar(const std::string& id) {
  const bool letters = std::any_of(id.begin(), id.end(), [](char c) { return c >= 'a' && c <= 'f' && c != 'e'; });
  return letters ? id : "\"" + id + "\"";
}

struct Doc {
  YAML::Node root;
  YAML::Node spec;
};

Result<Doc> parse(std::string_view text) {
  Doc d;
  try {
    d.root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return make_error(fmt::format("the spec is not valid YAML: {}", e.what()));
  }
  auto spec = find_entry(d.root, "spec");
  if (!spec || !spec->value.IsMap()) {
    return make_error("the spec has no \"spec\" mapping");
  }
  d.spec = spec->value;
  return d;
}

std::vector<std::string> names_of(const YAML::Node& seq) {
  std::vector<std::string> out;
  if (seq.IsSequence()) {
    for (const auto& item : seq) {
      out.push_back(scalar_of(item, "name"));
    }
  }
  return out;
}

Result<std::size_t> find_named(const YAML::Node& seq, const std::string& name, const std::string& what) {
  const auto names = names_of(seq);
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) {
    return make_error(fmt::format("no {} \"{}\"{}", what, name, suggestion_suffix(name, names)));
  }
  return static_cast<std::size_t>(it - names.begin());
}

YAML::Node list_value(const YAML::Node& map, const std::string& key) {
  auto e = find_entry(map, key);
  return e ? e->value : YAML::Node();
}

/// Nesting of a project's branches list as the file already writes it: (dash, offset) from the
/// project's first key, taken from the first project that has a block branches list.
std::pair<int, int> branch_style(const Lines& t, const YAML::Node& projects, const Seq& ps) {
  for (const auto& p : projects) {
    auto bs = locate(t, p, "branches", "project");
    if (bs && !bs->empty) {
      return {bs->dash_col - p.Mark().column, bs->item_offset};
    }
  }
  return {2, ps.item_offset};
}

}  // namespace

namespace {

/// `roles: [{name: a}]` and `databases: [{name: d, owner: a}]` for a new branch (flow style, so
/// the lines need no indentation of their own). Names are checked here: they go into YAML.
Result<std::vector<std::string>> role_lines(const std::vector<std::string>& roles,
                                            const std::vector<std::string>& databases) {
  std::vector<std::string> out;
  std::vector<std::string> items;
  for (const auto& r : roles) {
    const std::string why = bad_identifier(r);
    if (!why.empty()) {
      return make_error("--role " + why);
    }
    items.push_back("{name: " + r + "}");
  }
  if (!items.empty()) {
    out.push_back(fmt::format("roles: [{}]", fmt::join(items, ", ")));
  }
  items.clear();
  for (const auto& d : databases) {
    const auto colon = d.find(':');
    const std::string name = d.substr(0, colon);
    const std::string owner = colon == std::string::npos ? (roles.empty() ? "" : roles.front()) : d.substr(colon + 1);
    if (owner.empty()) {
      return make_error(fmt::format("--database {}: no owner; give --role, or NAME:OWNER", d));
    }
    for (const auto& id : {name, owner}) {
      if (const std::string why = bad_identifier(id); !why.empty()) {
        return make_error("--database " + why);
      }
    }
    items.push_back("{name: " + name + ", owner: " + owner + "}");
  }
  if (!items.empty()) {
    out.push_back(fmt::format("databases: [{}]", fmt::join(items, ", ")));
  }
  return out;
}

}  // namespace

Result<std::string> add_project(std::string_view text, const NewProject& project) {
  auto doc = parse(text);
  NEON_TRY(doc);
  Lines t(text);
  auto ps = locate(t, doc->spec, "projects", "spec");
  NEON_TRY(ps);
  const YAML::Node projects = list_value(doc->spec, "projects");
  const auto names = names_of(projects);
  if (std::find(names.begin(), names.end(), project.name) != names.end()) {
    return make_error(fmt::format("project \"{}\" already exists", project.name));
  }
  const auto [branch_dash, branch_offset] = branch_style(t, projects, *ps);
  const int step = branch_dash > 0 ? branch_dash : 2;
  std::vector<std::string> item{"name: " + project.name, fmt::format("pgVersion: {}", project.pg_version),
                                "tenantId: " + id_scalar(project.tenant_id)};
  if (project.shard_count != 1 || project.stripe_size != 2048) {
    item.push_back("shards:");
    item.push_back(spaces(step) + fmt::format("count: {}", project.shard_count));
    item.push_back(spaces(step) + fmt::format("stripeSize: {}", project.stripe_size));
  }
  item.push_back("branches:");
  item.push_back(spaces(branch_dash) + "-" + spaces(branch_offset - 1) + "name: main");
  item.push_back(spaces(branch_dash + branch_offset) + "timelineId: " + id_scalar(project.main_timeline_id));
  auto extra = role_lines(project.roles, project.databases);
  NEON_TRY(extra);
  for (const auto& line : *extra) {
    item.push_back(spaces(branch_dash + branch_offset) + line);
  }
  const int dash = ps->empty ? ps->key_col + 2 : ps->dash_col;
  append_item(t, *ps, dash, ps->empty ? 2 : ps->item_offset, item);
  return t.join();
}

Result<std::string> remove_project(std::string_view text, const std::string& name) {
  auto doc = parse(text);
  NEON_TRY(doc);
  Lines t(text);
  auto ps = locate(t, doc->spec, "projects", "spec");
  NEON_TRY(ps);
  auto i = find_named(list_value(doc->spec, "projects"), name, "project");
  NEON_TRY(i);
  remove_item(t, *ps, *i);
  return t.join();
}

Result<std::string> add_branch(std::string_view text, const NewBranch& branch) {
  auto doc = parse(text);
  NEON_TRY(doc);
  Lines t(text);
  const YAML::Node projects = list_value(doc->spec, "projects");
  auto pi = find_named(projects, branch.project, "project");
  NEON_TRY(pi);
  const YAML::Node project = projects[*pi];
  auto bs = locate(t, project, "branches", fmt::format("project \"{}\"", branch.project));
  NEON_TRY(bs);
  const YAML::Node branches = list_value(project, "branches");
  const auto names = names_of(branches);
  if (std::find(names.begin(), names.end(), branch.name) != names.end()) {
    return make_error(fmt::format("branch \"{}/{}\" already exists", branch.project, branch.name));
  }
  std::string parent = branch.parent;
  if (parent.empty()) {
    // The project's root branch: the one without a parent.
    for (const auto& b : branches) {
      if (scalar_of(b, "parent").empty()) {
        parent = scalar_of(b, "name");
        break;
      }
    }
    if (parent.empty()) {
      return make_error(fmt::format("project \"{}\" has no root branch to branch from; pass --from", branch.project));
    }
  }
  if (std::find(names.begin(), names.end(), parent) == names.end()) {
    return make_error(fmt::format("no branch \"{}\" in project \"{}\" to branch from{}", parent, branch.project,
                                  suggestion_suffix(parent, names)));
  }
  std::vector<std::string> item{"name: " + branch.name, "timelineId: " + id_scalar(branch.timeline_id),
                                "parent: " + parent};
  if (!branch.lsn.empty()) {
    item.push_back("lsn: \"" + branch.lsn + "\"");
  }
  if (!branch.timestamp.empty()) {
    item.push_back("timestamp: \"" + branch.timestamp + "\"");
  }
  auto extra = role_lines(branch.roles, branch.databases);
  NEON_TRY(extra);
  item.insert(item.end(), extra->begin(), extra->end());
  const int dash = bs->empty ? bs->key_col + 2 : bs->dash_col;
  append_item(t, *bs, dash, bs->empty ? 2 : bs->item_offset, item);
  return t.join();
}

Result<std::string> remove_branch(std::string_view text, const std::string& project_name, const std::string& name) {
  auto doc = parse(text);
  NEON_TRY(doc);
  Lines t(text);
  const YAML::Node projects = list_value(doc->spec, "projects");
  auto pi = find_named(projects, project_name, "project");
  NEON_TRY(pi);
  const YAML::Node project = projects[*pi];
  auto bs = locate(t, project, "branches", fmt::format("project \"{}\"", project_name));
  NEON_TRY(bs);
  const YAML::Node branches = list_value(project, "branches");
  auto bi = find_named(branches, name, fmt::format("branch in project \"{}\":", project_name));
  NEON_TRY(bi);
  std::vector<std::string> children;
  for (const auto& b : branches) {
    if (scalar_of(b, "parent") == name) {
      children.push_back(project_name + "/" + scalar_of(b, "name"));
    }
  }
  if (!children.empty()) {
    return make_error(fmt::format("branch \"{}/{}\" is the parent of {}; delete or re-parent {} first", project_name,
                                  name, fmt::join(children, ", "), children.size() == 1 ? "it" : "them"));
  }
  if (bs->first.size() == 1) {
    return make_error(fmt::format("\"{}/{}\" is the only branch of project \"{}\"; delete the project instead",
                                  project_name, name, project_name));
  }
  remove_item(t, *bs, *bi);
  return t.join();
}

}  // namespace neon::gen
