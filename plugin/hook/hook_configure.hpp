#pragma once
// One compute_ctl POST /configure (neon-api.md 4.4): signed with a short-lived EdDSA JWT whose
// `compute_id` claim names the compute, and mapped to what the storage controller should do next.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "generators/result.hpp"
#include "plugin/hook/hook_power.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

/// The most the hook reads of an answer from a compute_ctl or the storage controller.
inline constexpr std::size_t k_max_answer = 1024 * 1024;

struct ConfigureCall {
  const std::string& signing_key_pem;
  std::string kid;
  const Json& jwks;
  std::chrono::milliseconds timeout;
  std::string storage_token;  ///< redacted from an error answer; empty: none
  /// Also applied to an error answer before it is logged (role verifiers); nullptr: nothing more.
  std::function<std::string(const std::string&)> redact_more = nullptr;
};

struct ConfigureResult {
  int status = 200;     ///< for the controller: 200, 423 (sent again later), 503 (retry), 500
  std::string message;  ///< empty on success
};

ConfigureResult configure_compute(const ComputeEntry& compute, const Json& spec, const ConfigureCall& call);

/// compute_ctl GET /status, with the same kind of token (compute_tools/src/http/server.rs:101-126).
/// Not reachable: nothing answered, or an answer other than 200 (the reason in `error`).
ComputeActivity compute_status(const ComputeEntry& compute, const std::string& signing_key_pem, const std::string& kid,
                               std::chrono::milliseconds timeout);

/// compute_ctl POST /terminate?mode=fast (compute_tools/src/http/routes/terminate.rs:19-85): 200 once
/// Postgres has stopped (a primary's WAL synced to the safekeepers), 201 when it already had.
/// compute_status and terminate_compute (60 s: Postgres' fast shutdown and the WAL sync) as a
/// PowerPlant; the Kubernetes functions are left unset.
PowerPlant compute_ctl_plant(std::string signing_key_pem, std::string kid, std::chrono::milliseconds status_timeout);

Result<void> terminate_compute(const ComputeEntry& compute, const std::string& signing_key_pem, const std::string& kid,
                               std::chrono::milliseconds timeout);

}  // namespace neon::cli::hook
