#pragma once
// The objects that point a GitOps engine at the cluster tree, written to `bootstrap/<name>/`
// (outside the cluster path, so the engine never prunes its own pointer), in the engine's namespace
// (spec.gitops.argocdNamespace / fluxNamespace):
//   argocd: one Application, neon-<name>, at this cluster's folder and nothing else (no
//           ApplicationSet: other clusters in the repository may be Flux-managed or applied by
//           hand), automated sync retried with backoff, and no cascade-delete finalizer, so
//           deleting the Application never deletes the cluster's objects. It belongs to the
//           AppProject neon-<name>: this repository, the cluster's namespace, no cluster-scoped
//           kind but Namespace. An app of apps, neon-<name>-bootstrap (AppProject
//           neon-<name>-bootstrap: Applications and AppProjects in the Argo CD namespace only),
//           keeps the folder itself as Git says once it is applied by hand;
//   flux:   a GitRepository and one Kustomization per install stage (generators/stages.hpp),
//           chained with dependsOn and wait, so a stage starts only when the one before is
//           healthy; each waits as long as its slowest workload may take to roll out, and
//           decrypts SOPS when spec.gitops.sops is set. A Kustomization neon-<name>-bootstrap keeps
//           the folder itself as Git says once it is applied by hand.
// With spec.gitops.split: project (generators/layout.hpp) the engines get one unit per project:
//   argocd: an Application per stage (neon-<name>-<stage>, each in the bootstrap app of apps'
//           sync wave of its stage) instead of neon-<name>, and an ApplicationSet
//           neon-<name>-projects whose Git directory generator makes one Application per
//           projects/<project>/ folder, in the wave after the compute stage. Argo CD orders
//           Applications of an app of apps by wave only when its Application health check is on
//           (argocd-cm resource.customizations.health.argoproj.io_Application; removed in v1.8):
//           README "Fleets". ApplicationSet progressive sync (RollingSync) is not used: it is
//           alpha, off unless the ApplicationSet controller is started with it;
//   flux:   a Kustomization per project folder, dependsOn the compute stage's (which follows
//           storage, control and base), with the stages' interval, prune, wait and timeout rules.
// Every object's name holds the cluster name, so two clusters' bootstrap folders never define the
// same object. Each folder has a kustomization.yaml, so `kubectl apply -k bootstrap/<name>/` works.

#include <string>
#include <vector>

#include "generators/diagnostics.hpp"
#include "generators/layout.hpp"
#include "generators/spec.hpp"

namespace neon::gen {

/// The Argo CD Application and the Flux Kustomization of one project with spec.gitops.split:
/// project: `neon-<cluster>-project-<project>`. The engines write it into a label (Flux's
/// kustomize.toolkit.fluxcd.io/name, Argo CD's label tracking), so validate keeps it to 63.
std::string project_unit_name(const std::string& cluster, const std::string& project);

/// `bootstrap/<name>` (no trailing `/`).
std::string bootstrap_path(const ValidSpec& spec);

/// The cluster's Argo CD AppProject (the bootstrap folder's is this plus `-bootstrap`).
std::string argocd_project(const ValidSpec& spec);

/// The Secret the Flux GitRepository names for Git credentials (in spec.gitops.fluxNamespace):
/// spec.gitops.secretRef, else neon-<name>-git for an SSH URL; empty when there is none (not Flux,
/// or a public HTTPS repository).
std::string flux_git_secret(const ValidSpec& spec);

/// What a valid spec needs in the cluster that the tree cannot bring (the Prometheus Operator's
/// CRDs), as warnings: they never make a spec invalid.
std::vector<Diagnostic> prerequisite_warnings(const ValidSpec& spec);

/// A URL Flux accepts: scp-style `user@host:path` becomes `ssh://user@host/path`; others unchanged.
std::string flux_git_url(const std::string& url);

/// The bootstrap files (repository-relative paths -> bytes); empty for gitops target none.
FileTree bootstrap_tree(const ValidSpec& spec);

}  // namespace neon::gen
