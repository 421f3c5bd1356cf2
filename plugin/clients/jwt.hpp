#pragma once
// Ed25519 keys and EdDSA JWTs (OpenSSL), as Neon uses them: the storage controller's tokens
// (neon-api.md §3) and compute_ctl's JWKS-verified tokens (§4.4). Implemented in jwt.cpp.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "generators/result.hpp"
#include "plugin/adapters/base64.hpp"

namespace neon::cli::jwt {

struct KeyPair {
  std::string private_pem;  ///< PKCS#8 "-----BEGIN PRIVATE KEY-----"
  std::string public_pem;   ///< SPKI "-----BEGIN PUBLIC KEY-----"
};

/// A fresh Ed25519 key pair.
Result<KeyPair> generate_ed25519();

/// Signs `claims` as a compact JWS with header {"alg":"EdDSA","typ":"JWT"} (plus "kid" if given).
Result<std::string> sign(const nlohmann::json& claims, const std::string& private_pem, const std::string& kid = "");

/// Verifies the signature with `public_pem` and returns the claims. Checks `exp` when present
/// against `now_unix`.
Result<nlohmann::json> verify(const std::string& token, const std::string& public_pem, std::int64_t now_unix);

/// The public key as a JWKS document
/// {"keys":[{"kty":"OKP","crv":"Ed25519","x":...,"alg":"EdDSA","use":"sig","kid":...}]}.
Result<nlohmann::json> jwks(const std::string& public_pem, const std::string& kid);

/// The key's RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid` of every token it signs, so
/// a token names the key that verifies it while two keys overlap during a rotation.
Result<std::string> key_id(const std::string& public_pem);

/// The public key PEM for a private key PEM.
Result<std::string> public_from_private(const std::string& private_pem);

/// base64url without padding, and back (plugin/base64.hpp).
using neon::cli::base64url_decode;
using neon::cli::base64url_encode;

}  // namespace neon::cli::jwt
