#pragma once
// Helpers shared by the generators of the pods that make up a Neon cluster (pageserver,
// safekeeper, compute, compute hook): env entries, S3 and auth wiring, probes, placement,
// resources, PodDisruptionBudgets and headless Services.

#include <map>
#include <string>

#include "generators/resource.hpp"
#include "generators/spec.hpp"

namespace neon::gen {

namespace members {

inline constexpr const char* k_public_key_dir = "/etc/neon/auth";
inline constexpr const char* k_config_dir = "/config";
inline constexpr const char* k_computes_dir = "/etc/neon";
inline constexpr const char* k_token_dir = "/etc/neon/token";
/// The storage controller token of an init container (its one scope), as a file.
inline constexpr const char* k_controller_token_dir = "/etc/neon/controller-token";
/// A compute init container's own spec token, as a file.
inline constexpr const char* k_compute_token_dir = "/etc/neon/compute-token";
inline constexpr const char* k_compute_token_file = "token";

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

/// `http://storage-controller.<ns>.svc.cluster.local:1234`, or its HTTPS port with spec.tls
std::string controller_url(const ClusterSpec& spec);

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

/// An emptyDir at /tmp (at most `size`) for a container whose root filesystem is read-only: a mount
/// added to `mounts` and a volume to `volumes`.
void mount_scratch(Json& mounts, Json& volumes, const std::string& size = "1Gi");

/// A volume holding one key of a Secret as a file of the same name.
Json secret_file_volume(const std::string& volume, const std::string& secret, const std::string& key);

/// `updateStrategy: OnDelete`: a new template in Git restarts no pageserver or safekeeper by
/// itself, so a sync cannot restart them all at once; each is restarted one at a time after a
/// drain (pageservers) or with the timelines' quorum kept (safekeepers): README "Upgrading Neon".
Json on_delete();

/// An init container's storage controller token (token Secret key `key`) as a file: `flag` and
/// the file's path appended to `args`, its mount to `mounts`; the volume for the pod. Returns the
/// volume, or null with auth off (nothing appended then).
Json controller_token_file(const ClusterSpec& spec, const std::string& flag, const std::string& key, Json& args,
                           Json& mounts);

/// With auth on, mounts the auth public key Secret whole at k_public_key_dir: a mount added to
/// `mounts` and a volume to `volumes`. Nothing with auth off.
void mount_public_key(const ClusterSpec& spec, Json& mounts, Json& volumes);

}  // namespace members
}  // namespace neon::gen
