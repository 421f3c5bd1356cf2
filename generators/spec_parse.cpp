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
       {"profile", "ipFamily", "images", "objectStorage", "storageController", "pageservers", "safekeepers",
        "storageBroker", "projects", "gitops", "monitoring", "networkPolicies", "tls", "compute", "proxy", "sync"},
       {"images", "objectStorage", "projects"}},
      {"spec.images", {"storage", "compute", "hook", "minio", "minioClient", "postgres"}, {"storage", "compute"}},
      {"spec.objectStorage", {"minio", "endpoint", "bucket", "region", "prefix", "credentials"}, {"bucket", "region"}},
      {"spec.objectStorage.credentials", {"secretRef", "workloadIdentity"}, {}},
      {"spec.objectStorage.credentials.secretRef", {"name"}, {"name"}},
      {"spec.objectStorage.credentials.workloadIdentity", {"serviceAccountAnnotations"}, {"serviceAccountAnnotations"}},
      {"spec.storageController", {"database", "auth", "ha", "resources"}, {}},
      {"spec.storageController.database", {"inCluster", "secretRef"}, {}},
      {"spec.storageController.database.secretRef", {"name", "key"}, {"name"}},
      {"spec.storageController.auth",
       {"enabled", "keySecret", "tokenSecret", "computeSigningSecret", "storageSigningSecret", "hookTokenSecret"},
       {"enabled"}},
      {"spec.storageController.resources", {"requests", "limits"}, {}},
      {"spec.pageservers", {"count", "zones", "storage", "resources"}, {}},
      {"spec.pageservers.storage", {"size", "storageClass"}, {"size"}},
      {"spec.pageservers.resources", {"requests", "limits"}, {}},
      {"spec.safekeepers", {"count", "zones", "storage", "walOffload", "resources"}, {}},
      {"spec.safekeepers.storage", {"size", "storageClass"}, {"size"}},
      {"spec.safekeepers.resources", {"requests", "limits"}, {}},
      {"spec.storageBroker", {"replicas", "resources"}, {}},
      {"spec.storageBroker.resources", {"requests", "limits"}, {}},
      {"spec.projects[]",
       {"name", "pgVersion", "tenantId", "shards", "tenantConfig", "preferredZone", "allowedIps", "branches"},
       {"name", "tenantId", "branches"}},
      {"spec.projects[].shards", {"count", "stripeSize"}, {}},
      {"spec.projects[].branches[]",
       {"name", "endpoint", "timelineId", "parent", "lsn", "timestamp", "compute", "roles", "databases"},
       {"name", "timelineId"}},
      {"spec.projects[].branches[].roles[]", {"name", "options"}, {"name"}},
      {"spec.projects[].branches[].databases[]", {"name", "owner", "options"}, {"name", "owner"}},
      {"spec.projects[].branches[].roles[].options[]", {"name", "value", "vartype"}, {"name"}},
      {"spec.projects[].branches[].databases[].options[]", {"name", "value", "vartype"}, {"name"}},
      {"spec.projects[].branches[].compute", {"size", "readReplicas", "pooler", "suspendAfter"}, {}},
      {"spec.projects[].branches[].compute.pooler", {"enabled", "settings"}, {}},
      {"spec.gitops",
       {"target", "repoURL", "revision", "path", "argocdNamespace", "fluxNamespace", "secretRef", "sops", "split"},
       {"target"}},
      {"spec.gitops.secretRef", {"name"}, {"name"}},
      {"spec.gitops.sops", {"secretRef"}, {"secretRef"}},
      {"spec.gitops.sops.secretRef", {"name"}, {"name"}},
      {"spec.monitoring", {"enabled", "namespaceSelector", "podSelector"}, {"enabled"}},
      {"spec.tls", {"enabled", "issuerRef", "secretRef"}, {"enabled"}},
      {"spec.tls.issuerRef", {"name", "kind"}, {"name"}},
      {"spec.tls.secretRef", {"name"}, {"name"}},
      {"spec.networkPolicies", {"enabled", "objectStorageCIDRs", "egress"}, {"enabled"}},
      {"spec.networkPolicies.egress[]", {"components", "to", "ports"}, {"to"}},
      {"spec.networkPolicies.egress[].to[]", {"namespaceSelector", "podSelector", "ipBlock"}, {}},
      {"spec.networkPolicies.egress[].to[].ipBlock", {"cidr", "except"}, {"cidr"}},
      {"spec.networkPolicies.egress[].ports[]", {"port", "protocol"}, {"port"}},
      {"spec.compute", {"allowFrom", "dataSize"}, {}},
      {"spec.proxy", {"enabled", "domain", "tls", "service", "replicas", "resources"}, {"enabled"}},
      {"spec.proxy.tls", {"secretRef", "issuerRef"}, {}},
      {"spec.proxy.tls.secretRef", {"name"}, {"name"}},
      {"spec.proxy.tls.issuerRef", {"name", "kind"}, {"name"}},
      {"spec.proxy.service", {"type", "annotations"}, {}},
      {"spec.proxy.resources", {"requests", "limits"}, {}},
      {"spec.compute.allowFrom[]", {"namespaceSelector", "podSelector", "ipBlock"}, {}},
      {"spec.compute.allowFrom[].ipBlock", {"cidr", "except"}, {"cidr"}},
      {"spec.sync", {"schedule", "suspend"}, {"schedule"}},
  };
  return k_tables;
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
  // A YAML syntax error is the only diagnostic: what the parser made of the rest is a guess.
  std::vector<YAML::Node> docs;
  if (!load_yaml_stream(text, file, docs, diags)) {
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
            fmt::format("unsupported apiVersion \"{}\"; this version of kubectl-neon reads \"{}\"", spec.api_version,
                        k_spec_api_version));
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
                fmt::format("must be dev or prod, got \"{}\"{}", *prof, suggestion_suffix(*prof, {"dev", "prod"})),
                DiagKind::invalid);
      }
    }
    if (auto fam = r.string(s, "spec", "ipFamily")) {
      if (*fam == "IPv4" || *fam == "IPv6") {
        spec.ip_family = *fam == "IPv4" ? IpFamily::ipv4 : IpFamily::ipv6;
      } else {
        r.error(spec.mark_of("spec.ipFamily"), "spec.ipFamily",
                fmt::format("must be IPv4 or IPv6, got \"{}\"{}", *fam, suggestion_suffix(*fam, {"IPv4", "IPv6"})),
                DiagKind::invalid);
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
    read_network(r, s, spec);
    read_proxy(r, s, spec);
  }
  // Without a name there is no default folder; the missing name is the one error to report.
  if (spec.gitops.path.empty() && !spec.name.empty()) {
    spec.gitops.path = "clusters/" + spec.name;
  }
  res.spec = std::move(spec);
  return res;
}

}  // namespace neon::gen
