#pragma once
// The storage tokens of `storageController.auth.tokenSecret`: one per holder, each with the one
// scope its calls need (neon-api.md §3; storage_controller/src/http.rs check_permissions), each
// with the signing key's `kid` (jwt::key_id), none with `exp` (the holders read them once at start
// and cannot renew them; `secrets rotate` replaces them all).

#include <map>
#include <string>
#include <vector>

#include "generators/result.hpp"

namespace neon::cli {

struct StorageToken {
  const char* key;     ///< key in the token Secret (generators/names.hpp)
  const char* scope;   ///< libs/utils/src/auth.rs Scope, as serialized
  const char* holder;  ///< who uses it, for people
};

/// pageserver (pageserverapi), safekeeper (safekeeperdata), generations (generations_api), infra,
/// controller-peer (controller_peer), admin (the operator's kubectl neon only).
const std::vector<StorageToken>& storage_token_set();

/// Every token of the set signed with `private_pem` (Ed25519 PKCS#8), by Secret key.
Result<std::map<std::string, std::string>> storage_tokens(const std::string& private_pem);

/// The tokens of the set missing from `have` (a token Secret written by an earlier version),
/// signed with `signing_private_pem`, which must be the private half of `public_pem` (the key
/// Secret's public.pem, which verifies them); an error says why they cannot be minted.
Result<std::map<std::string, std::string>> missing_storage_tokens(const std::map<std::string, std::string>& have,
                                                                  const std::string* signing_private_pem,
                                                                  const std::string* public_pem);

}  // namespace neon::cli
