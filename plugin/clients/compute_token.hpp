#pragma once
// The bearer token a compute's compute_ctl sends with its spec request: compute_ctl reads it from
// the environment variable NEON_CONTROL_PLANE_TOKEN and sends `Authorization: Bearer <token>` on
// GET <control-plane-uri>/compute/api/v2/computes/<id>/spec (compute_tools/src/spec.rs:77-79,
// :27-29). Each compute gets its own token, HMAC-SHA256(key, "neon-compute-spec:" + compute id),
// so the hook keeps one key (key compute-token-key of the compute hook tokens Secret) and a token
// fetches its own compute's spec only. `secrets init` puts each compute's token into the same
// Secret (key <compute id>.token), which the compute's Deployment passes to compute_ctl.

#include <string>

namespace neon::cli::compute_token {

/// base64url (no padding) of HMAC-SHA256(key, "neon-compute-spec:" + compute_id): 43 characters.
std::string derive(const std::string& key, const std::string& compute_id);

/// Whether `given` equals `want`, in time that depends on the lengths only (CRYPTO_memcmp).
bool same(const std::string& given, const std::string& want);

}  // namespace neon::cli::compute_token
