#include "plugin/hook/hook_roles.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "plugin/adapters/base64.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

std::string as_string(const Digest& d, std::size_t n = SHA256_DIGEST_LENGTH) {
  return std::string(reinterpret_cast<const char*>(d.data()), n);
}

Result<Digest> hmac_sha256(const std::string& key, const std::string& message) {
  Digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len) == nullptr ||
      len != out.size()) {
    return make_error("HMAC-SHA-256 failed");
  }
  return out;
}

Digest sha256(const std::string& data) {
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

}  // namespace

Result<std::string> scram_verifier(const std::string& password, const std::string& salt, int iterations) {
  Digest salted{};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), static_cast<int>(salted.size()), salted.data()) != 1) {
    return make_error("PBKDF2-HMAC-SHA-256 failed");
  }
  const std::string salted_password = as_string(salted);
  OPENSSL_cleanse(salted.data(), salted.size());
  auto client_key = hmac_sha256(salted_password, "Client Key");
  auto server_key = hmac_sha256(salted_password, "Server Key");
  if (!client_key || !server_key) {
    return make_error("HMAC-SHA-256 failed");
  }
  const Digest stored_key = sha256(as_string(*client_key));
  return fmt::format("SCRAM-SHA-256${}:{}${}:{}", iterations, base64_encode(salt), base64_encode(as_string(stored_key)),
                     base64_encode(as_string(*server_key)));
}

Result<std::string> role_verifier(const std::string& password, const std::string& project, const std::string& branch,
                                  const std::string& role) {
  auto salt = hmac_sha256(password, fmt::format("{}/{}/{}", project, branch, role));
  NEON_TRY(salt);
  return scram_verifier(password, as_string(*salt, 16), k_scram_iterations);
}

PasswordBook::PasswordBook(std::string dir, const gen::ComputesFile& computes) : m_dir(std::move(dir)) {
  for (const gen::ComputeEntry& c : computes.computes) {
    for (const auto& r : c.roles) {
      m_entries.emplace(r["secret"].get<std::string>(),
                        Entry{c.project, c.branch, r["name"].get<std::string>(), std::nullopt, "", false});
    }
  }
}

std::vector<std::string> PasswordBook::refresh(std::vector<std::string>& problems) {
  std::vector<std::string> changed;
  for (auto& [secret, entry] : m_entries) {
    auto password = read_file(std::filesystem::path(m_dir) / secret, k_max_password);
    std::string why;
    if (!password) {
      why = password.error().kind == ErrorKind::not_found ? "is missing or has no key \"password\""
                                                          : "cannot be read: " + password.error().message;
    } else if (password->empty()) {
      why = "has an empty password";
    }
    if (!why.empty()) {
      if (!entry.reported) {
        problems.push_back(fmt::format("role {} of {}/{}: Secret {} {}; {}", entry.role, entry.project, entry.branch,
                                       secret, why,
                                       entry.verifier ? "keeping the last password" : "the role cannot log in"));
        entry.reported = true;
      }
      continue;
    }
    entry.reported = false;
    const std::string digest = as_string(sha256(*password));
    if (digest == entry.password_digest) {
      OPENSSL_cleanse(password->data(), password->size());
      continue;
    }
    auto verifier = role_verifier(*password, entry.project, entry.branch, entry.role);
    OPENSSL_cleanse(password->data(), password->size());
    if (!verifier) {
      problems.push_back(fmt::format("role {}: {}", entry.role, verifier.error().message));
      continue;
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    entry.password_digest = digest;
    if (entry.verifier != *verifier) {
      entry.verifier = *verifier;
      changed.push_back(secret);
    }
  }
  return changed;
}

std::optional<std::string> PasswordBook::verifier(const std::string& secret) const {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_entries.find(secret);
  return it == m_entries.end() ? std::nullopt : it->second.verifier;
}

nlohmann::json PasswordBook::roles(const gen::ComputeEntry& compute) const {
  std::lock_guard<std::mutex> lock(m_mutex);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : compute.roles) {
    auto it = m_entries.find(r["secret"].get<std::string>());
    const bool known = it != m_entries.end() && it->second.verifier;
    out.push_back(nlohmann::json{{"name", r["name"]},
                                 {"encrypted_password", known ? nlohmann::json(*it->second.verifier) : nullptr},
                                 {"options", r.value("options", nlohmann::json())}});
  }
  return out;
}

std::string PasswordBook::redact(std::string text) const {
  std::lock_guard<std::mutex> lock(m_mutex);
  for (const auto& [secret, entry] : m_entries) {
    if (entry.verifier) {
      text = hook::redact(text, *entry.verifier);
    }
  }
  return text;
}

std::map<std::string, std::vector<const gen::ComputeEntry*>> primaries_using(const gen::ComputesFile& computes,
                                                                             const std::vector<std::string>& changed) {
  std::map<std::string, std::vector<const gen::ComputeEntry*>> out;
  for (const gen::ComputeEntry& c : computes.computes) {
    const bool hit = std::any_of(c.roles.begin(), c.roles.end(), [&](const auto& r) {
      return std::find(changed.begin(), changed.end(), r["secret"].template get<std::string>()) != changed.end();
    });
    if (hit && c.mode == gen::ComputeMode::primary) {
      out[c.tenant_id].push_back(&c);
    }
  }
  return out;
}

Ticker::Ticker(std::chrono::milliseconds period, std::function<void()> tick)
    : m_thread([this, period, tick = std::move(tick)] {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (!m_cv.wait_for(lock, period, [this] { return m_stopping; })) {
          lock.unlock();
          tick();
          lock.lock();
        }
      }) {}

Ticker::~Ticker() { stop(); }

void Ticker::stop() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable() && m_thread.get_id() != std::this_thread::get_id()) {
    m_thread.join();
  }
}

}  // namespace neon::cli::hook
