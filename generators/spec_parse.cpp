#include "generators/spec_parse.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "generators/spec_text.hpp"

namespace neon::gen {

const std::vector<KeyTable>& spec_key_tables() {
  static const std::vector<KeyTable> k_tables = {
      {"", {"apiVersion", "kind", "metadata", "spec"}, {"apiVersion", "kind", "metadata", "spec"}},
      {"metadata", {"name", "namespace"}, {"name"}},
      {"spec",
       {"profile", "images", "objectStorage", "storageController", "pageservers", "safekeepers", "storageBroker",
        "projects", "gitops", "monitoring", "networkPolicies"},
       {"images", "objectStorage", "projects"}},
      {"spec.images", {"storage", "compute", "hook", "minio", "minioClient", "postgres"}, {"storage", "compute", "hook"}},
      {"spec.objectStorage", {"minio", "endpoint", "bucket", "region", "prefix", "credentials"}, {"bucket", "region"}},
      {"spec.objectStorage.credentials", {"secretRef", "workloadIdentity"}, {}},
      {"spec.objectStorage.credentials.secretRef", {"name"}, {"name"}},
      {"spec.objectStorage.credentials.workloadIdentity", {"serviceAccountAnnotations"}, {"serviceAccountAnnotations"}},
      {"spec.storageController", {"database", "auth", "ha", "resources"}, {}},
      {"spec.storageController.database", {"inCluster", "secretRef"}, {}},
      {"spec.storageController.database.secretRef", {"name", "key"}, {"name"}},
      {"spec.storageController.auth", {"enabled", "keySecret", "tokenSecret", "computeSigningSecret"}, {"enabled"}},
      {"spec.storageController.resources", {"requests", "limits"}, {}},
      {"spec.pageservers", {"count", "zones", "storage", "resources"}, {}},
      {"spec.pageservers.storage", {"size", "storageClass"}, {"size"}},
      {"spec.pageservers.resources", {"requests", "limits"}, {}},
      {"spec.safekeepers", {"count", "zones", "storage", "walOffload", "resources"}, {}},
      {"spec.safekeepers.storage", {"size", "storageClass"}, {"size"}},
      {"spec.safekeepers.resources", {"requests", "limits"}, {}},
      {"spec.storageBroker", {"replicas", "resources"}, {}},
      {"spec.storageBroker.resources", {"requests", "limits"}, {}},
      {"spec.projects[]", {"name", "pgVersion", "tenantId", "shards", "tenantConfig", "branches"},
       {"name", "tenantId", "branches"}},
      {"spec.projects[].shards", {"count", "stripeSize"}, {}},
      {"spec.projects[].branches[]", {"name", "timelineId", "parent", "lsn", "timestamp", "compute"},
       {"name", "timelineId"}},
      {"spec.projects[].branches[].compute", {"size", "readReplicas"}, {}},
      {"spec.gitops", {"target", "repoURL", "revision", "path"}, {"target"}},
      {"spec.monitoring", {"enabled"}, {"enabled"}},
      {"spec.networkPolicies", {"enabled"}, {"enabled"}},
  };
  return k_tables;
}

const std::vector<std::string>& tenant_config_keys() {
  static const std::vector<std::string> k_keys = {
      "checkpoint_distance", "checkpoint_timeout", "compaction_target_size", "compaction_period",
      "compaction_threshold", "compaction_upper_limit", "compaction_algorithm", "compaction_shard_ancestor",
      "gc_horizon", "gc_period", "pitr_interval", "image_creation_threshold",
      "image_layer_force_creation_period", "image_layer_creation_check_threshold",
      "image_creation_preempt_threshold", "walreceiver_connect_timeout", "lagging_wal_timeout", "max_lsn_wal_lag",
      "eviction_policy", "min_resident_size_override", "evictions_low_residence_duration_metric_threshold",
      "heatmap_period", "lazy_slru_download", "timeline_get_throttle", "lsn_lease_length",
      "lsn_lease_length_for_ts", "timeline_offloading", "gc_compaction_enabled", "gc_compaction_verification",
      "gc_compaction_initial_threshold_kb", "gc_compaction_ratio_percent", "sampling_ratio",
      "relsize_snapshot_cache_capacity", "basebackup_cache_enabled",
  };
  return k_keys;
}

namespace {

const KeyTable& table(const std::string& path) {
  for (const auto& t : spec_key_tables()) {
    if (t.path == path) {
      return t;
    }
  }
  std::abort();  // a programming error: every table the parser uses is listed above
}

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

/// Walks the YAML tree, recording marks and diagnostics. Every accessor reports its own errors
/// and returns nullopt when the value is absent or wrong, so parsing always goes on.
class Reader {
public:
  Reader(const std::string& file, std::vector<Diagnostic>& diags, std::map<std::string, Mark>& marks)
      : m_file(file), m_diags(diags), m_marks(marks) {}

  void error(Mark mark, const std::string& path, std::string message) {
    m_diags.push_back({m_file, mark, path, std::move(message)});
  }

  /// Checks that `n` is a map whose keys all belong to table `table_path`, with no duplicates,
  /// and that required keys are present. Returns false if `n` is not a map.
  bool map(const YAML::Node& n, const std::string& path, const std::string& table_path) {
    m_marks.emplace(path, mark_of(n));
    if (!n.IsMap()) {
      error(mark_of(n), path, fmt::format("must be a map, got {}", describe(n)));
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
        error(mark_of(n), join(path, r), "required field is missing");
      }
    }
    return true;
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  static bool present(const YAML::Node& map, const std::string& key) {
    const YAML::Node v = map[key];
    return v.IsDefined() && !v.IsNull();
  }

  /// The value at `key`, or an undefined node; records its mark.
  YAML::Node child(const YAML::Node& map, const std::string& path, const std::string& key) {
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

  std::optional<std::string> string(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node v = child(map, path, key);
    if (!v.IsDefined()) {
      return std::nullopt;
    }
    if (!v.IsScalar()) {
      error(mark_of(v), join(path, key), fmt::format("must be a string, got {}", describe(v)));
      return std::nullopt;
    }
    return v.Scalar();
  }

  std::optional<long long> integer(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node v = child(map, path, key);
    if (!v.IsDefined()) {
      return std::nullopt;
    }
    if (v.IsScalar() && v.Tag() != "!") {
      const std::string& s = v.Scalar();
      char* end = nullptr;
      errno = 0;
      const long long x = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end == s.c_str() + s.size() && errno == 0) {
        return x;
      }
    }
    error(mark_of(v), join(path, key), fmt::format("must be an integer, got {}", describe(v)));
    return std::nullopt;
  }

  std::optional<double> number(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node v = child(map, path, key);
    if (!v.IsDefined()) {
      return std::nullopt;
    }
    if (v.IsScalar() && v.Tag() != "!") {
      const std::string& s = v.Scalar();
      char* end = nullptr;
      const double x = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(x)) {
        return x;
      }
    }
    error(mark_of(v), join(path, key), fmt::format("must be a number, got {}", describe(v)));
    return std::nullopt;
  }

  std::optional<bool> boolean(const YAML::Node& map, const std::string& path, const std::string& key) {
    const YAML::Node v = child(map, path, key);
    if (!v.IsDefined()) {
      return std::nullopt;
    }
    if (v.IsScalar() && v.Tag() != "!") {
      const std::string& s = v.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") {
        return true;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        return false;
      }
    }
    error(mark_of(v), join(path, key), fmt::format("must be true or false, got {}", describe(v)));
    return std::nullopt;
  }

  std::vector<std::string> string_list(const YAML::Node& map, const std::string& path, const std::string& key) {
    std::vector<std::string> out;
    const YAML::Node v = child(map, path, key);
    if (!v.IsDefined()) {
      return out;
    }
    const std::string p = join(path, key);
    if (!v.IsSequence()) {
      error(mark_of(v), p, fmt::format("must be a list of strings, got {}", describe(v)));
      return out;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string ip = fmt::format("{}[{}]", p, i);
      m_marks.emplace(ip, mark_of(v[i]));
      if (!v[i].IsScalar()) {
        error(mark_of(v[i]), ip, fmt::format("must be a string, got {}", describe(v[i])));
        continue;
      }
      out.push_back(v[i].Scalar());
    }
    return out;
  }

  std::map<std::string, std::string> string_map(const YAML::Node& map, const std::string& path,
                                                const std::string& key) {
    std::map<std::string, std::string> out;
    const YAML::Node v = child(map, path, key);
    if (!v.IsDefined()) {
      return out;
    }
    const std::string p = join(path, key);
    if (!v.IsMap()) {
      error(mark_of(v), p, fmt::format("must be a map of strings, got {}", describe(v)));
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
        error(mark_of(it->second), kp, fmt::format("must be a string, got {}", describe(it->second)));
        continue;
      }
      out[k] = it->second.Scalar();
    }
    return out;
  }

  /// A child that must be a map checked against `table_path`; undefined when absent or wrong.
  YAML::Node section(const YAML::Node& map, const std::string& path, const std::string& key,
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

  /// A child that must be a list; returns its items (empty when absent or wrong).
  std::vector<YAML::Node> list(const YAML::Node& map, const std::string& path, const std::string& key) {
    std::vector<YAML::Node> out;
    const YAML::Node v = child(map, path, key);
    if (!v.IsDefined()) {
      return out;
    }
    if (!v.IsSequence()) {
      error(mark_of(v), join(path, key), fmt::format("must be a list, got {}", describe(v)));
      return out;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      out.push_back(v[i]);
    }
    return out;
  }

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

void read_resources(Reader& r, const YAML::Node& parent, const std::string& path, const std::string& table_path,
                    Resources& out) {
  const YAML::Node n = r.section(parent, path, "resources", table_path);
  if (!n.IsDefined()) {
    return;
  }
  const std::string p = Reader::join(path, "resources");
  out.requests = r.string_map(n, p, "requests");
  out.limits = r.string_map(n, p, "limits");
}

void read_volume(Reader& r, const YAML::Node& parent, const std::string& path, const std::string& table_path,
                 VolumeSpec& out) {
  const YAML::Node n = r.section(parent, path, "storage", table_path);
  if (!n.IsDefined()) {
    return;
  }
  const std::string p = Reader::join(path, "storage");
  set_if(r.string(n, p, "size"), out.size);
  set_if(r.string(n, p, "storageClass"), out.storage_class);
}

void read_images(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const YAML::Node n = r.section(spec, "spec", "images", "spec.images");
  if (!n.IsDefined()) {
    return;
  }
  const std::string p = "spec.images";
  auto& im = out.images;
  set_if(r.string(n, p, "storage"), im.storage);
  set_if(r.string(n, p, "hook"), im.hook);
  set_if(r.string(n, p, "minio"), im.minio);
  set_if(r.string(n, p, "minioClient"), im.minio_client);
  set_if(r.string(n, p, "postgres"), im.postgres);
  for (const auto& [version, image] : r.string_map(n, p, "compute")) {
    char* end = nullptr;
    const long v = std::strtol(version.c_str(), &end, 10);
    if (version.empty() || *end != '\0' || v < 14 || v > 17) {
      r.error(out.mark_of(p + ".compute." + version), p + ".compute",
              fmt::format("unknown Postgres version \"{}\" (supported: 14, 15, 16, 17)", version));
      continue;
    }
    im.compute[static_cast<int>(v)] = image;
  }
}

void read_object_storage(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const std::string p = "spec.objectStorage";
  const YAML::Node n = r.section(spec, "spec", "objectStorage", p);
  if (!n.IsDefined()) {
    return;
  }
  auto& os = out.object_storage;
  set_if(r.boolean(n, p, "minio"), os.minio);
  set_if(r.string(n, p, "endpoint"), os.endpoint);
  set_if(r.string(n, p, "bucket"), os.bucket);
  set_if(r.string(n, p, "region"), os.region);
  set_if(r.string(n, p, "prefix"), os.prefix);
  const YAML::Node c = r.section(n, p, "credentials", p + ".credentials");
  if (!c.IsDefined()) {
    return;
  }
  const std::string cp = p + ".credentials";
  const YAML::Node s = r.section(c, cp, "secretRef", cp + ".secretRef");
  const YAML::Node w = r.section(c, cp, "workloadIdentity", cp + ".workloadIdentity");
  if (s.IsDefined()) {
    os.credentials = CredentialsMode::secret;
    set_if(r.string(s, cp + ".secretRef", "name"), os.credentials_secret);
  }
  if (w.IsDefined()) {
    os.credentials = CredentialsMode::workload_identity;
    os.service_account_annotations = r.string_map(w, cp + ".workloadIdentity", "serviceAccountAnnotations");
  }
  if (s.IsDefined() && w.IsDefined()) {
    r.error(out.mark_of(cp), cp, "set either secretRef or workloadIdentity, not both");
  }
}

void read_storage_controller(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const std::string p = "spec.storageController";
  const YAML::Node n = r.section(spec, "spec", "storageController", p);
  if (!n.IsDefined()) {
    return;
  }
  auto& sc = out.storage_controller;
  const YAML::Node db = r.section(n, p, "database", p + ".database");
  if (db.IsDefined()) {
    const std::string dp = p + ".database";
    const auto in_cluster = r.boolean(db, dp, "inCluster");
    const YAML::Node ref = r.section(db, dp, "secretRef", dp + ".secretRef");
    if (ref.IsDefined()) {
      sc.database = DatabaseMode::secret;
      set_if(r.string(ref, dp + ".secretRef", "name"), sc.database_secret);
      set_if(r.string(ref, dp + ".secretRef", "key"), sc.database_secret_key);
      if (in_cluster.value_or(false)) {
        r.error(out.mark_of(dp), dp, "set either inCluster: true or secretRef, not both");
      }
    } else if (in_cluster) {
      sc.database = *in_cluster ? DatabaseMode::in_cluster : DatabaseMode::secret;
      if (!*in_cluster) {
        r.error(out.mark_of(dp + ".inCluster"), dp, "secretRef is required when inCluster is false");
      }
    }
  }
  const YAML::Node auth = r.section(n, p, "auth", p + ".auth");
  if (auth.IsDefined()) {
    const std::string ap = p + ".auth";
    set_if(r.boolean(auth, ap, "enabled"), sc.auth.enabled);
    set_if(r.string(auth, ap, "keySecret"), sc.auth.key_secret);
    set_if(r.string(auth, ap, "tokenSecret"), sc.auth.token_secret);
    set_if(r.string(auth, ap, "computeSigningSecret"), sc.auth.compute_signing_secret);
  }
  set_if(r.boolean(n, p, "ha"), sc.ha);
  read_resources(r, n, p, p + ".resources", sc.resources);
}

void read_pageservers(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const std::string p = "spec.pageservers";
  const YAML::Node n = r.section(spec, "spec", "pageservers", p);
  if (!n.IsDefined()) {
    return;
  }
  auto& ps = out.pageservers;
  if (auto c = r.integer(n, p, "count")) {
    ps.count = static_cast<int>(std::clamp<long long>(*c, -1, 100000));
  }
  ps.zones = r.string_list(n, p, "zones");
  read_volume(r, n, p, p + ".storage", ps.storage);
  read_resources(r, n, p, p + ".resources", ps.resources);
}

void read_safekeepers(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const std::string p = "spec.safekeepers";
  const YAML::Node n = r.section(spec, "spec", "safekeepers", p);
  if (!n.IsDefined()) {
    return;
  }
  auto& sk = out.safekeepers;
  if (auto c = r.integer(n, p, "count")) {
    sk.count = static_cast<int>(std::clamp<long long>(*c, -1, 100000));
  }
  sk.zones = r.string_list(n, p, "zones");
  read_volume(r, n, p, p + ".storage", sk.storage);
  set_if(r.boolean(n, p, "walOffload"), sk.wal_offload);
  read_resources(r, n, p, p + ".resources", sk.resources);
}

void read_broker(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const std::string p = "spec.storageBroker";
  const YAML::Node n = r.section(spec, "spec", "storageBroker", p);
  if (!n.IsDefined()) {
    return;
  }
  if (auto c = r.integer(n, p, "replicas")) {
    out.storage_broker.replicas = static_cast<int>(std::clamp<long long>(*c, -1, 100000));
  }
  read_resources(r, n, p, p + ".resources", out.storage_broker.resources);
}

std::string scalar_json(const YAML::Node& v) {
  const std::string& s = v.Scalar();
  if (v.Tag() != "!") {
    if (s == "true" || s == "false") {
      return s;
    }
    char* end = nullptr;
    (void)std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) {
      return s;
    }
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string node_json(const YAML::Node& v, int depth) {
  if (depth > k_max_nesting) {
    return "null";
  }
  if (v.IsScalar()) {
    return scalar_json(v);
  }
  if (v.IsSequence()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      out += (i ? "," : "") + node_json(v[i], depth + 1);
    }
    return out + "]";
  }
  if (v.IsMap()) {
    std::map<std::string, std::string> sorted;
    for (auto it = v.begin(); it != v.end(); ++it) {
      sorted[it->first.Scalar()] = node_json(it->second, depth + 1);
    }
    std::string out = "{";
    bool first = true;
    for (const auto& [k, val] : sorted) {
      out += (first ? "" : ",") + scalar_json(YAML::Node(k)) + ":" + val;
      first = false;
    }
    return out + "}";
  }
  return "null";
}

void read_branch(Reader& r, const YAML::Node& n, const std::string& p, Branch& b) {
  if (!r.map(n, p, "spec.projects[].branches[]")) {
    return;
  }
  set_if(r.string(n, p, "name"), b.name);
  set_if(r.string(n, p, "timelineId"), b.timeline_id);
  set_if(r.string(n, p, "parent"), b.parent);
  set_if(r.string(n, p, "lsn"), b.lsn);
  set_if(r.string(n, p, "timestamp"), b.timestamp);
  const YAML::Node c = r.section(n, p, "compute", "spec.projects[].branches[].compute");
  if (c.IsDefined()) {
    set_if(r.number(c, p + ".compute", "size"), b.compute.size);
    if (auto rr = r.integer(c, p + ".compute", "readReplicas")) {
      b.compute.read_replicas = static_cast<int>(std::clamp<long long>(*rr, -1, 1000));
    }
  }
}

void read_project(Reader& r, const YAML::Node& n, const std::string& p, Project& pr) {
  if (!r.map(n, p, "spec.projects[]")) {
    return;
  }
  set_if(r.string(n, p, "name"), pr.name);
  if (auto v = r.integer(n, p, "pgVersion")) {
    pr.pg_version = static_cast<int>(std::clamp<long long>(*v, -1, 1000));
  }
  set_if(r.string(n, p, "tenantId"), pr.tenant_id);
  const YAML::Node sh = r.section(n, p, "shards", "spec.projects[].shards");
  if (sh.IsDefined()) {
    if (auto c = r.integer(sh, p + ".shards", "count")) {
      pr.shard_count = static_cast<int>(std::clamp<long long>(*c, -1, 100000));
    }
    if (auto s = r.integer(sh, p + ".shards", "stripeSize")) {
      pr.stripe_size = static_cast<int>(std::clamp<long long>(*s, -1, 1LL << 30));
    }
  }
  const YAML::Node tc = r.child(n, p, "tenantConfig");
  if (tc.IsDefined()) {
    const std::string tp = p + ".tenantConfig";
    if (!tc.IsMap()) {
      r.error(mark_of(tc), tp, fmt::format("must be a map, got {}", describe(tc)));
    } else {
      std::set<std::string> seen;
      for (auto it = tc.begin(); it != tc.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (!seen.insert(k).second) {
          r.error(mark_of(it->first), tp + "." + k, "duplicate key");
          continue;
        }
        const auto& known = tenant_config_keys();
        if (std::find(known.begin(), known.end(), k) == known.end()) {
          r.error(mark_of(it->first), tp,
                  fmt::format("unknown tenant config \"{}\"{}", k, suggestion_suffix(k, known)));
          continue;
        }
        pr.tenant_config.push_back({k, node_json(it->second, 0)});
      }
      std::sort(pr.tenant_config.begin(), pr.tenant_config.end(),
                [](const auto& a, const auto& b) { return a.key < b.key; });
    }
  }
  const auto branches = r.list(n, p, "branches");
  for (std::size_t i = 0; i < branches.size(); ++i) {
    Branch b;
    read_branch(r, branches[i], fmt::format("{}.branches[{}]", p, i), b);
    pr.branches.push_back(std::move(b));
  }
}

void read_gitops(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const std::string p = "spec.gitops";
  const YAML::Node n = r.section(spec, "spec", "gitops", p);
  if (!n.IsDefined()) {
    return;
  }
  if (auto t = r.string(n, p, "target")) {
    if (*t == "argocd") {
      out.gitops.target = GitopsTarget::argocd;
    } else if (*t == "flux") {
      out.gitops.target = GitopsTarget::flux;
    } else if (*t == "none") {
      out.gitops.target = GitopsTarget::none;
    } else {
      r.error(out.mark_of(p + ".target"), p + ".target",
              fmt::format("must be one of argocd, flux, none, got \"{}\"{}", *t,
                          suggestion_suffix(*t, {"argocd", "flux", "none"})));
    }
  }
  set_if(r.string(n, p, "repoURL"), out.gitops.repo_url);
  set_if(r.string(n, p, "revision"), out.gitops.revision);
  set_if(r.string(n, p, "path"), out.gitops.path);
}

bool read_switch(Reader& r, const YAML::Node& spec, const std::string& key) {
  const YAML::Node n = r.section(spec, "spec", key, "spec." + key);
  return n.IsDefined() && r.boolean(n, "spec." + key, "enabled").value_or(false);
}

}  // namespace

Mark ClusterSpec::mark_of(const std::string& path) const {
  std::string p = path;
  while (!p.empty()) {
    auto it = marks.find(p);
    if (it != marks.end()) {
      return it->second;
    }
    const auto cut = p.find_last_of(".[");
    if (cut == std::string::npos) {
      break;
    }
    p.resize(cut);
  }
  auto it = marks.find("");
  return it == marks.end() ? Mark{} : it->second;
}

ParseResult parse_spec(std::string_view text, const std::string& file) {
  ParseResult res;
  auto& diags = res.diagnostics;
  constexpr std::string_view k_bom = "\xEF\xBB\xBF";
  if (text.substr(0, k_bom.size()) == k_bom) {
    text.remove_prefix(k_bom.size());
  }
  if (!prescan_spec_text(text, file, diags)) {
    return res;
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    const Mark m = e.mark.is_null() ? Mark{} : Mark{e.mark.line + 1, e.mark.column + 1};
    diags.push_back({file, m, "", fmt::format("invalid YAML: {}", e.msg)});
    return res;
  }
  if (docs.empty() || (docs.size() == 1 && docs[0].IsNull())) {
    diags.push_back({file, {}, "", "file is empty; expected a NeonCluster spec (see 'kubectl neon init')"});
    return res;
  }
  if (docs.size() > 1) {
    diags.push_back({file, mark_of(docs[1]), "", "expected one YAML document, found several"});
    return res;
  }
  const YAML::Node& root = docs[0];
  ClusterSpec spec;
  spec.file = file;
  Reader r(file, diags, spec.marks);
  if (!r.map(root, "", "")) {
    return res;
  }
  spec.marks[""] = mark_of(root);
  set_if(r.string(root, "", "apiVersion"), spec.api_version);
  set_if(r.string(root, "", "kind"), spec.kind);
  const bool header_ok = spec.api_version == k_spec_api_version && spec.kind == k_spec_kind;
  if (!spec.api_version.empty() && spec.api_version != k_spec_api_version) {
    r.error(spec.mark_of("apiVersion"), "apiVersion",
            fmt::format("unsupported apiVersion \"{}\"; this version of kubectl-neon reads \"{}\"",
                        spec.api_version, k_spec_api_version));
  }
  if (!spec.kind.empty() && spec.kind != k_spec_kind) {
    r.error(spec.mark_of("kind"), "kind", fmt::format("kind must be \"{}\", got \"{}\"", k_spec_kind, spec.kind));
  }
  if (!header_ok) {
    // Reading the body of a different document type only produces noise.
    return res;
  }
  const YAML::Node meta = r.section(root, "", "metadata", "metadata");
  if (meta.IsDefined()) {
    set_if(r.string(meta, "metadata", "name"), spec.name);
    spec.namespace_ = r.string(meta, "metadata", "namespace").value_or("neon");
  }
  const YAML::Node s = r.section(root, "", "spec", "spec");
  // Without a spec map there is nothing to read below it, but metadata is still checked; the
  // validator skips the rules about what the missing map would hold.
  if (s.IsDefined()) {
    if (auto prof = r.string(s, "spec", "profile")) {
      if (*prof == "dev") {
        spec.profile = Profile::dev;
      } else if (*prof == "prod") {
        spec.profile = Profile::prod;
      } else {
        r.error(spec.mark_of("spec.profile"), "spec.profile",
                fmt::format("must be dev or prod, got \"{}\"{}", *prof, suggestion_suffix(*prof, {"dev", "prod"})));
      }
    }
    read_images(r, s, spec);
    read_object_storage(r, s, spec);
    read_storage_controller(r, s, spec);
    read_pageservers(r, s, spec);
    read_safekeepers(r, s, spec);
    read_broker(r, s, spec);
    const auto projects = r.list(s, "spec", "projects");
    for (std::size_t i = 0; i < projects.size(); ++i) {
      Project p;
      read_project(r, projects[i], fmt::format("spec.projects[{}]", i), p);
      spec.projects.push_back(std::move(p));
    }
    read_gitops(r, s, spec);
    spec.monitoring = read_switch(r, s, "monitoring");
    spec.network_policies = read_switch(r, s, "networkPolicies");
  }
  if (spec.gitops.path.empty()) {
    spec.gitops.path = "clusters/" + spec.name;
  }
  res.spec = std::move(spec);
  return res;
}

}  // namespace neon::gen
