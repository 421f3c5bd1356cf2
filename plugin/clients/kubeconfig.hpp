#pragma once
// Finding and talking to the Kubernetes API server the way kubectl does: --kubeconfig, else the
// KUBECONFIG list (merged, first file wins), else ~/.kube/config; --context over current-context;
// credentials from tokens, client certificates or exec plugins. Tokens are never logged.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "generators/result.hpp"
#include "plugin/adapters/context.hpp"
#include "plugin/adapters/http.hpp"

namespace neon::cli::kube {

/// A `users[].user.exec` entry.
struct ExecConfig {
  std::string api_version;  ///< client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
};

struct ClusterEntry {
  std::string server;
  std::string certificate_authority;       ///< path, resolved against the kubeconfig's directory
  std::string certificate_authority_data;  ///< base64 PEM
  bool insecure_skip_tls_verify = false;
};

struct UserEntry {
  std::string token;
  std::string token_file;
  std::string client_certificate;
  std::string client_certificate_data;
  std::string client_key;
  std::string client_key_data;
  std::optional<ExecConfig> exec;
};

struct ContextEntry {
  std::string cluster;
  std::string user;
  std::string namespace_;
};

/// One or more kubeconfig files merged as kubectl merges them.
struct Kubeconfig {
  std::vector<std::string> files;  ///< the files read, in order (for messages)
  std::string current_context;
  std::map<std::string, ClusterEntry> clusters;
  std::map<std::string, UserEntry> users;
  std::map<std::string, ContextEntry> contexts;
  /// Which file each entry came from, keyed "cluster/NAME", "user/NAME", "context/NAME".
  std::map<std::string, std::string> origin;
};

/// The kubeconfig paths kubectl would use for `ctx`: --kubeconfig, else KUBECONFIG (':'-separated,
/// empty items skipped), else $HOME/.kube/config.
std::vector<std::string> kubeconfig_paths(const Context& ctx);

/// Parses one kubeconfig document; relative file references are resolved against `path`'s
/// directory.
Result<Kubeconfig> parse_kubeconfig(const std::string& yaml_text, const std::string& path);

/// Reads and merges `paths`. With KUBECONFIG, missing files are skipped as kubectl does; an
/// explicit --kubeconfig that is missing is an error (`explicit_file`).
enum class MissingFiles { skip, error };
Result<Kubeconfig> load_kubeconfig(const std::vector<std::string>& paths, MissingFiles missing);

/// Everything needed to send a request to the API server.
struct ApiServer {
  std::string server;  ///< e.g. https://127.0.0.1:6443, no trailing slash
  http::TlsOptions tls;
  std::vector<std::pair<std::string, std::string>> headers;  ///< Authorization, when token-based
  std::string namespace_;  ///< -n, else the context's, else the spec's, else "default"
  std::string context;     ///< the context name used
};

/// Resolves the API server for `ctx` (kubeconfig files, --context, -n). Runs an exec plugin when
/// the user has one. `spec_namespace` may be empty.
Result<ApiServer> resolve_api_server(const Context& ctx, const std::string& spec_namespace);

/// Same, from an already loaded kubeconfig (for tests and for callers that load once).
Result<ApiServer> resolve_api_server(const Context& ctx, const Kubeconfig& config, const std::string& spec_namespace);

/// Runs an exec credential plugin (no shell) and returns its ExecCredential status as
/// {token} or {client certificate, key} folded into `api`.
Result<void> run_exec_plugin(const Context& ctx, const ExecConfig& exec, const ClusterEntry& cluster, ApiServer& api);

}  // namespace neon::cli::kube
