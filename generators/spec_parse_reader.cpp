// The Reader's accessors and the node helpers behind them: the key-table check for maps, type
// checks for scalars, lists and string maps, each reporting its own diagnostic.
#include "generators/spec_parse_internal.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "generators/spec_parse.hpp"

namespace neon::gen::detail {

namespace {

const KeyTable& table(const std::string& path) {
  for (const auto& t : spec_key_tables()) {
    if (t.path == path) {
      return t;
    }
  }
  std::abort();  // a programming error: every table the parser uses is in spec_key_tables()
}

}  // namespace

Mark mark_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) {
    return {};
  }
  return {m.line + 1, m.column + 1};
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return n.Tag() == "!" ? fmt::format("string \"{}\"", n.Scalar()) : fmt::format("\"{}\"", n.Scalar());
    default:
      return "nothing";
  }
}

bool Reader::map(const YAML::Node& n, const std::string& path, const std::string& table_path) {
  m_marks.emplace(path, mark_of(n));
  if (!n.IsMap()) {
    error(mark_of(n), path, fmt::format("must be a map, got {}", describe(n)), DiagKind::invalid);
    return false;
  }
  const KeyTable& t = table(table_path);
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: it->first lives in a temporary proxy
    if (!key.IsScalar()) {
      error(mark_of(key), path, "keys must be strings");
      continue;
    }
    const std::string k = key.Scalar();
    if (!seen.insert(k).second) {
      error(mark_of(key), join(path, k), "duplicate key");
      continue;
    }
    if (std::find(t.keys.begin(), t.keys.end(), k) == t.keys.end()) {
      error(mark_of(key), path, fmt::format("unknown field \"{}\"{}", k, suggestion_suffix(k, t.keys)));
    }
  }
  for (const auto& r : t.required) {
    if (!present(n, r)) {
      error(mark_of(n), join(path, r), "required field is missing", DiagKind::missing);
    }
  }
  return true;
}

YAML::Node Reader::child(const YAML::Node& map, const std::string& path, const std::string& key) {
  if (!map.IsMap()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  const YAML::Node v = map[key];
  if (v.IsDefined() && !v.IsNull()) {
    m_marks.emplace(join(path, key), mark_of(v));
    return v;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::string> Reader::string(const YAML::Node& map, const std::string& path, const std::string& key) {
  const YAML::Node v = child(map, path, key);
  if (!v.IsDefined()) {
    return std::nullopt;
  }
  if (!v.IsScalar()) {
    error(mark_of(v), join(path, key), fmt::format("must be a string, got {}", describe(v)), DiagKind::invalid);
    return std::nullopt;
  }
  return v.Scalar();
}

template <typename T, typename Convert>
std::optional<T> Reader::scalar(const YAML::Node& map, const std::string& path, const std::string& key,
                                const char* expected, Convert convert) {
  const YAML::Node v = child(map, path, key);
  if (!v.IsDefined()) {
    return std::nullopt;
  }
  if (v.IsScalar() && v.Tag() != "!") {
    if (std::optional<T> x = convert(v.Scalar())) {
      return x;
    }
  }
  error(mark_of(v), join(path, key), fmt::format("must be {}, got {}", expected, describe(v)), DiagKind::invalid);
  return std::nullopt;
}

std::optional<long long> Reader::integer(const YAML::Node& map, const std::string& path, const std::string& key) {
  return scalar<long long>(map, path, key, "an integer", [](const std::string& s) -> std::optional<long long> {
    char* end = nullptr;
    errno = 0;
    const long long x = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0) {
      return x;
    }
    return std::nullopt;
  });
}

std::optional<double> Reader::number(const YAML::Node& map, const std::string& path, const std::string& key) {
  return scalar<double>(map, path, key, "a number", [](const std::string& s) -> std::optional<double> {
    char* end = nullptr;
    const double x = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(x)) {
      return x;
    }
    return std::nullopt;
  });
}

std::optional<bool> Reader::boolean(const YAML::Node& map, const std::string& path, const std::string& key) {
  return scalar<bool>(map, path, key, "true or false", [](const std::string& s) -> std::optional<bool> {
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
    return std::nullopt;
  });
}

std::vector<std::string> Reader::string_list(const YAML::Node& map, const std::string& path, const std::string& key) {
  std::vector<std::string> out;
  const YAML::Node v = child(map, path, key);
  if (!v.IsDefined()) {
    return out;
  }
  const std::string p = join(path, key);
  if (!v.IsSequence()) {
    error(mark_of(v), p, fmt::format("must be a list of strings, got {}", describe(v)), DiagKind::invalid);
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string ip = fmt::format("{}[{}]", p, i);
    m_marks.emplace(ip, mark_of(v[i]));
    if (!v[i].IsScalar()) {
      error(mark_of(v[i]), ip, fmt::format("must be a string, got {}", describe(v[i])), DiagKind::invalid);
      continue;
    }
    out.push_back(v[i].Scalar());
  }
  return out;
}

std::map<std::string, std::string> Reader::string_map(const YAML::Node& map, const std::string& path,
                                                      const std::string& key) {
  std::map<std::string, std::string> out;
  const YAML::Node v = child(map, path, key);
  if (!v.IsDefined()) {
    return out;
  }
  const std::string p = join(path, key);
  if (!v.IsMap()) {
    error(mark_of(v), p, fmt::format("must be a map of strings, got {}", describe(v)), DiagKind::invalid);
    return out;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string k = it->first.Scalar();
    const std::string kp = join(p, k);
    m_marks.emplace(kp, mark_of(it->second));
    if (out.count(k) != 0) {
      error(mark_of(it->first), kp, "duplicate key");
      continue;
    }
    if (!it->second.IsScalar()) {
      error(mark_of(it->second), kp, fmt::format("must be a string, got {}", describe(it->second)), DiagKind::invalid);
      continue;
    }
    out[k] = it->second.Scalar();
  }
  return out;
}

YAML::Node Reader::section(const YAML::Node& map, const std::string& path, const std::string& key,
                           const std::string& table_path) {
  const YAML::Node v = child(map, path, key);
  if (!v.IsDefined()) {
    return v;
  }
  if (!this->map(v, join(path, key), table_path)) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return v;
}

std::vector<YAML::Node> Reader::list(const YAML::Node& map, const std::string& path, const std::string& key) {
  std::vector<YAML::Node> out;
  const YAML::Node v = child(map, path, key);
  if (!v.IsDefined()) {
    return out;
  }
  if (!v.IsSequence()) {
    error(mark_of(v), join(path, key), fmt::format("must be a list, got {}", describe(v)), DiagKind::invalid);
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.push_back(v[i]);
  }
  return out;
}

}  // namespace neon::gen::detail
