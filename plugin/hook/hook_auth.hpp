#pragma once
// Who may call the compute hook. /notify-attach and /notify-safekeepers take the storage
// controller's control-plane token (sent as `Authorization: Bearer`, storage_controller/src/compute_hook.rs);
// GET /compute/api/v2/computes/<id>/spec takes compute <id>'s own spec token, which compute_ctl
// sends from NEON_CONTROL_PLANE_TOKEN (compute_tools/src/spec.rs:27-29, :79). Tokens are compared
// in constant time; the refusals name no token, URL or compute.

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "generators/result.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

struct Denial {
  int status = 401;  ///< 401: no bearer token; 403: a token that is not the one wanted
  std::string message;
};

/// The bearer token of an Authorization header value; nullopt without "Bearer " or with an empty token.
std::optional<std::string> bearer_token(const std::string& authorization);

/// nullopt when `authorization` carries exactly `want` (which must not be empty).
std::optional<Denial> check_bearer(const std::string& authorization, const std::string& want);

/// nullopt when `authorization` carries compute `compute_id`'s spec token, derived from `key`
/// (plugin/clients/compute_token.hpp). Another compute's token is 403.
std::optional<Denial> check_compute_token(const std::string& authorization, const std::string& key,
                                          const std::string& compute_id);

/// The public key (PEM) and the JWKS (with key id `kid`) of the hook's signing key: what compute_ctl
/// trusts for the hook's /configure calls.
Result<std::pair<std::string, Json>> signing_keys(const std::string& signing_key_pem, const std::string& kid);

/// Each tenant's storage token (`{"scope":"tenant","tenant_id":…}`, for the compute's pageserver and
/// safekeeper connections), signed with the storage key; by tenant id. Ed25519 signatures are
/// deterministic: the same key gives every tenant the same token each time.
Result<std::map<std::string, std::string>> tenant_tokens(const Computes& computes, const std::string& storage_key_pem);

/// Whether `hostname` is one of the safekeepers in computes.json (its `safekeepers` host:port list).
bool known_safekeeper(const Computes& computes, const std::string& hostname);

}  // namespace neon::cli::hook
