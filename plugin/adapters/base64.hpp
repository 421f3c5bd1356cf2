#pragma once
// Base64 through OpenSSL (EVP_EncodeBlock, EVP_DecodeBlock): the standard alphabet with padding,
// as Kubernetes Secrets and kubeconfig `*-data` use it, and base64url without padding for JWTs.

#include <string>

#include "generators/result.hpp"

namespace neon::cli {

/// Standard base64 with padding, on one line.
std::string base64_encode(const std::string& data);
/// Standard base64; padding optional, whitespace anywhere ignored.
Result<std::string> base64_decode(const std::string& text);

/// base64url without padding (RFC 7515 §2), and back. Decoding accepts trailing padding and
/// refuses non-canonical input (leftover bits set), so one value has one encoding.
std::string base64url_encode(const std::string& data);
Result<std::string> base64url_decode(const std::string& text);

}  // namespace neon::cli
