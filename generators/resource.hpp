#pragma once
// The in-memory form of generated Kubernetes objects. Generators build `Resource`s as
// nlohmann::ordered_json (value semantics, insertion order kept) and never touch YAML text;
// emit.hpp is the only place objects become YAML.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/spec.hpp"

namespace neon::gen {

using Json = nlohmann::ordered_json;

struct Resource {
  std::string component;  ///< folder in the cluster tree, e.g. "pageserver", "storage-controller"
  Json body;              ///< the whole object: apiVersion, kind, metadata, ...
  /// The project the object belongs to (a branch's compute, its Service), empty for what the whole
  /// cluster shares. With spec.gitops.split: project it goes in projects/<project>/.
  std::string project{};
  std::string kind() const { return body.at("kind").get<std::string>(); }
  std::string name() const { return body.at("metadata").at("name").get<std::string>(); }
};

using ResourceSet = std::vector<Resource>;

/// Argo CD sync waves: storage and database first, then the controller, then pageservers and
/// safekeepers, then the hook, then computes.
enum class Wave { storage = 0, controller = 1, members = 2, hook = 3, compute = 4 };

/// `app.kubernetes.io/{name,component,part-of,managed-by}` labels. No version, no instance
/// (Argo CD's label tracking owns app.kubernetes.io/instance).
Json common_labels(const std::string& name, const std::string& component);
/// The small, stable selector: name + component.
Json selector_labels(const std::string& name, const std::string& component);
/// metadata with name, labels and the sync-wave annotation. The namespace is set by the
/// cluster kustomization, not here.
Json object_meta(const std::string& name, const std::string& component, Wave wave);
/// object_meta for an object that holds data or makes it reachable (a Namespace, a StatefulSet
/// with volumes, a PVC): no sync of Argo CD (`Prune=false,Delete=false`) or Flux
/// (`kustomize.toolkit.fluxcd.io/prune: Disabled`) ever deletes it; deleting a cluster is a
/// deliberate step (README: "Deleting a cluster").
Json data_object_meta(const std::string& name, const std::string& component, Wave wave);
inline constexpr const char* k_argocd_sync_options = "argocd.argoproj.io/sync-options";
inline constexpr const char* k_flux_prune = "kustomize.toolkit.fluxcd.io/prune";

/// Restricted pod-security settings: runAsNonRoot, seccomp RuntimeDefault, fsGroup.
Json pod_security_context(int uid);
/// Restricted container settings: no privilege escalation, a read-only root filesystem (writes go
/// to volumes: the data volume, or members::mount_scratch's /tmp), all capabilities dropped.
Json container_security_context();
/// requests/limits from the spec, with `defaults` filling what the spec leaves out.
Json resources_json(const Resources& spec_resources, const Resources& defaults);

/// A Service port entry.
Json service_port(const std::string& name, int port);

}  // namespace neon::gen
