#include "generators/validate.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "generators/gitops.hpp"
#include "generators/pooler.hpp"
#include "generators/roles.hpp"
#include "generators/spec_parse.hpp"

namespace neon::gen {

class ValidSpecFactory {
public:
  static ValidSpec make(ClusterSpec spec) { return ValidSpec(std::move(spec)); }
};

namespace {

/// True when `path` is `root` or lies under it ("spec.images" covers "spec.images.hook").
bool is_under(const std::string& path, const std::string& root) {
  if (root.empty() || path.rfind(root, 0) != 0) {
    return root.empty();
  }
  return path.size() == root.size() || path[root.size()] == '.' || path[root.size()] == '[';
}

/// Paths the parser already reported as missing or of the wrong type: rules about what lies
/// under them would only restate the same problem.
std::vector<std::string> reported_paths(const std::vector<Diagnostic>& parse_diags) {
  std::vector<std::string> out;
  for (const auto& d : parse_diags) {
    if (d.path.empty()) {
      continue;
    }
    if (d.kind == DiagKind::missing || d.kind == DiagKind::invalid) {
      out.push_back(d.path);
    }
  }
  return out;
}

class Checker {
public:
  Checker(const ClusterSpec& spec, std::vector<Diagnostic>& diags, std::vector<std::string> reported = {})
      : m_spec(spec), m_diags(diags), m_reported(std::move(reported)) {}

  void error(const std::string& path, std::string message) {
    if (already_reported(path)) {
      return;
    }
    m_diags.push_back({m_spec.file, m_spec.mark_of(path), path, std::move(message)});
  }

  bool already_reported(const std::string& path) const {
    return std::any_of(m_reported.begin(), m_reported.end(), [&](const std::string& r) { return is_under(path, r); });
  }

  void dns_label(const std::string& path, const std::string& v, std::size_t max_len = 63) {
    if (!is_dns1123_label(v)) {
      error(path, fmt::format("\"{}\" is not a valid name: use lowercase letters, digits and '-', starting and "
                              "ending with a letter or digit (RFC 1123 label)",
                              v));
    } else if (v.size() > max_len) {
      error(path, fmt::format("\"{}\" is too long: at most {} characters", v, max_len));
    }
  }

  void secret_name(const std::string& path, const std::string& v, const std::string& why) {
    if (v.empty()) {
      error(path, fmt::format("a Secret name is required {}", why));
    } else if (!is_dns1123_subdomain(v)) {
      error(path, fmt::format("\"{}\" is not a valid Secret name (RFC 1123 subdomain)", v));
    }
  }

  void image(const std::string& path, const std::string& v, const std::string& why) {
    if (v.empty()) {
      error(path, fmt::format("an image is required {}", why));
    } else if (!is_pinned_image(v)) {
      error(path, fmt::format("image \"{}\" is not pinned: give an explicit tag other than \"latest\", or a "
                              "@sha256 digest",
                              v));
    }
  }

  void resources(const std::string& path, const Resources& r) {
    static const std::vector<std::string> k_names = {"cpu", "memory", "ephemeral-storage"};
    for (const auto* part : {"requests", "limits"}) {
      const auto& m = std::string(part) == "requests" ? r.requests : r.limits;
      for (const auto& [k, v] : m) {
        const std::string p = fmt::format("{}.{}.{}", path, part, k);
        if (std::find(k_names.begin(), k_names.end(), k) == k_names.end()) {
          error(p, fmt::format("unknown resource \"{}\"{}", k, suggestion_suffix(k, k_names)));
        } else if (!is_quantity(v)) {
          error(p, fmt::format("\"{}\" is not a Kubernetes quantity (e.g. 500m, 2Gi)", v));
        }
      }
    }
  }

  void zones(const std::string& path, const std::vector<std::string>& zs, int count) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < zs.size(); ++i) {
      const std::string p = fmt::format("{}.zones[{}]", path, i);
      if (!is_label_value(zs[i]) || zs[i].empty()) {
        error(p, fmt::format("\"{}\" is not a valid zone name (a Kubernetes label value)", zs[i]));
      }
      if (!seen.insert(zs[i]).second) {
        error(p, fmt::format("zone \"{}\" is listed twice", zs[i]));
      }
    }
    if (zs.size() > 9) {
      error(path + ".zones", fmt::format("at most 9 zones are supported, got {}", zs.size()));
    }
    if (!zs.empty() && count < static_cast<int>(zs.size())) {
      error(path + ".count",
            fmt::format("{} members cannot cover {} zones: every zone needs at least one", count, zs.size()));
    }
  }

  void run();

private:
  void images();
  void object_storage();
  void storage_controller();
  void members();
  void projects();
  void gitops();

  const ClusterSpec& m_spec;
  std::vector<Diagnostic>& m_diags;
  std::vector<std::string> m_reported;
};

void Checker::images() {
  const auto& im = m_spec.images;
  image("spec.images.storage", im.storage, "for the Neon storage components");
  image("spec.images.hook", im.hook, "for the compute hook and the bootstrap steps");
  for (const auto& [v, img] : im.compute) {
    image(fmt::format("spec.images.compute.{}", v), img, "");
  }
  if (m_spec.object_storage.minio) {
    image("spec.images.minio", im.minio, "when objectStorage.minio is true");
    image("spec.images.minioClient", im.minio_client, "when objectStorage.minio is true");
  }
  if (m_spec.storage_controller.database == DatabaseMode::in_cluster) {
    image("spec.images.postgres", im.postgres, "when storageController.database.inCluster is true");
  }
}

void Checker::object_storage() {
  const auto& os = m_spec.object_storage;
  const std::string p = "spec.objectStorage";
  if (!os.bucket.empty() && !is_s3_bucket(os.bucket)) {
    error(p + ".bucket", fmt::format("\"{}\" is not a valid bucket name", os.bucket));
  }
  if (os.minio && !os.endpoint.empty()) {
    error(p + ".endpoint", "leave endpoint empty with minio: true; the in-cluster MinIO Service is used");
  }
  if (!os.endpoint.empty() && os.endpoint.rfind("http://", 0) != 0 && os.endpoint.rfind("https://", 0) != 0) {
    error(p + ".endpoint", fmt::format("\"{}\" must be an http:// or https:// URL", os.endpoint));
  }
  if (!os.prefix.empty() && (os.prefix.front() == '/' || os.prefix.find("..") != std::string::npos)) {
    error(p + ".prefix", "must be relative: no leading '/' and no '..'");
  }
  if (os.credentials == CredentialsMode::secret) {
    secret_name(p + ".credentials.secretRef.name", os.credentials_secret,
                "for the S3 credentials (or use credentials.workloadIdentity)");
  } else {
    if (os.minio) {
      error(p + ".credentials.workloadIdentity", "MinIO needs credentials from a secretRef");
    }
    if (os.service_account_annotations.empty()) {
      error(p + ".credentials.workloadIdentity.serviceAccountAnnotations",
            "give the annotations that bind the ServiceAccount to a cloud identity");
    }
  }
}

void Checker::storage_controller() {
  const auto& sc = m_spec.storage_controller;
  const std::string p = "spec.storageController";
  if (sc.database == DatabaseMode::secret) {
    secret_name(p + ".database.secretRef.name", sc.database_secret, "for the storage controller database URL");
    if (sc.database_secret_key.empty()) {
      error(p + ".database.secretRef.key", "must not be empty");
    }
  } else if (m_spec.profile == Profile::prod) {
    error(p + ".database.inCluster",
          "the in-cluster Postgres is for dev only: the database holds generation numbers and must be durable; "
          "use database.secretRef");
  }
  // compute_ctl keeps the keys it trusts for its whole life, so the hook's key is a Secret in
  // every profile (compute_tools/src/http/server.rs:122-126).
  secret_name(p + ".auth.computeSigningSecret", sc.auth.compute_signing_secret, "for the compute hook's signing key");
  secret_name(p + ".auth.hookTokenSecret", sc.auth.hook_token_secret, "for the compute hook's tokens");
  if (sc.auth.enabled) {
    const std::string why = "when auth.enabled is true";
    secret_name(p + ".auth.keySecret", sc.auth.key_secret, why);
    secret_name(p + ".auth.tokenSecret", sc.auth.token_secret, why);
    secret_name(p + ".auth.storageSigningSecret", sc.auth.storage_signing_secret, why);
  } else if (m_spec.profile == Profile::prod) {
    error(p + ".auth.enabled", "prod clusters run the storage controller in strict mode: set auth.enabled: true");
  }
  resources(p + ".resources", sc.resources);
}

void Checker::members() {
  const auto& ps = m_spec.pageservers;
  const auto& sk = m_spec.safekeepers;
  const bool dev = m_spec.profile == Profile::dev;
  if (ps.count < 1 || ps.count > 999) {
    error("spec.pageservers.count", fmt::format("must be between 1 and 999, got {}", ps.count));
  }
  zones("spec.pageservers", ps.zones, ps.count);
  if (!is_quantity(ps.storage.size)) {
    error("spec.pageservers.storage.size", ps.storage.size.empty()
                                               ? "a volume size is required (e.g. 100Gi)"
                                               : fmt::format("\"{}\" is not a Kubernetes quantity", ps.storage.size));
  }
  if (!ps.storage.storage_class.empty() && !is_dns1123_subdomain(ps.storage.storage_class)) {
    error("spec.pageservers.storage.storageClass", "not a valid StorageClass name");
  }
  resources("spec.pageservers.resources", ps.resources);

  const int min_sk = dev ? 1 : 3;
  if (sk.count < min_sk || sk.count > 999) {
    error("spec.safekeepers.count",
          dev ? fmt::format("must be between 1 and 999, got {}", sk.count)
              : fmt::format("must be at least 3 outside dev (WAL needs a quorum), got {}", sk.count));
  } else if (m_spec.storage_controller.auth.enabled && sk.count < 3) {
    // Auth on runs the controller without --dev, and strict mode exits at start when
    // --timeline-safekeeper-count is below 3 (storage_controller/src/main.rs:398-402).
    error("spec.safekeepers.count",
          fmt::format("must be at least 3 with spec.storageController.auth.enabled: true, got {}: auth runs the "
                      "storage controller in strict mode, which refuses to start with fewer than 3 safekeepers "
                      "per timeline (use 3 safekeepers, or turn auth off in dev)",
                      sk.count));
  }
  zones("spec.safekeepers", sk.zones, sk.count);
  if (!is_quantity(sk.storage.size)) {
    error("spec.safekeepers.storage.size", sk.storage.size.empty()
                                               ? "a volume size is required (e.g. 50Gi)"
                                               : fmt::format("\"{}\" is not a Kubernetes quantity", sk.storage.size));
  }
  if (!sk.storage.storage_class.empty() && !is_dns1123_subdomain(sk.storage.storage_class)) {
    error("spec.safekeepers.storage.storageClass", "not a valid StorageClass name");
  }
  resources("spec.safekeepers.resources", sk.resources);
  if (ps.zones.empty() != sk.zones.empty()) {
    error(ps.zones.empty() ? "spec.safekeepers.zones" : "spec.pageservers.zones",
          "zones must be set for both pageservers and safekeepers, or for neither");
  } else {
    for (std::size_t i = 0; i < sk.zones.size(); ++i) {
      if (std::find(ps.zones.begin(), ps.zones.end(), sk.zones[i]) == ps.zones.end()) {
        error(fmt::format("spec.safekeepers.zones[{}]", i),
              fmt::format("zone \"{}\" has no pageserver{}", sk.zones[i], suggestion_suffix(sk.zones[i], ps.zones)));
      }
    }
  }
  const auto& br = m_spec.storage_broker;
  // The broker keeps its publish/subscribe registry in the memory of one process and has no
  // replication (Neon docs/storage_broker.md:13-16, storage_broker/src/bin/storage_broker.rs:356-361).
  if (br.replicas != 1) {
    error("spec.storageBroker.replicas",
          fmt::format("must be 1, got {}: the storage broker keeps its publish/subscribe registry in one process "
                      "and has no replication, so behind one Service a second replica splits safekeepers from "
                      "the pageservers that must hear from them (a restarted broker loses nothing)",
                      br.replicas));
  }
  resources("spec.storageBroker.resources", br.resources);
}

void Checker::projects() {
  std::map<std::string, std::string> tenant_ids;    // id -> path
  std::map<std::string, std::string> timeline_ids;  // id -> path
  std::set<std::string> names;
  for (std::size_t i = 0; i < m_spec.projects.size(); ++i) {
    const Project& pr = m_spec.projects[i];
    const std::string p = fmt::format("spec.projects[{}]", i);
    if (!pr.name.empty()) {
      dns_label(p + ".name", pr.name, 24);
      if (!names.insert(pr.name).second) {
        error(p + ".name", fmt::format("project \"{}\" is defined twice", pr.name));
      }
    }
    if (pr.pg_version < 14 || pr.pg_version > 17) {
      error(p + ".pgVersion", fmt::format("Postgres {} is not supported (14, 15, 16 or 17)", pr.pg_version));
    } else if (m_spec.images.compute.count(pr.pg_version) == 0 && !already_reported("spec.images.compute")) {
      error(p + ".pgVersion", fmt::format("no compute image for Postgres {}: add spec.images.compute.\"{}\"",
                                          pr.pg_version, pr.pg_version));
    }
    if (!pr.tenant_id.empty()) {
      if (!is_hex_id(pr.tenant_id)) {
        error(p + ".tenantId", fmt::format("\"{}\" is not a tenant ID: 32 lowercase hex digits", pr.tenant_id));
      } else if (!tenant_ids.emplace(pr.tenant_id, p).second) {
        error(p + ".tenantId", fmt::format("tenant ID is already used by {}", tenant_ids[pr.tenant_id]));
      }
    }
    const int c = pr.shard_count;
    if (c < 1 || c > 128 || (c & (c - 1)) != 0) {
      error(p + ".shards.count", fmt::format("must be a power of two from 1 to 128, got {}", c));
    }
    const int s = pr.stripe_size;
    if (s < 256 || s > 131072 || (s & (s - 1)) != 0) {
      error(p + ".shards.stripeSize",
            fmt::format("must be a power of two from 256 to 131072 pages (2 MiB to 1 GiB), got {}", s));
    }
    if (pr.branches.empty()) {
      error(p + ".branches", "a project needs at least one branch");
    }
    std::map<std::string, std::size_t> branch_index;
    for (std::size_t j = 0; j < pr.branches.size(); ++j) {
      const Branch& b = pr.branches[j];
      const std::string bp = fmt::format("{}.branches[{}]", p, j);
      if (!b.name.empty()) {
        dns_label(bp + ".name", b.name, 24);
        if (!branch_index.emplace(b.name, j).second) {
          error(bp + ".name", fmt::format("branch \"{}\" is defined twice in project \"{}\"", b.name, pr.name));
        }
      }
      if (!b.timeline_id.empty()) {
        if (!is_hex_id(b.timeline_id)) {
          error(bp + ".timelineId", fmt::format("\"{}\" is not a timeline ID: 32 lowercase hex digits", b.timeline_id));
        } else if (!timeline_ids.emplace(b.timeline_id, bp).second) {
          error(bp + ".timelineId", fmt::format("timeline ID is already used by {}", timeline_ids[b.timeline_id]));
        } else if (tenant_ids.count(b.timeline_id) != 0) {
          error(bp + ".timelineId", "timeline ID equals a tenant ID");
        }
      }
      if (!b.lsn.empty() && !is_lsn(b.lsn)) {
        error(bp + ".lsn", fmt::format("\"{}\" is not an LSN (hex \"X/Y\", e.g. 0/169AD58)", b.lsn));
      }
      if (!b.timestamp.empty() && !is_rfc3339(b.timestamp)) {
        error(bp + ".timestamp",
              fmt::format("\"{}\" is not an RFC 3339 time (e.g. 2026-01-02T15:04:05Z)", b.timestamp));
      }
      if (!b.lsn.empty() && !b.timestamp.empty()) {
        error(bp + ".timestamp", "set lsn or timestamp, not both");
      }
      if (b.parent.empty() && (!b.lsn.empty() || !b.timestamp.empty())) {
        error(b.lsn.empty() ? bp + ".timestamp" : bp + ".lsn", "a branch point needs a parent");
      }
      const double sz = b.compute.size;
      const bool size_ok = sz == 0.25 || sz == 0.5 || (sz >= 1 && sz <= 16 && std::floor(sz) == sz);
      if (!size_ok) {
        error(bp + ".compute.size", fmt::format("must be 0.25, 0.5 or a whole number of compute units from 1 to "
                                                "16, got {}",
                                                sz));
      }
      if (b.compute.read_replicas < 0 || b.compute.read_replicas > 16) {
        error(bp + ".compute.readReplicas", fmt::format("must be between 0 and 16, got {}", b.compute.read_replicas));
      }
      check_pooler(b.compute.pooler, bp + ".compute.pooler",
                   [this](const std::string& path, const std::string& message) { error(path, message); });
    }
    // Parents exist and form no cycle.
    std::vector<std::string> names_list;
    for (const auto& b : pr.branches) {
      names_list.push_back(b.name);
    }
    for (std::size_t j = 0; j < pr.branches.size(); ++j) {
      const Branch& b = pr.branches[j];
      if (b.parent.empty()) {
        continue;
      }
      const std::string bp = fmt::format("{}.branches[{}].parent", p, j);
      if (b.parent == b.name) {
        error(bp, "a branch cannot be its own parent");
        continue;
      }
      if (branch_index.count(b.parent) == 0) {
        error(bp, fmt::format("no branch \"{}\" in project \"{}\"{}", b.parent, pr.name,
                              suggestion_suffix(b.parent, names_list)));
        continue;
      }
      std::set<std::string> path{b.name};
      std::string cur = b.parent;
      while (!cur.empty() && branch_index.count(cur) != 0) {
        if (!path.insert(cur).second) {
          error(bp, fmt::format("branch \"{}\" is part of a parent cycle", b.name));
          break;
        }
        cur = pr.branches[branch_index[cur]].parent;
      }
    }
    check_roles(pr, p, [this](const std::string& path, const std::string& message) { error(path, message); });
  }
}

void Checker::gitops() {
  const auto& g = m_spec.gitops;
  const std::string p = "spec.gitops";
  if (g.target != GitopsTarget::none && g.repo_url.empty()) {
    error(p + ".repoURL", "a repository URL is required for argocd and flux");
  }
  if (!g.repo_url.empty()) {
    static const std::regex k_url(R"(^((https?|ssh|file|git)://\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$)");
    if (!std::regex_match(g.repo_url, k_url)) {
      error(p + ".repoURL",
            fmt::format("\"{}\" is not a Git URL (https://, ssh://, file:// or user@host:path)", g.repo_url));
    }
  }
  if (g.revision.empty()) {
    error(p + ".revision", "must not be empty");
  }
  if (g.path.empty() && m_spec.name.empty()) {
    // The default folder is clusters/<metadata.name>: the missing name is reported, not this.
  } else if (g.path.empty() || g.path.front() == '/' || g.path.find("..") != std::string::npos ||
             g.path.back() == '/') {
    error(p + ".path", fmt::format("\"{}\" must be a relative folder with no '..' and no trailing '/'", g.path));
  }
  dns_label(p + ".argocdNamespace", g.argocd_namespace);
  dns_label(p + ".fluxNamespace", g.flux_namespace);
  if (!g.secret_ref.empty()) {
    secret_name(p + ".secretRef.name", g.secret_ref, "for Flux's Git credentials");
  }
  if (!g.sops_secret.empty()) {
    secret_name(p + ".sops.secretRef.name", g.sops_secret, "for Flux's SOPS keys");
  }
  if (g.split == GitopsSplit::project && !m_spec.name.empty()) {
    for (std::size_t i = 0; i < m_spec.projects.size(); ++i) {
      const std::string unit = project_unit_name(m_spec.name, m_spec.projects[i].name);
      if (unit.size() > 63) {
        error(fmt::format("spec.projects[{}].name", i),
              fmt::format("with spec.gitops.split: project, the project's Application or Kustomization \"{}\" is {} "
                          "characters, more than the 63 a label value holds: shorten the project or cluster name",
                          unit, unit.size()));
      }
    }
  }
}

void Checker::run() {
  if (!m_spec.name.empty()) {
    dns_label("metadata.name", m_spec.name, 40);
  } else {
    error("metadata.name", "required field is missing");
  }
  if (!m_spec.namespace_.empty()) {
    dns_label("metadata.namespace", m_spec.namespace_);
  } else {
    error("metadata.namespace", "must not be empty");
  }
  images();
  object_storage();
  storage_controller();
  members();
  projects();
  gitops();
  check_network(m_spec, [this](const std::string& path, std::string message) { error(path, std::move(message)); });
  if (m_spec.proxy.enabled) {
    resources("spec.proxy.resources", m_spec.proxy.resources);
  }
  check_proxy(m_spec, [this](const std::string& path, std::string message) { error(path, std::move(message)); });
  check_sync(m_spec, [this](const std::string& path, std::string message) { error(path, std::move(message)); });
}

}  // namespace

LoadResult validate(ClusterSpec spec) {
  LoadResult res;
  Checker(spec, res.diagnostics).run();
  sort_diagnostics(res.diagnostics);
  if (res.diagnostics.empty()) {
    res.spec = ValidSpecFactory::make(std::move(spec));
  }
  return res;
}

LoadResult load_spec(std::string_view text, const std::string& file) {
  ParseResult parsed = parse_spec(text, file);
  if (!parsed.spec) {
    LoadResult res;
    res.diagnostics = std::move(parsed.diagnostics);
    sort_diagnostics(res.diagnostics);
    return res;
  }
  LoadResult res;
  Checker(*parsed.spec, res.diagnostics, reported_paths(parsed.diagnostics)).run();
  res.diagnostics.insert(res.diagnostics.end(), parsed.diagnostics.begin(), parsed.diagnostics.end());
  sort_diagnostics(res.diagnostics);
  if (res.diagnostics.empty()) {
    res.spec = ValidSpecFactory::make(std::move(*parsed.spec));
  }
  return res;
}

}  // namespace neon::gen
