#pragma once
// The storage broker: a stateless gRPC pub/sub between safekeepers and pageservers
// (neon-api.md §5.3). Deployment, Service and PodDisruptionBudget, component "storage-broker".

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_storage_broker(const ValidSpec& spec);

/// Spreads replicas over nodes (and zones when the cluster has them), preferring rather than
/// requiring, so a small dev cluster still schedules. Shared by the Deployments of the control tier.
Json spread_constraints(const Json& selector);
Json preferred_anti_affinity(const Json& selector);

/// `{name, valueFrom: {secretKeyRef: {name, key}}}`
Json env_from_secret(const std::string& var, const std::string& secret, const std::string& key);
/// An HTTP probe on a named port.
Json http_probe(const std::string& path, const std::string& port, int period_seconds, int failure_threshold);

/// The UID the neon image's user has (neon-api.md: set explicitly for runAsNonRoot).
inline constexpr int k_neon_uid = 1000;

}  // namespace neon::gen
