// kubeconfig loading and credential resolution, following client-go's rules (clientcmd loader and
// exec authenticator) closely enough that a kubeconfig that works for kubectl works here.
#include "plugin/clients/kubeconfig.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "plugin/adapters/files.hpp"
#include "plugin/adapters/process.hpp"
#include "plugin/adapters/text.hpp"
#include "plugin/clients/kube_client.hpp"

namespace neon::cli::kube {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t k_max_kubeconfig_bytes = 16U << 20U;
constexpr std::size_t k_max_credential_file_bytes = 1U << 20U;
constexpr const char* k_in_cluster_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string str(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

bool flag(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() && v.as<std::string>() == "true";
}

/// A relative path in a kubeconfig is relative to the file that contains it.
std::string resolve(const std::string& path, const fs::path& dir) {
  if (path.empty() || fs::path(path).is_absolute()) {
    return path;
  }
  return (dir / path).lexically_normal().string();
}

std::string join_keys(const std::map<std::string, ContextEntry>& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    out += out.empty() ? k : ", " + k;
  }
  return out.empty() ? "none" : out;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) {
    out += out.empty() ? s : sep + s;
  }
  return out;
}

ExecConfig parse_exec(const YAML::Node& node, const fs::path& dir) {
  ExecConfig e;
  e.api_version = str(node, "apiVersion");
  e.command = str(node, "command");
  // client-go resolves a command with a slash against the kubeconfig's directory; a bare name is
  // looked up on PATH.
  if (e.command.find('/') != std::string::npos) {
    e.command = resolve(e.command, dir);
  }
  if (const YAML::Node args = node["args"]; args && args.IsSequence()) {
    for (const auto& a : args) {
      e.args.push_back(a.as<std::string>());
    }
  }
  if (const YAML::Node env = node["env"]; env && env.IsSequence()) {
    for (const auto& kv : env) {
      e.env.emplace_back(str(kv, "name"), str(kv, "value"));
    }
  }
  e.provide_cluster_info = flag(node, "provideClusterInfo");
  return e;
}

Result<std::string> read_credential_file(const std::string& path, const char* what) {
  auto text = read_file(path, k_max_credential_file_bytes);
  if (!text) {
    return make_error(fmt::format("cannot read {} {}: {}", what, path, text.error().message));
  }
  return std::move(*text);
}

Result<std::string> decode_data(const std::string& data, const char* what) {
  auto pem = base64_decode(data);
  if (!pem) {
    return make_error(fmt::format("{} is not valid base64", what));
  }
  return std::move(*pem);
}

/// The in-cluster service account, as client-go's InClusterConfig, for when no kubeconfig exists
/// (bootstrap Jobs run the plugin inside the cluster).
Result<ApiServer> in_cluster(const Context& ctx, const std::string& spec_namespace) {
  const auto host = ctx.getenv("KUBERNETES_SERVICE_HOST");
  const auto port = ctx.getenv("KUBERNETES_SERVICE_PORT");
  const fs::path dir = k_in_cluster_dir;
  auto token = read_credential_file((dir / "token").string(), "service account token");
  if (!token) {
    return token.error();
  }
  ApiServer api;
  const bool v6 = host->find(':') != std::string::npos;
  api.server = fmt::format("https://{}{}{}:{}", v6 ? "[" : "", *host, v6 ? "]" : "", *port);
  api.tls.ca_file = (dir / "ca.crt").string();
  api.headers.emplace_back("Authorization", "Bearer " + trim(*token));
  auto ns = read_file(dir / "namespace", k_max_credential_file_bytes);
  api.namespace_ = !ctx.globals.namespace_.empty() ? ctx.globals.namespace_
                   : ns && !trim(*ns).empty()      ? trim(*ns)
                   : !spec_namespace.empty()       ? spec_namespace
                                                   : "default";
  api.context = "in-cluster";
  return api;
}

}  // namespace

std::vector<std::string> kubeconfig_paths(const Context& ctx) {
  if (!ctx.globals.kubeconfig.empty()) {
    return {ctx.globals.kubeconfig};
  }
  std::vector<std::string> out;
  if (const auto list = ctx.getenv("KUBECONFIG"); list && !list->empty()) {
    std::size_t start = 0;
    while (start <= list->size()) {
      const std::size_t colon = std::min(list->find(':', start), list->size());
      std::string item = list->substr(start, colon - start);
      if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) {
        out.push_back(std::move(item));
      }
      start = colon + 1;
    }
    return out;
  }
  const auto home = ctx.getenv("HOME");
  if (home && !home->empty()) {
    out.push_back((fs::path(*home) / ".kube" / "config").string());
  }
  return out;
}

Result<Kubeconfig> parse_kubeconfig(const std::string& yaml_text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return make_error(fmt::format("kubeconfig {}: invalid YAML: {}", path, e.what()));
  }
  Kubeconfig cfg;
  cfg.files.push_back(path);
  if (!root || root.IsNull()) {
    return cfg;
  }
  if (!root.IsMap()) {
    return make_error(fmt::format("kubeconfig {}: not a YAML mapping", path));
  }
  const fs::path dir = fs::path(path).parent_path();
  try {
    cfg.current_context = str(root, "current-context");
    for (const auto& item : root["clusters"]) {
      const YAML::Node c = item["cluster"];
      ClusterEntry e;
      e.server = str(c, "server");
      e.certificate_authority = resolve(str(c, "certificate-authority"), dir);
      e.certificate_authority_data = str(c, "certificate-authority-data");
      e.insecure_skip_tls_verify = flag(c, "insecure-skip-tls-verify");
      cfg.clusters.emplace(str(item, "name"), std::move(e));
    }
    for (const auto& item : root["users"]) {
      const YAML::Node u = item["user"];
      UserEntry e;
      e.token = str(u, "token");
      e.token_file = resolve(str(u, "tokenFile"), dir);
      e.client_certificate = resolve(str(u, "client-certificate"), dir);
      e.client_certificate_data = str(u, "client-certificate-data");
      e.client_key = resolve(str(u, "client-key"), dir);
      e.client_key_data = str(u, "client-key-data");
      if (const YAML::Node ex = u["exec"]; ex && ex.IsMap()) {
        e.exec = parse_exec(ex, dir);
      }
      cfg.users.emplace(str(item, "name"), std::move(e));
    }
    for (const auto& item : root["contexts"]) {
      const YAML::Node c = item["context"];
      cfg.contexts.emplace(str(item, "name"), ContextEntry{str(c, "cluster"), str(c, "user"), str(c, "namespace")});
    }
  } catch (const YAML::Exception& e) {
    return make_error(fmt::format("kubeconfig {}: unexpected structure: {}", path, e.what()));
  }
  for (const auto& [name, v] : cfg.clusters) {
    cfg.origin["cluster/" + name] = path;
  }
  for (const auto& [name, v] : cfg.users) {
    cfg.origin["user/" + name] = path;
  }
  for (const auto& [name, v] : cfg.contexts) {
    cfg.origin["context/" + name] = path;
  }
  return cfg;
}

Result<Kubeconfig> load_kubeconfig(const std::vector<std::string>& paths, MissingFiles missing) {
  Kubeconfig merged;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      if (missing == MissingFiles::error) {
        return make_error(fmt::format("kubeconfig {} does not exist", path));
      }
      continue;
    }
    auto text = read_file(path, k_max_kubeconfig_bytes);
    if (!text) {
      return make_error(fmt::format("cannot read kubeconfig {}: {}", path, text.error().message));
    }
    auto one = parse_kubeconfig(*text, path);
    if (!one) {
      return one.error();
    }
    merged.files.push_back(path);
    if (merged.current_context.empty()) {
      merged.current_context = one->current_context;
    }
    // The first file to define a name wins, as in clientcmd's merge.
    merged.clusters.insert(one->clusters.begin(), one->clusters.end());
    merged.users.insert(one->users.begin(), one->users.end());
    merged.contexts.insert(one->contexts.begin(), one->contexts.end());
    merged.origin.insert(one->origin.begin(), one->origin.end());
  }
  return merged;
}

Result<ApiServer> resolve_api_server(const Context& ctx, const std::string& spec_namespace) {
  const auto paths = kubeconfig_paths(ctx);
  const MissingFiles missing = ctx.globals.kubeconfig.empty() ? MissingFiles::skip : MissingFiles::error;
  auto config = load_kubeconfig(paths, missing);
  if (!config) {
    return config.error();
  }
  if (config->files.empty() && ctx.globals.context.empty() && ctx.getenv("KUBERNETES_SERVICE_HOST") &&
      ctx.getenv("KUBERNETES_SERVICE_PORT")) {
    return in_cluster(ctx, spec_namespace);
  }
  if (config->files.empty()) {
    return make_error(fmt::format("no kubeconfig found (looked at {}); pass --kubeconfig or set KUBECONFIG",
                                  paths.empty() ? std::string("nothing: HOME is unset") : join(paths, ", ")));
  }
  return resolve_api_server(ctx, *config, spec_namespace);
}

Result<ApiServer> resolve_api_server(const Context& ctx, const Kubeconfig& config, const std::string& spec_namespace) {
  const std::string files = join(config.files, ":");
  const std::string name = !ctx.globals.context.empty() ? ctx.globals.context : config.current_context;
  if (name.empty()) {
    return make_error(fmt::format("no current context in kubeconfig {}; pass --context (contexts: {})", files,
                                  join_keys(config.contexts)));
  }
  const auto cit = config.contexts.find(name);
  if (cit == config.contexts.end()) {
    return make_error(fmt::format("context \"{}\" not found in kubeconfig {} (contexts: {})", name, files,
                                  join_keys(config.contexts)));
  }
  const ContextEntry& context = cit->second;
  const std::string where = config.origin.count("context/" + name) ? config.origin.at("context/" + name) : files;
  const auto clit = config.clusters.find(context.cluster);
  if (clit == config.clusters.end()) {
    return make_error(fmt::format("context \"{}\" in kubeconfig {} names cluster \"{}\", which is not defined", name,
                                  where, context.cluster));
  }
  const ClusterEntry& cluster = clit->second;
  if (cluster.server.empty()) {
    return make_error(fmt::format("cluster \"{}\" in kubeconfig {} has no server", context.cluster, where));
  }
  ApiServer api;
  api.context = name;
  api.server = cluster.server;
  while (!api.server.empty() && api.server.back() == '/') {
    api.server.pop_back();
  }
  api.namespace_ = !ctx.globals.namespace_.empty() ? ctx.globals.namespace_
                   : !context.namespace_.empty()   ? context.namespace_
                   : !spec_namespace.empty()       ? spec_namespace
                                                   : "default";
  api.tls.insecure_skip_verify = cluster.insecure_skip_tls_verify;
  api.tls.ca_file = cluster.certificate_authority;
  if (!cluster.certificate_authority_data.empty()) {
    auto pem = decode_data(cluster.certificate_authority_data, "certificate-authority-data");
    if (!pem) {
      return std::move(pem)
          .with_context(fmt::format("cluster \"{}\" in kubeconfig {}", context.cluster, where))
          .error();
    }
    api.tls.ca_pem = std::move(*pem);
    api.tls.ca_file.clear();
  }
  if (context.user.empty()) {
    return api;
  }
  const auto uit = config.users.find(context.user);
  if (uit == config.users.end()) {
    return make_error(fmt::format("context \"{}\" in kubeconfig {} names user \"{}\", which is not defined", name,
                                  where, context.user));
  }
  const UserEntry& user = uit->second;
  const std::string user_where = fmt::format("user \"{}\" in kubeconfig {}", context.user, where);
  if (!user.client_certificate_data.empty() || !user.client_certificate.empty()) {
    auto cert = !user.client_certificate_data.empty()
                    ? decode_data(user.client_certificate_data, "client-certificate-data")
                    : read_credential_file(user.client_certificate, "client-certificate");
    if (!cert) {
      return std::move(cert).with_context(user_where).error();
    }
    auto key = !user.client_key_data.empty() ? decode_data(user.client_key_data, "client-key-data")
               : !user.client_key.empty()    ? read_credential_file(user.client_key, "client-key")
                                             : Result<std::string>(make_error("client certificate without a key"));
    if (!key) {
      return std::move(key).with_context(user_where).error();
    }
    api.tls.client_cert_pem = std::move(*cert);
    api.tls.client_key_pem = std::move(*key);
  }
  std::string token = user.token;
  if (token.empty() && !user.token_file.empty()) {
    auto text = read_credential_file(user.token_file, "tokenFile");
    if (!text) {
      return std::move(text).with_context(user_where).error();
    }
    token = trim(*text);
  }
  if (!token.empty()) {
    api.headers.emplace_back("Authorization", "Bearer " + token);
  } else if (user.exec) {
    auto done = run_exec_plugin(ctx, *user.exec, cluster, api);
    if (!done) {
      return std::move(done).with_context(user_where).error();
    }
  }
  return api;
}

Result<void> run_exec_plugin(const Context& ctx, const ExecConfig& exec, const ClusterEntry& cluster, ApiServer& api) {
  if (exec.command.empty()) {
    return make_error("exec plugin has no command");
  }
  const std::string api_version =
      exec.api_version.empty() ? std::string("client.authentication.k8s.io/v1") : exec.api_version;
  if (api_version != "client.authentication.k8s.io/v1" && api_version != "client.authentication.k8s.io/v1beta1") {
    return make_error(fmt::format("exec plugin apiVersion \"{}\" is not supported (v1 or v1beta1)", api_version));
  }
  nlohmann::json info = {{"apiVersion", api_version}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
  if (exec.provide_cluster_info) {
    nlohmann::json c = {{"server", cluster.server}};
    if (!cluster.certificate_authority_data.empty()) {
      c["certificate-authority-data"] = cluster.certificate_authority_data;
    }
    if (cluster.insecure_skip_tls_verify) {
      c["insecure-skip-tls-verify"] = true;
    }
    info["spec"]["cluster"] = c;
  }
  std::map<std::string, std::string> env = ctx.env;
  for (const auto& [k, v] : exec.env) {
    env[k] = v;
  }
  env["KUBERNETES_EXEC_INFO"] = info.dump();
  std::vector<std::string> env_list;
  env_list.reserve(env.size());
  for (const auto& [k, v] : env) {
    env_list.push_back(k + "=" + v);
  }
  std::vector<std::string> argv{exec.command};
  argv.insert(argv.end(), exec.args.begin(), exec.args.end());
  auto child = run_child(argv, env_list, "exec plugin");
  if (!child) {
    return child.error();
  }
  if (child->status != 0) {
    return make_error(
        fmt::format("exec plugin \"{}\" exited with status {}: {}", exec.command, child->status, trim(child->err)));
  }
  const auto doc = nlohmann::json::parse(child->out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("kind", "") != "ExecCredential") {
    return make_error(fmt::format("exec plugin \"{}\" did not print an ExecCredential JSON object", exec.command));
  }
  if (doc.value("apiVersion", "") != api_version) {
    return make_error(fmt::format("exec plugin \"{}\" answered apiVersion \"{}\", expected \"{}\"", exec.command,
                                  doc.value("apiVersion", ""), api_version));
  }
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    return make_error(fmt::format("exec plugin \"{}\" returned no status", exec.command));
  }
  const std::string token = status->value("token", "");
  const std::string cert = status->value("clientCertificateData", "");
  const std::string key = status->value("clientKeyData", "");
  if (!cert.empty() != !key.empty()) {
    return make_error(fmt::format("exec plugin \"{}\" returned a client certificate without its key", exec.command));
  }
  if (token.empty() && cert.empty()) {
    return make_error(
        fmt::format("exec plugin \"{}\" returned neither a token nor a client certificate", exec.command));
  }
  if (!cert.empty()) {
    api.tls.client_cert_pem = cert;
    api.tls.client_key_pem = key;
  }
  if (!token.empty()) {
    api.headers.emplace_back("Authorization", "Bearer " + token);
  }
  return {};
}

}  // namespace neon::cli::kube
