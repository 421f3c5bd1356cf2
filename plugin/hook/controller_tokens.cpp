#include "plugin/hook/controller_tokens.hpp"

#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/adapters/text.hpp"
#include "plugin/clients/jwt.hpp"

namespace neon::cli::hook {

Result<ControllerTokens> ControllerTokens::create(std::optional<std::string> private_pem, std::chrono::seconds lifetime,
                                                  Clock now) {
  ControllerTokens out;
  out.m_lifetime = lifetime;
  out.m_now = now ? std::move(now) : [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  if (private_pem) {
    auto pub = jwt::public_from_private(*private_pem);
    if (!pub) {
      return make_error("the storage signing key: " + pub.error().message);
    }
    auto kid = jwt::key_id(*pub);
    if (!kid) {
      return kid.error();
    }
    out.m_kid = std::move(*kid);
    out.m_private_pem = std::move(private_pem);
  }
  return out;
}

ControllerTokens::ControllerTokens(ControllerTokens&& other) noexcept
    : m_private_pem(std::move(other.m_private_pem)),
      m_kid(std::move(other.m_kid)),
      m_lifetime(other.m_lifetime),
      m_now(std::move(other.m_now)),
      m_minted(std::move(other.m_minted)) {}

Result<std::string> ControllerTokens::token(const std::string& scope) {
  if (!m_private_pem) {
    return std::string();
  }
  const std::int64_t now = m_now();
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_minted.find(scope);
  if (it != m_minted.end() && it->second.expires - now > m_lifetime.count() / 2) {
    return it->second.token;
  }
  const std::int64_t expires = now + m_lifetime.count();
  auto token = jwt::sign(nlohmann::json{{"scope", scope}, {"exp", expires}}, *m_private_pem, m_kid);
  if (!token) {
    return token.error();
  }
  m_minted[scope] = Minted{*token, expires};
  return std::move(*token);
}

std::string ControllerTokens::scope_for(const std::string& method, const std::string& path) {
  const std::vector<std::string> segments = path_segments(path);
  if (segments.size() >= 2 && segments[0] == "v1") {
    return "pageserverapi";
  }
  if (method != "GET" || segments.size() < 3 || segments[0] != "control" || segments[1] != "v1") {
    return "";
  }
  if ((segments[2] == "node" || segments[2] == "safekeeper") && segments.size() <= 4) {
    return "infra";
  }
  if (segments[2] == "tenant" && segments.size() == 4) {
    return "scrubber";
  }
  return "";
}

std::function<std::string(const std::string&, const std::string&)> ControllerTokens::for_routes(ScopeFor scope_of) {
  return [this, scope_of = std::move(scope_of)](const std::string& method, const std::string& path) {
    const std::string scope = scope_of(method, path);
    if (scope.empty()) {
      return std::string();
    }
    // A mint fails only when OpenSSL does; the call then goes without a token and gets 401.
    auto minted = token(scope);
    return minted ? *minted : std::string();
  };
}

}  // namespace neon::cli::hook
