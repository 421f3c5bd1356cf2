#pragma once
// The compute hook's own tokens towards the storage controller, minted from the storage signing
// key it holds anyway (it mints the computes' tenant tokens from it): one token per scope, each
// with `exp` and the key's `kid`, so no long-lived admin token sits in the hook's pod. spec.sync's
// CronJob runs `kubectl neon sync --signing-key-file` with the same key and its own route table.
//
// Neon's JwtAuth validates `exp` when a token carries one (libs/utils/src/auth.rs:139-143,
// jsonwebtoken's Validation::default with required_spec_claims emptied) and ignores claims its
// Claims type does not name (auth.rs:75-88, no deny_unknown_fields).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "generators/result.hpp"

namespace neon::cli::hook {

/// How long a minted controller token lives; it is minted again when less than half remains.
inline constexpr std::chrono::seconds k_controller_token_lifetime{600};

class ControllerTokens {
public:
  using Clock = std::function<std::int64_t()>;  ///< Unix seconds

  /// Without a key (auth off) every token is empty. Fails on a key that is not Ed25519 PKCS#8.
  static Result<ControllerTokens> create(std::optional<std::string> private_pem,
                                         std::chrono::seconds lifetime = k_controller_token_lifetime, Clock now = {});

  ControllerTokens(const ControllerTokens&) = delete;
  ControllerTokens& operator=(const ControllerTokens&) = delete;
  ControllerTokens(ControllerTokens&& other) noexcept;
  ControllerTokens& operator=(ControllerTokens&&) = delete;
  ~ControllerTokens() = default;

  /// A token of `scope` (neon-api.md 3.1 spellings): reused while more than half its lifetime
  /// remains, else minted anew. Empty without a key. Never logged.
  Result<std::string> token(const std::string& scope);

  bool enabled() const { return m_private_pem.has_value(); }

  /// The scope each controller route the hook calls needs (storage_controller/src/http.rs):
  /// `/v1/...` pageserverapi (tenant create :256, timeline create :453, passthrough :728),
  /// GET `/control/v1/node[/:id]` and `/control/v1/safekeeper[/:id]` infra (:957, :1076, :1684),
  /// GET `/control/v1/tenant/:id` scrubber (:882). Any other route: "" (no token: the hook has no
  /// business there, and the controller answers 401).
  static std::string scope_for(const std::string& method, const std::string& path);

  /// The scope of a route's token; "" for none.
  using ScopeFor = std::function<std::string(const std::string& method, const std::string& path)>;

  /// For storcon::ClientOptions::token_for: the token of scope(method, path), by default the
  /// hook's table (scope_for); `kubectl neon sync` passes its own. The object must outlive the
  /// clients that use it.
  std::function<std::string(const std::string&, const std::string&)> for_routes(ScopeFor scope = &scope_for);

private:
  ControllerTokens() = default;
  struct Minted {
    std::string token;
    std::int64_t expires = 0;
  };
  std::optional<std::string> m_private_pem;
  std::string m_kid;
  std::chrono::seconds m_lifetime{0};
  Clock m_now;
  std::mutex m_mutex;
  std::map<std::string, Minted> m_minted;
};

}  // namespace neon::cli::hook
