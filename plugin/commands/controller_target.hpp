#pragma once
// Where the storage controller is and how to talk to it: --storage-controller URL, else
// NEON_STORAGE_CONTROLLER_URL, else the kubeconfig's API server through its service proxy
// `<server>/api/v1/namespaces/<ns>/services/http:storage-controller:1234/proxy`.
// The bearer token comes from --token-file or NEON_STORAGE_CONTROLLER_TOKEN, never argv.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <cxxopts.hpp>

#include "generators/result.hpp"
#include "generators/spec.hpp"
#include "plugin/adapters/context.hpp"
#include "plugin/adapters/http.hpp"
#include "plugin/clients/storcon.hpp"
#include "plugin/commands/cli_options.hpp"

namespace neon::cli {

inline constexpr const char* k_env_controller_url = "NEON_STORAGE_CONTROLLER_URL";
inline constexpr const char* k_env_controller_token = "NEON_STORAGE_CONTROLLER_TOKEN";

/// Adds --storage-controller, --token-file, --request-timeout and --ca-file (the CA bundle that
/// verifies an https:// controller URL; the kubeconfig's CA verifies the service proxy).
void add_controller_options(OptionSet& opts);

/// "30s", "5m", "1h", "500ms", "1m30s" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

enum class Kubeconfig { allowed, never };

/// --ca-file, when set: readable and holding a PEM certificate. A message for a usage error.
std::optional<std::string> check_ca_file(const cxxopts::ParseResult& flags);

/// The controller flags' values on their own: --request-timeout, the URL's scheme (flag or
/// environment) and --token-file (readable, not empty). A message for a usage error (exit 2).
std::optional<std::string> check_controller_flags(const Context& ctx, const cxxopts::ParseResult& flags);

struct ControllerTarget {
  storcon::ClientOptions options;
  http::TlsOptions tls;
  std::string described;  ///< for messages: the URL (redacted) or "service proxy via <server>"
};

/// Resolves the target from the parsed flags. `spec_namespace` may be empty. With
/// Kubeconfig::never (in-cluster bootstrap steps) only the flag and the environment count.
/// Call check_controller_flags first: what fails here after it is finding the controller.
Result<ControllerTarget> resolve_controller(const Context& ctx, const cxxopts::ParseResult& flags,
                                            const std::string& spec_namespace, Kubeconfig kube);

/// check_controller_flags, then resolve_controller. On failure prints the error and sets `exit`:
/// 2 for a bad flag value (or, with Kubeconfig::never, no URL at all), 3 when no controller can
/// be found (no URL and no usable kubeconfig).
std::optional<ControllerTarget> controller_from_flags(Context& ctx, const std::string& command,
                                                      const cxxopts::ParseResult& flags,
                                                      const std::string& spec_namespace, Kubeconfig kube, int& exit);

/// A transport and a client bound to it.
struct Controller {
  explicit Controller(const ControllerTarget& target)
      : transport(target.tls),
        client(transport, target.options),
        described(target.described),
        has_token(!target.options.token.empty()) {}
  http::CurlTransport transport;
  storcon::Client client;
  std::string described;
  bool has_token = false;
};

/// Prints `error: <message>` for a failed controller call, with a hint after a 401 or 403 that
/// names --token-file, the environment variable and the Secret key holding the admin token.
/// Returns k_exit_unreachable when the controller could not be reached, 1 otherwise.
int controller_failure(Context& ctx, const Controller& controller, const storcon::CallError& e);

/// The hint printed after a 401 or 403 (without the leading "hint: ").
std::string token_hint(const storcon::CallError& e, bool token_sent);

/// 32 lowercase or uppercase hex characters.
bool is_tenant_id(const std::string& s);

/// A tenant named on the command line: a project of the spec or a raw tenant id.
struct TenantRef {
  std::string tenant_id;
  std::string name;  ///< the project name, or empty
  std::optional<gen::Project> project;
};

/// Resolves PROJECT|TENANT_ID. A tenant id without -f needs no spec; a project name is looked up
/// in `spec_file` (or the embedded dev spec). Prints the error and returns nullopt on failure.
std::optional<TenantRef> resolve_tenant_arg(Context& ctx, const std::string& arg, const std::string& spec_file);

/// The project's tenant config as the flattened JSON object sent on tenant creation.
storcon::Json tenant_config_json(const gen::Project& project);

}  // namespace neon::cli
