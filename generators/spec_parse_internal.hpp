#pragma once
// Shared by the spec_parse*.cpp files only: the Reader that walks the YAML tree recording marks
// and diagnostics, and the readers for the sections parse_spec assembles. Not part of the API.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "generators/diagnostics.hpp"
#include "generators/spec.hpp"

namespace neon::gen::detail {

/// The 1-based position of `n`, or an unknown mark.
Mark mark_of(const YAML::Node& n);

/// `n` as a diagnostic names it: "a map", "a list", "null" or the quoted scalar.
std::string describe(const YAML::Node& n);

/// Walks the YAML tree, recording marks and diagnostics. Every accessor reports its own errors
/// and returns nullopt when the value is absent or wrong, so parsing always goes on.
class Reader {
public:
  Reader(const std::string& file, std::vector<Diagnostic>& diags, std::map<std::string, Mark>& marks)
      : m_file(file), m_diags(diags), m_marks(marks) {}

  void error(Mark mark, const std::string& path, std::string message, DiagKind kind = DiagKind::other) {
    m_diags.push_back({m_file, mark, path, std::move(message), false, kind});
  }

  /// Checks that `n` is a map whose keys all belong to table `table_path`, with no duplicates,
  /// and that required keys are present. Returns false if `n` is not a map.
  bool map(const YAML::Node& n, const std::string& path, const std::string& table_path);

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  static bool present(const YAML::Node& map, const std::string& key) {
    const YAML::Node v = map[key];
    return v.IsDefined() && !v.IsNull();
  }

  /// The value at `key`, or an undefined node; records its mark.
  YAML::Node child(const YAML::Node& map, const std::string& path, const std::string& key);

  std::optional<std::string> string(const YAML::Node& map, const std::string& path, const std::string& key);
  std::optional<long long> integer(const YAML::Node& map, const std::string& path, const std::string& key);
  std::optional<double> number(const YAML::Node& map, const std::string& path, const std::string& key);
  std::optional<bool> boolean(const YAML::Node& map, const std::string& path, const std::string& key);
  /// A scalar child turned into T by `convert` (nullopt: "must be <expected>, got ...").
  template <typename T, typename Convert>
  std::optional<T> scalar(const YAML::Node& map, const std::string& path, const std::string& key, const char* expected,
                          Convert convert);
  std::vector<std::string> string_list(const YAML::Node& map, const std::string& path, const std::string& key);
  std::map<std::string, std::string> string_map(const YAML::Node& map, const std::string& path, const std::string& key);

  /// A child that must be a map checked against `table_path`; undefined when absent or wrong.
  YAML::Node section(const YAML::Node& map, const std::string& path, const std::string& key,
                     const std::string& table_path);

  /// A child that must be a list; returns its items (empty when absent or wrong).
  std::vector<YAML::Node> list(const YAML::Node& map, const std::string& path, const std::string& key);

private:
  const std::string& m_file;
  std::vector<Diagnostic>& m_diags;
  std::map<std::string, Mark>& m_marks;
};

template <typename T>
void set_if(std::optional<T> v, T& out) {
  if (v) {
    out = *v;
  }
}

/// `resources` (requests and limits) under `parent` at `path`, checked against `table_path`.
void read_resources(Reader& r, const YAML::Node& parent, const std::string& path, const std::string& table_path,
                    Resources& out);

// Cluster-level sections of `spec` (spec_parse_cluster.cpp); each does nothing when absent.
void read_images(Reader& r, const YAML::Node& spec, ClusterSpec& out);
void read_object_storage(Reader& r, const YAML::Node& spec, ClusterSpec& out);
void read_storage_controller(Reader& r, const YAML::Node& spec, ClusterSpec& out);
void read_pageservers(Reader& r, const YAML::Node& spec, ClusterSpec& out);
void read_safekeepers(Reader& r, const YAML::Node& spec, ClusterSpec& out);
void read_broker(Reader& r, const YAML::Node& spec, ClusterSpec& out);
void read_gitops(Reader& r, const YAML::Node& spec, ClusterSpec& out);
/// spec.monitoring, spec.networkPolicies, spec.tls, spec.compute and spec.sync (spec_parse_network.cpp).
void read_network(Reader& r, const YAML::Node& spec, ClusterSpec& out);

/// spec.proxy (spec_parse_proxy.cpp).
void read_proxy(Reader& r, const YAML::Node& spec, ClusterSpec& out);

/// spec.projects[].tenantConfig at `path`: each value checked against its key's type and kept as
/// JSON, sorted by key (spec_parse_tenant_config.cpp).
void read_tenant_config(Reader& r, const YAML::Node& tc, const std::string& path, std::vector<TenantConfigValue>& out);

/// One item of spec.projects at path `p`, with its branches (spec_parse_projects.cpp).
void read_project(Reader& r, const YAML::Node& n, const std::string& p, Project& pr);

}  // namespace neon::gen::detail
