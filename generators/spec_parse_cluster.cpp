// Readers for the cluster-level sections of `spec`: images, object storage, storage controller,
// pageservers, safekeepers, storage broker and gitops.
#include "generators/hook_image.hpp"
#include "generators/spec_parse_internal.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace neon::gen::detail {

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

namespace {

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

}  // namespace

void read_images(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  out.images.hook = default_hook_image();  // unless the spec names one
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
    set_if(r.string(auth, ap, "storageSigningSecret"), sc.auth.storage_signing_secret);
    set_if(r.string(auth, ap, "hookTokenSecret"), sc.auth.hook_token_secret);
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
                          suggestion_suffix(*t, {"argocd", "flux", "none"})),
              DiagKind::invalid);
    }
  }
  if (auto split = r.string(n, p, "split")) {
    if (*split == "project") {
      out.gitops.split = GitopsSplit::project;
    } else if (*split == "none") {
      out.gitops.split = GitopsSplit::none;
    } else {
      r.error(out.mark_of(p + ".split"), p + ".split",
              fmt::format("must be one of none, project, got \"{}\"{}", *split,
                          suggestion_suffix(*split, {"none", "project"})),
              DiagKind::invalid);
    }
  }
  set_if(r.string(n, p, "repoURL"), out.gitops.repo_url);
  set_if(r.string(n, p, "revision"), out.gitops.revision);
  set_if(r.string(n, p, "path"), out.gitops.path);
  set_if(r.string(n, p, "argocdNamespace"), out.gitops.argocd_namespace);
  set_if(r.string(n, p, "fluxNamespace"), out.gitops.flux_namespace);
  const YAML::Node ref = r.section(n, p, "secretRef", p + ".secretRef");
  if (ref.IsDefined()) {
    set_if(r.string(ref, p + ".secretRef", "name"), out.gitops.secret_ref);
  }
  const YAML::Node sops = r.section(n, p, "sops", p + ".sops");
  const YAML::Node sops_ref =
      sops.IsDefined() ? r.section(sops, p + ".sops", "secretRef", p + ".sops.secretRef") : YAML::Node();
  if (sops_ref.IsDefined()) {
    set_if(r.string(sops_ref, p + ".sops.secretRef", "name"), out.gitops.sops_secret);
  }
}

}  // namespace neon::gen::detail
