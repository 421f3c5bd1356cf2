#include "plugin/commands/secrets_hook_tokens.hpp"

#include <fmt/format.h>

#include "generators/computes.hpp"
#include "generators/names.hpp"
#include "plugin/clients/compute_token.hpp"

namespace neon::cli {

SecretData compute_tokens(const std::string& key, const gen::ValidSpec& spec) {
  SecretData out;
  for (const gen::ComputeEntry& c : gen::computes_file(spec).computes) {
    out[gen::names::compute_token_secret_key(c.compute_id)] = compute_token::derive(key, c.compute_id);
  }
  return out;
}

Result<SecretData> missing_compute_tokens(const SecretData& existing, const gen::ValidSpec& spec,
                                          const std::string& new_proxy_token) {
  if (existing.count(gen::names::k_token_control_plane) == 0) {
    return make_error(
        fmt::format("Secret {} has no key {} (the storage controller's token for the hook); rerun with "
                    "--overwrite to make it anew",
                    spec->storage_controller.auth.hook_token_secret, gen::names::k_token_control_plane));
  }
  auto key = existing.find(gen::names::k_compute_token_key);
  if (key == existing.end() || key->second.empty()) {
    return make_error(
        fmt::format("Secret {} has no key {}, from which the computes' spec tokens are derived; "
                    "rerun with --overwrite to make it anew",
                    spec->storage_controller.auth.hook_token_secret, gen::names::k_compute_token_key));
  }
  SecretData missing;
  if (spec->proxy.enabled) {
    auto have = existing.find(gen::names::k_proxy_token_key);
    if (have == existing.end() || have->second.empty()) {
      missing[gen::names::k_proxy_token_key] = new_proxy_token;
    }
  }
  for (auto& [k, v] : compute_tokens(key->second, spec)) {
    auto have = existing.find(k);
    if (have == existing.end() || have->second != v) {
      missing[k] = v;
    }
  }
  return missing;
}

}  // namespace neon::cli
