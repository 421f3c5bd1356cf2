#include "plugin/hook/hook_auth.hpp"

#include "plugin/clients/compute_token.hpp"
#include "plugin/clients/jwt.hpp"

namespace neon::cli::hook {

std::optional<std::string> bearer_token(const std::string& authorization) {
  const std::string prefix = "Bearer ";
  if (authorization.compare(0, prefix.size(), prefix) != 0 || authorization.size() == prefix.size()) {
    return std::nullopt;
  }
  return authorization.substr(prefix.size());
}

std::optional<Denial> check_bearer(const std::string& authorization, const std::string& want) {
  auto given = bearer_token(authorization);
  if (!given) {
    return Denial{401, "missing bearer token"};
  }
  if (want.empty() || !compute_token::same(*given, want)) {
    return Denial{403, "wrong bearer token"};
  }
  return std::nullopt;
}

std::optional<Denial> check_compute_token(const std::string& authorization, const std::string& key,
                                          const std::string& compute_id) {
  auto given = bearer_token(authorization);
  if (!given) {
    return Denial{401, "missing bearer token: compute_ctl sends NEON_CONTROL_PLANE_TOKEN"};
  }
  if (key.empty() || !compute_token::same(*given, compute_token::derive(key, compute_id))) {
    return Denial{403, "this token does not fetch this compute's spec"};
  }
  return std::nullopt;
}

Result<std::pair<std::string, Json>> signing_keys(const std::string& signing_key_pem, const std::string& kid) {
  auto pub = jwt::public_from_private(signing_key_pem);
  if (!pub) {
    return make_error("signing key: " + pub.error().message);
  }
  auto set = jwt::jwks(*pub, kid);
  if (!set) {
    return make_error("signing key: " + set.error().message);
  }
  return std::make_pair(*pub, *set);
}

Result<std::map<std::string, std::string>> tenant_tokens(const Computes& computes, const std::string& storage_key_pem) {
  auto pub = jwt::public_from_private(storage_key_pem);
  if (!pub) {
    return make_error("storage signing key: " + pub.error().message);
  }
  auto kid = jwt::key_id(*pub);  // names the key while `secrets rotate` overlaps two
  if (!kid) {
    return kid.error();
  }
  std::map<std::string, std::string> out;
  for (const ComputeEntry& c : computes.computes) {
    if (out.count(c.tenant_id) != 0) {
      continue;
    }
    auto token = jwt::sign(tenant_token_claims(c.tenant_id), storage_key_pem, *kid);
    if (!token) {
      return make_error("storage signing key: " + token.error().message);
    }
    out[c.tenant_id] = std::move(*token);
  }
  return out;
}

bool known_safekeeper(const Computes& computes, const std::string& hostname) {
  for (const std::string& host_port : computes.safekeepers) {
    const auto colon = host_port.rfind(':');
    if (host_port.substr(0, colon) == hostname) {
      return true;
    }
  }
  return false;
}

}  // namespace neon::cli::hook
