// parse_spec itself (document checks, header, metadata, profile) and the key tables. The Reader is in
// spec_parse_reader.cpp, the section readers in spec_parse_cluster.cpp and spec_parse_projects.cpp.
#include "generators/spec_parse.hpp"

#include <string>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "generators/spec_parse_internal.hpp"
#include "generators/spec_text.hpp"

namespace neon::gen {

const std::vector<KeyTable>& spec_key_tables() {
  static const std::vector<KeyTable> k_tables = {
      {"", {"apiVersion", "kind", "metadata", "spec"}, {"apiVersion", "kind", "metadata", "spec"}},
      {"metadata", {"name", "namespace"}, {"name"}},
      {"spec",
       {"profile", "ipFamily", "images", "objectStorage", "storageController", "pageservers", "safekeepers", "storageBroker",
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
      {"spec.storageController.auth", {"enabled", "keySecret", "tokenSecret", "computeSigningSecret", "storageSigningSecret"}, {"enabled"}},
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
      {"spec.gitops", {"target", "repoURL", "revision", "path", "argocdNamespace", "fluxNamespace", "secretRef", "sops"},
       {"target"}},
      {"spec.gitops.secretRef", {"name"}, {"name"}},
      {"spec.gitops.sops", {"secretRef"}, {"secretRef"}},
      {"spec.gitops.sops.secretRef", {"name"}, {"name"}},
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
  using namespace detail;
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
    if (auto fam = r.string(s, "spec", "ipFamily")) {
      if (*fam == "IPv4" || *fam == "IPv6") {
        spec.ip_family = *fam == "IPv4" ? IpFamily::ipv4 : IpFamily::ipv6;
      } else {
        r.error(spec.mark_of("spec.ipFamily"), "spec.ipFamily",
                fmt::format("must be IPv4 or IPv6, got \"{}\"{}", *fam, suggestion_suffix(*fam, {"IPv4", "IPv6"})));
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
