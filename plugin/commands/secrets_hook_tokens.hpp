#pragma once
// The compute hook tokens Secret (spec.storageController.auth.hookTokenSecret, every profile):
// key control-plane (the storage controller's bearer token on /notify-*, mounted into the hook
// and passed to the controller), with spec.proxy key proxy-token (the proxy's bearer token on
// /cplane/*, mounted into the hook and the proxy's NEON_PROXY_TO_CONTROLPLANE_TOKEN), key compute-token-key (mounted
// into the hook alone) and one key <compute id>.token per compute, each that compute's NEON_CONTROL_PLANE_TOKEN
// (compute_tools/src/spec.rs:79), derived from the key (plugin/clients/compute_token.hpp). A compute added in Git later
// needs its key added: `secrets init` adds the missing ones to an existing Secret and changes none of the others.

#include <map>
#include <string>

#include "generators/result.hpp"
#include "generators/spec.hpp"

namespace neon::cli {

using SecretData = std::map<std::string, std::string>;

/// <compute id>.token for every compute of `spec` (primaries and read replicas), derived from `key`.
SecretData compute_tokens(const std::string& key, const gen::ValidSpec& spec);

/// The keys `existing` (the Secret's data) lacks or holds wrongly for `spec`'s computes; empty when
/// it is complete. With spec.proxy on and no proxy-token (or an empty one) in `existing`, also
/// proxy-token = `new_proxy_token` (a fresh random token of the caller's); a proxy-token present is
/// kept. An error when it has no compute-token-key to derive the compute tokens from.
Result<SecretData> missing_compute_tokens(const SecretData& existing, const gen::ValidSpec& spec,
                                          const std::string& new_proxy_token);

}  // namespace neon::cli
