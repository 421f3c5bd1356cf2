#pragma once
// The compute hook's Kubernetes access, with compute.suspendAfter on some branch: it suspends an
// idle compute and wakes it for the proxy by scaling the compute's Deployment (GET and merge PATCH
// of deployments/<name>/scale, `hook serve --scale-computes`). Its ServiceAccount `compute-hook`
// gets a Role allowing exactly that, on exactly those Deployments (resourceNames), and `get` on
// them; nothing else. `kubectl neon suspend|resume` uses the user's kubeconfig, not this Role.

#include <vector>

#include "generators/resource.hpp"

namespace neon::gen {

/// Whether the hook scales computes: some branch has compute.suspendAfter.
bool scales_computes(const ClusterSpec& spec);

/// ServiceAccount, Role and RoleBinding, all named names::k_hook; empty unless scales_computes.
std::vector<Json> hook_rbac(const ClusterSpec& spec);

}  // namespace neon::gen
