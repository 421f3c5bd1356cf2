#pragma once
// The objects that point a GitOps engine at the cluster tree, written to `bootstrap/<name>/`
// (outside the cluster path, so the engine never prunes its own pointer):
//   argocd: one Application at the cluster folder, or one ApplicationSet when the repository
//           holds several clusters (a git directory generator over their folders);
//   flux:   a GitRepository and one Kustomization per tier (storage -> control -> compute),
//           chained with dependsOn and wait, so a tier starts only when the one before is healthy.
// Each folder has a kustomization.yaml, so `kubectl apply -k bootstrap/<name>/` works too.

#include <string>
#include <vector>

#include "generators/layout.hpp"
#include "generators/spec.hpp"

namespace neon::gen {

inline constexpr const char* k_argocd_namespace = "argocd";
inline constexpr const char* k_flux_namespace = "flux-system";

/// Tier folders under the cluster path, in the order they must become ready.
const std::vector<std::string>& gitops_tiers();

/// `bootstrap/<name>` (no trailing `/`).
std::string bootstrap_path(const ValidSpec& spec);

/// A URL Flux accepts: scp-style `user@host:path` becomes `ssh://user@host/path`; others unchanged.
std::string flux_git_url(const std::string& url);

/// The bootstrap files (repository-relative paths -> bytes); empty for gitops target none.
/// `cluster_paths` are every cluster folder in the repository (this one included); more than one
/// makes Argo CD use an ApplicationSet.
FileTree bootstrap_tree(const ValidSpec& spec, const std::vector<std::string>& cluster_paths);

}  // namespace neon::gen
