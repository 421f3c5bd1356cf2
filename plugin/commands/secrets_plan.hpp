#pragma once
// What `kubectl neon secrets init` generates for a spec: the Secrets, in groups that are created
// together, with their values (cmd_secrets.cpp applies or prints them). Implemented in
// secrets_plan.cpp.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "generators/result.hpp"
#include "generators/spec.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/commands/secrets_hook_tokens.hpp"

namespace neon::cli {

/// Secrets generated together: the tokens are only valid with the public key beside them.
struct Group {
  using Complete = std::function<Result<SecretData>(const kube::Secret&, const std::vector<kube::Secret>&)>;
  Group(std::string what_, std::vector<kube::Secret> secrets_, Complete complete_ = {})
      : what(std::move(what_)), secrets(std::move(secrets_)), complete(std::move(complete_)) {}
  std::string what;
  std::vector<kube::Secret> secrets;
  /// When every Secret of the group exists: the keys one lacks (added, none of the others
  /// touched), or nothing. Unset: an existing group is left alone.
  /// Called with each existing Secret and all of the group's.
  Complete complete;
};

struct Plan {
  std::vector<Group> groups;
  /// The key that signed the tokens. It goes to the cluster only in the storage signing Secret
  /// (mounted into the compute hook alone); --private-key-out keeps a copy outside it.
  std::string signing_private_pem;
  /// Flux's Git credentials, from --git-ssh-key or --git-token-file (in Flux's namespace).
  std::optional<Group> flux_git;
};

/// Every group the spec names in namespace `ns` (Flux's Git Secret aside), with fresh values.
Result<Plan> make_plan(const gen::ValidSpec& valid, const std::string& ns);

}  // namespace neon::cli
