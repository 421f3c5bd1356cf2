#pragma once
// Roles in compute specs (issue 15): the SCRAM-SHA-256 verifier compute_ctl writes verbatim as
// the role's password (compute_tools/src/pg_helpers.rs:146-167), and the passwords the hook
// reads from the mounted role Secrets.
//
// The salt is not random: it is HMAC-SHA-256(key = password, msg = "<project>/<branch>/<role>"),
// first 16 bytes. The same password gives the same verifier at every hook start, so a restart sends
// no /configure and compute_ctl sees no change (it compares the string with pg_authid.rolpassword,
// compute_tools/src/pg_helpers.rs:269-286); the salt still differs per role and branch, and
// knowing it reveals nothing a random salt would not.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/computes.hpp"
#include "generators/result.hpp"

namespace neon::cli::hook {

/// Postgres' default iteration count for SCRAM-SHA-256 (scram_iterations).
inline constexpr int k_scram_iterations = 4096;
/// A password file larger than this is refused.
inline constexpr std::size_t k_max_password = 4096;

/// `SCRAM-SHA-256$<i>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802/7677, Postgres' storage format,
/// proxy/src/scram/secret.rs:32-50) for `password` with this salt. OpenSSL does the PBKDF2, HMAC
/// and SHA-256. The password is used as bytes (Postgres' SASLprep leaves printable ASCII as is).
Result<std::string> scram_verifier(const std::string& password, const std::string& salt, int iterations);

/// The verifier with the salt derived from (project, branch, role) as above.
Result<std::string> role_verifier(const std::string& password, const std::string& project, const std::string& branch,
                                  const std::string& role);

/// The passwords of the role Secrets, mounted as one file per Secret under a folder (the generated
/// Deployment projects key `password` of Secret S to `<dir>/S`). Keeps each role's verifier; a
/// Secret that disappears, or loses its password, keeps the last verifier (never a password reset
/// to NULL on a running compute) and is reported. Thread-safe.
class PasswordBook {
public:
  PasswordBook(std::string dir, const gen::ComputesFile& computes);

  /// Reads every Secret file again. Returns the Secrets whose verifier changed; `problems` gets
  /// one line per Secret that newly has no usable password (never the password).
  std::vector<std::string> refresh(std::vector<std::string>& problems);

  /// The spec's cluster.roles for `compute`: its roles with encrypted_password (null while the
  /// Secret has never held a password: compute_ctl then writes PASSWORD NULL, no remote login).
  nlohmann::json roles(const gen::ComputeEntry& compute) const;

  /// The verifier of the role whose password is in Secret `secret`; nullopt while there is none.
  std::optional<std::string> verifier(const std::string& secret) const;

  /// `text` with every verifier now known replaced by `<redacted>` (compute_ctl's answers).
  std::string redact(std::string text) const;

private:
  struct Entry {
    std::string project, branch, role;
    std::optional<std::string> verifier;
    std::string password_digest;  ///< SHA-256 of the password read last: skips PBKDF2 when unchanged
    bool reported = false;
  };
  std::string m_dir;
  mutable std::mutex m_mutex;
  std::map<std::string, Entry> m_entries;  ///< by Secret name
};

/// The primaries, by tenant, that have a role whose Secret is in `changed`. Replicas are left
/// out: compute_ctl applies roles on a primary only, replicas get them through WAL
/// (compute_tools/src/compute.rs:1009-1010).
std::map<std::string, std::vector<const gen::ComputeEntry*>> primaries_using(const gen::ComputesFile& computes,
                                                                             const std::vector<std::string>& changed);

/// Calls `tick` every `period` on its own thread until destroyed or stop()ped.
class Ticker {
public:
  Ticker(std::chrono::milliseconds period, std::function<void()> tick);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;
  void stop();

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace neon::cli::hook
