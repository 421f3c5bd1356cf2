#pragma once
// What the cluster needs before the GitOps engine's first sync and the tree cannot bring itself:
// the cluster's Namespace (so Secrets can be created in it first), Flux's Git credentials, and the
// Prometheus Operator's CRD for the optional monitoring stage. `secrets init` creates the first
// two; `status` checks all three.
//
// Flux's Git Secret keys (source-controller docs/spec/v1/gitrepositories.md, gitops-conventions.md
// §4.4): SSH `identity` (private key), `known_hosts`, optionally `identity.pub`; HTTPS `username`
// and `password` (a token works as the password).

#include <optional>
#include <string>

#include "generators/result.hpp"
#include "generators/spec.hpp"
#include "plugin/clients/kube_client.hpp"

namespace neon::cli::prereq {

inline constexpr const char* k_servicemonitor_crd = "servicemonitors.monitoring.coreos.com";

/// Whether the object at `path` exists: nullopt when the API would not say (forbidden, error).
Result<std::optional<bool>> exists(kube::Client& client, const std::string& path);

enum class NamespaceState { existed, created };

/// Creates namespace `name` when missing, labelled and annotated as the tree's Namespace, so the
/// GitOps engine adopts it unchanged.
Result<NamespaceState> ensure_namespace(kube::Client& client, const gen::ValidSpec& spec, const std::string& name);

/// Where Flux's Git credentials come from (secrets init flags).
struct GitCredentialFiles {
  std::string ssh_key;      ///< --git-ssh-key: private key file
  std::string known_hosts;  ///< --git-known-hosts
  std::string token;        ///< --git-token-file (HTTPS)
  std::string username = "git";
  bool given() const { return !ssh_key.empty() || !token.empty(); }
};

/// Flux's Git Secret from the files, checked against the repository URL's scheme; an error when
/// the spec names no such Secret or the files do not fit the URL.
Result<kube::Secret> flux_git_secret(const gen::ValidSpec& spec, const GitCredentialFiles& files);

/// How to create Flux's Git Secret by hand (several lines, each indented by two spaces).
std::string flux_git_secret_howto(const gen::ValidSpec& spec, const std::string& prog);

}  // namespace neon::cli::prereq
