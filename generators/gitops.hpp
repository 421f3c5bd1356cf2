#pragma once
// The objects that point a GitOps engine at the cluster tree, written to `bootstrap/<name>/`
// (outside the cluster path, so the engine never prunes its own pointer):
//   argocd: one Application, neon-<name>, at this cluster's folder and nothing else (no
//           ApplicationSet: other clusters in the repository may be Flux-managed or applied by
//           hand), automated sync retried with backoff, and no cascade-delete finalizer, so
//           deleting the Application never deletes the cluster's objects;
//   flux:   a GitRepository and one Kustomization per install stage (generators/stages.hpp),
//           chained with dependsOn and wait, so a stage starts only when the one before is
//           healthy; each waits as long as its slowest workload may take to roll out.
// Every object's name holds the cluster name, so two clusters' bootstrap folders never define the
// same object. Each folder has a kustomization.yaml, so `kubectl apply -k bootstrap/<name>/` works.

#include <string>
#include <vector>

#include "generators/layout.hpp"
#include "generators/spec.hpp"

namespace neon::gen {

inline constexpr const char* k_argocd_namespace = "argocd";
inline constexpr const char* k_flux_namespace = "flux-system";

/// `bootstrap/<name>` (no trailing `/`).
std::string bootstrap_path(const ValidSpec& spec);

/// A URL Flux accepts: scp-style `user@host:path` becomes `ssh://user@host/path`; others unchanged.
std::string flux_git_url(const std::string& url);

/// The bootstrap files (repository-relative paths -> bytes); empty for gitops target none.
FileTree bootstrap_tree(const ValidSpec& spec);

}  // namespace neon::gen
