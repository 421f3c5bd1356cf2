#pragma once
// Pageservers: one StatefulSet per zone (or one without zones), its pageserver.toml ConfigMap,
// headless Service, PodDisruptionBudget and, with workload identity, a ServiceAccount.
// Every Resource has component "pageserver".
//
// With auth on, the pageserver's upcalls to the storage controller need `control_plane_api_token`
// inside pageserver.toml, and the pageserver reads it from nowhere else. The ConfigMap stays free
// of secrets: the bootstrap init container gets the token as env NEON_CONTROL_PLANE_API_TOKEN
// (token Secret key "generations") and adds it to its copy of pageserver.toml on the data volume.
//
// The `members` helpers below are shared by the pageserver, safekeeper, compute and compute-hook
// generators.

#include <map>
#include <string>

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_pageservers(const ValidSpec& spec);

namespace members {

inline constexpr const char* k_public_key_dir = "/etc/neon/auth";
inline constexpr const char* k_config_dir = "/config";
inline constexpr const char* k_computes_dir = "/etc/neon";

Json env_value(const std::string& name, const std::string& value);
Json env_secret(const std::string& name, const std::string& secret, const std::string& key);
Json env_field(const std::string& name, const std::string& field_path);

/// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the credentials Secret; empty with workload
/// identity (the ServiceAccount supplies credentials then).
Json s3_env(const ClusterSpec& spec);
/// The ServiceAccount pods of `name` run as with workload identity; null otherwise.
Json service_account(const ClusterSpec& spec, const std::string& name, const std::string& component);

/// A stable digest (FNV-1a, hex) of generated config text: as a pod annotation, a changed
/// ConfigMap rolls the pods that read it.
std::string content_digest(const std::string& text);
inline constexpr const char* k_config_digest_annotation = "kubectl-neon.io/config-digest";

/// A TOML basic string, quoted and escaped.
std::string toml_string(const std::string& s);
/// The `remote_storage` inline table, with prefix `<prefix>/<component>/` or `<component>/`.
std::string remote_storage_toml(const ClusterSpec& spec, const std::string& component);

/// `http://storage-controller.<ns>.svc.cluster.local:1234`
std::string controller_url(const ClusterSpec& spec);
/// Env NEON_STORAGE_CONTROLLER_TOKEN (admin token), only with auth on.
Json admin_token_env(const ClusterSpec& spec);

/// A container running `kubectl-neon ARGS...` from spec.images.hook (the image's entrypoint).
Json hook_container(const ClusterSpec& spec, const std::string& name, Json args, Json env, Json mounts);

/// Pins pods to `zone` (when set) and spreads them over nodes and zones.
void place_pods(Json& pod_spec, const std::string& zone, const Json& selector);

/// requests from `defaults` and the spec; the memory limit is the spec's, or else the memory request,
/// so a spec that raises requests never ends up with a limit below them.
Json member_resources(const Resources& spec_resources, const std::map<std::string, std::string>& default_requests);

Json volume_claim_template(const std::string& name, const VolumeSpec& volume);
Json pod_disruption_budget(const std::string& name, const std::string& component, Wave wave);
Json headless_service(const std::string& name, const std::string& component, Json ports, Wave wave);
Json http_probe(const std::string& path, const std::string& port, int period, int failures);

}  // namespace members
}  // namespace neon::gen
