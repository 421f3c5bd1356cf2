#include "plugin/clients/storage_tokens.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "generators/names.hpp"
#include "plugin/clients/jwt.hpp"

namespace neon::cli {

namespace names = gen::names;

const std::vector<StorageToken>& storage_token_set() {
  static const std::vector<StorageToken> k_set = {
      {names::k_token_pageserver, "pageserverapi", "storage controller to pageservers"},
      {names::k_token_safekeeper, "safekeeperdata", "storage controller and pageservers to safekeepers; peers"},
      {names::k_token_generations, "generations_api", "pageserver upcalls (pageserver.toml)"},
      {names::k_token_infra, "infra", "safekeeper registration (init container)"},
      {names::k_token_peer, "controller_peer", "a new storage controller asking the leader to step down"},
      {names::k_token_admin, "admin", "the operator's kubectl neon; no pod mounts it"},
  };
  return k_set;
}

Result<std::map<std::string, std::string>> storage_tokens(const std::string& private_pem) {
  auto pub = jwt::public_from_private(private_pem);
  if (!pub) {
    return pub.error();
  }
  auto kid = jwt::key_id(*pub);
  if (!kid) {
    return kid.error();
  }
  std::map<std::string, std::string> out;
  for (const StorageToken& t : storage_token_set()) {
    auto token = jwt::sign(nlohmann::json{{"scope", t.scope}}, private_pem, *kid);
    if (!token) {
      return token.error();
    }
    out[t.key] = std::move(*token);
  }
  return out;
}

Result<std::map<std::string, std::string>> missing_storage_tokens(const std::map<std::string, std::string>& have,
                                                                  const std::string* signing_private_pem,
                                                                  const std::string* public_pem) {
  std::map<std::string, std::string> out;
  std::string lacking;
  for (const StorageToken& t : storage_token_set()) {
    if (have.count(t.key) == 0) {
      lacking += (lacking.empty() ? "" : ", ") + std::string(t.key);
    }
  }
  if (lacking.empty()) {
    return out;
  }
  auto pub = signing_private_pem != nullptr ? jwt::public_from_private(*signing_private_pem)
                                            : Result<std::string>(make_error("no storage signing key"));
  if (!pub || public_pem == nullptr || *pub != *public_pem) {
    return make_error(fmt::format(
        "the token Secret lacks keys {}; the storage signing Secret holds no private key of the auth public key to "
        "mint them: rerun with --overwrite (a new key; restart every storage component, the hook and the computes)",
        lacking));
  }
  auto all = storage_tokens(*signing_private_pem);
  NEON_TRY(all);
  for (auto& [key, token] : *all) {
    if (have.count(key) == 0) {
      out[key] = std::move(token);
    }
  }
  return out;
}

}  // namespace neon::cli
