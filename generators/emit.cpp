#include "generators/emit.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <yaml-cpp/yaml.h>

namespace neon::gen {
namespace {

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), s) != words.end();
}

// Scalars YAML 1.1 resolves to a number, timestamp or sexagesimal: a digit somewhere and only
// characters that can appear in such literals.
bool looks_numeric(std::string_view s) {
  bool digit = false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isdigit(u) != 0) {
      digit = true;
    } else if (std::isxdigit(u) == 0 && std::string_view("xXoO._:+-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return digit;
}

std::string double_quoted(std::string_view s) { return Json(std::string(s)).dump(); }

std::string scalar(const Json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return needs_quotes(s) ? double_quoted(s) : s;
  }
  return v.dump();
}

bool is_block_string(const Json& v) {
  if (!v.is_string()) {
    return false;
  }
  const auto& s = v.get_ref<const std::string&>();
  if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n') {
    return false;
  }
  // Literal blocks cannot carry trailing spaces faithfully, tabs or carriage returns.
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\r' || c == '\t' || (c == ' ' && (i + 1 == s.size() || s[i + 1] == '\n'))) {
      return false;
    }
  }
  return true;
}

void emit_block_string(std::string& out, const std::string& s, int indent) {
  std::size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') {
    ++trailing;
  }
  out += trailing == 0 ? "|-\n" : (trailing == 1 ? "|\n" : "|+\n");
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::size_t start = 0;
  const std::size_t body_end = s.size() - trailing;
  while (start <= body_end) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string::npos || nl > body_end) {
      nl = body_end;
    }
    const std::string_view line(s.data() + start, nl - start);
    if (!line.empty()) {
      out += pad;
      out += line;
    }
    out += '\n';
    start = nl + 1;
  }
  for (std::size_t i = 1; i < trailing; ++i) {
    out += '\n';
  }
}

bool is_empty_collection(const Json& v) { return (v.is_object() || v.is_array()) && v.empty(); }

void emit_value(std::string& out, const Json& v, int indent);

// Writes what follows `key:` or `- `: a scalar on the same line, or a nested block.
void emit_after_key(std::string& out, const Json& v, int indent) {
  if (is_empty_collection(v)) {
    out += v.is_object() ? " {}\n" : " []\n";
  } else if (v.is_object()) {
    out += '\n';
    emit_value(out, v, indent + 2);
  } else if (v.is_array()) {
    // kubectl style: a sequence under a key is not indented further.
    out += '\n';
    emit_value(out, v, indent);
  } else if (is_block_string(v)) {
    out += ' ';
    emit_block_string(out, v.get_ref<const std::string&>(), indent + 2);
  } else {
    out += ' ';
    out += scalar(v);
    out += '\n';
  }
}

void emit_value(std::string& out, const Json& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      out += pad;
      out += needs_quotes(it.key()) ? double_quoted(it.key()) : it.key();
      out += ':';
      emit_after_key(out, it.value(), indent);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      out += pad;
      out += '-';
      if (item.is_object() && !item.empty()) {
        // The first key shares the dash's line; the rest align with it.
        std::string nested;
        emit_value(nested, item, indent + 2);
        out += ' ';
        out += nested.substr(static_cast<std::size_t>(indent) + 2);
      } else if (item.is_array() && !item.empty()) {
        out += '\n';
        emit_value(out, item, indent + 2);
      } else {
        emit_after_key(out, item, indent);
      }
    }
  } else {
    out += pad;
    if (is_block_string(v)) {
      emit_block_string(out, v.get_ref<const std::string&>(), indent + 2);
    } else {
      out += scalar(v);
      out += '\n';
    }
  }
}

Json from_node(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : n) {
        out[kv.first.as<std::string>()] = from_node(kv.second);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : n) {
        out.push_back(from_node(item));
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() != "?") {
        return s;  // quoted or explicitly tagged: a string
      }
      if (s == "true" || s == "false") {
        return s == "true";
      }
      if (is_one_of(s, {"null", "~", ""})) {
        return nullptr;
      }
      const Json parsed = Json::parse(s, nullptr, false);
      if (!parsed.is_discarded() && parsed.is_number()) {
        return parsed;
      }
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace

bool needs_quotes(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') {
    return true;
  }
  // A dash followed by a non-space is a plain scalar (`--listen=...`); `- x`, `-` and `---` are not.
  if (s.front() == '-' && (s.size() == 1 || s[1] == ' ' || s.compare(0, 3, "---") == 0)) {
    return true;
  }
  if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) {
    return true;
  }
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return true;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return true;
    }
  }
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (is_one_of(lower, {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ".inf", "-.inf", "+.inf",
                        ".nan", "<<", "="})) {
    return true;
  }
  return looks_numeric(s);
}

std::string to_yaml(const Json& value) {
  std::string out;
  if (is_empty_collection(value)) {
    return value.is_object() ? "{}\n" : "[]\n";
  }
  emit_value(out, value, 0);
  return out;
}

std::string to_yaml_stream(const std::vector<Json>& documents) {
  std::string out;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (i > 0) {
      out += "---\n";
    }
    out += to_yaml(documents[i]);
  }
  return out;
}

int kind_rank(const std::string& kind) {
  static constexpr std::array<std::string_view, 22> k_first = {"Namespace",
                                                               "ResourceQuota",
                                                               "StorageClass",
                                                               "CustomResourceDefinition",
                                                               "ServiceAccount",
                                                               "PodSecurityPolicy",
                                                               "Role",
                                                               "ClusterRole",
                                                               "RoleBinding",
                                                               "ClusterRoleBinding",
                                                               "ConfigMap",
                                                               "Secret",
                                                               "Endpoints",
                                                               "Service",
                                                               "LimitRange",
                                                               "PriorityClass",
                                                               "PersistentVolume",
                                                               "PersistentVolumeClaim",
                                                               "Deployment",
                                                               "StatefulSet",
                                                               "CronJob",
                                                               "PodDisruptionBudget"};
  static constexpr std::array<std::string_view, 2> k_last = {"MutatingWebhookConfiguration",
                                                             "ValidatingWebhookConfiguration"};
  const auto* first = std::find(k_first.begin(), k_first.end(), kind);
  if (first != k_first.end()) {
    return static_cast<int>(first - k_first.begin());
  }
  const auto* last = std::find(k_last.begin(), k_last.end(), kind);
  if (last != k_last.end()) {
    return 1000 + static_cast<int>(last - k_last.begin());
  }
  return 500;
}

void sort_for_output(std::vector<Json>& objects) {
  auto key = [](const Json& o) {
    const std::string kind = o.value("kind", "");
    std::string name;
    if (o.contains("metadata") && o["metadata"].is_object()) {
      name = o["metadata"].value("name", "");
    }
    return std::make_tuple(kind_rank(kind), kind, name);
  };
  std::stable_sort(objects.begin(), objects.end(), [&](const Json& a, const Json& b) { return key(a) < key(b); });
}

Result<std::vector<Json>> parse_yaml_stream(std::string_view text) {
  try {
    std::vector<Json> out;
    for (const auto& doc : YAML::LoadAll(std::string(text))) {
      if (doc.IsNull()) {
        continue;
      }
      out.push_back(from_node(doc));
    }
    return out;
  } catch (const YAML::Exception& e) {
    return make_error(e.what());
  }
}

}  // namespace neon::gen
