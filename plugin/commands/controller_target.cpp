// Resolution order: flag, environment, kubeconfig service proxy.
#include "plugin/commands/controller_target.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/names.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/adapters/text.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

void add_controller_options(OptionSet& opts) {
  opts.add_options("Storage controller")("storage-controller",
                                         "Storage controller URL (default: $NEON_STORAGE_CONTROLLER_URL, else the "
                                         "kubeconfig's API server service proxy)",
                                         cxxopts::value<std::string>()->default_value(""))(
      "token-file", "File holding the storage controller's admin token (default: $NEON_STORAGE_CONTROLLER_TOKEN)",
      cxxopts::value<std::string>()->default_value(""))("request-timeout", "Timeout of one HTTP request, e.g. 30s",
                                                        cxxopts::value<std::string>()->default_value("30s"))(
      "ca-file",
      "CA bundle (PEM) that verifies the storage controller's certificate (or the hook's, with bootstrap compute "
      "--hook)",
      cxxopts::value<std::string>()->default_value(""));
  opts.files({"token-file", "ca-file"});
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::chrono::milliseconds total{0};
  std::size_t i = 0;
  bool bare = true;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) {
      ++i;
    }
    if (start == i) {
      return std::nullopt;
    }
    double value = 0;
    try {
      value = std::stod(text.substr(start, i - start));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
    }
    const std::string unit = text.substr(unit_start, i - unit_start);
    double ms = 0;
    if (unit.empty() || unit == "s") {
      ms = value * 1000;
    } else if (unit == "ms") {
      ms = value;
    } else if (unit == "m") {
      ms = value * 60000;
    } else if (unit == "h") {
      ms = value * 3600000;
    } else {
      return std::nullopt;
    }
    if (unit.empty() && !bare) {
      return std::nullopt;
    }
    bare = false;
    total += std::chrono::milliseconds(static_cast<long long>(ms));
  }
  return total;
}

namespace {

std::string controller_url(const Context& ctx, const cxxopts::ParseResult& flags) {
  std::string url = flags["storage-controller"].as<std::string>();
  return url.empty() ? ctx.getenv(k_env_controller_url).value_or("") : url;
}

}  // namespace

std::optional<std::string> check_ca_file(const cxxopts::ParseResult& flags) {
  const std::string ca_file = flags["ca-file"].as<std::string>();
  if (ca_file.empty()) {
    return std::nullopt;
  }
  auto text = read_file(ca_file, 16 * 1024 * 1024);
  if (!text) {
    return "--ca-file: " + text.error().message;
  }
  if (text->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return fmt::format("--ca-file {}: no PEM certificate in the file", ca_file);
  }
  return std::nullopt;
}

std::optional<std::string> check_controller_flags(const Context& ctx, const cxxopts::ParseResult& flags) {
  const auto timeout = parse_duration(flags["request-timeout"].as<std::string>());
  if (!timeout || timeout->count() <= 0) {
    return fmt::format("invalid --request-timeout \"{}\" (use e.g. 30s, 500ms, 2m)",
                       flags["request-timeout"].as<std::string>());
  }
  const std::string url = controller_url(ctx, flags);
  if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return fmt::format(
        "storage controller URL \"{}\" ({}) must start with http:// or https://", http::redact_url(url),
        flags["storage-controller"].as<std::string>().empty() ? k_env_controller_url : "--storage-controller");
  }
  if (auto bad = check_ca_file(flags)) {
    return bad;
  }
  const std::string token_file = flags["token-file"].as<std::string>();
  if (!token_file.empty()) {
    auto text = read_file(token_file, 64 * 1024);
    if (!text) {
      return "--token-file: " + text.error().message;
    }
    if (trim(*text).empty()) {
      return fmt::format("--token-file {}: the file is empty", token_file);
    }
  }
  return std::nullopt;
}

Result<ControllerTarget> resolve_controller(const Context& ctx, const cxxopts::ParseResult& flags,
                                            const std::string& spec_namespace, Kubeconfig kube) {
  if (auto bad = check_controller_flags(ctx, flags)) {
    return Error{*bad};
  }
  ControllerTarget target;
  target.options.timeout = *parse_duration(flags["request-timeout"].as<std::string>());

  const std::string token_file = flags["token-file"].as<std::string>();
  if (!token_file.empty()) {
    auto text = read_file(token_file, 64 * 1024);
    if (!text) {
      return Error{"--token-file: " + text.error().message};
    }
    target.options.token = trim(*text);
    if (target.options.token.empty()) {
      return Error{fmt::format("--token-file {}: the file is empty", token_file)};
    }
  } else if (auto env = ctx.getenv(k_env_controller_token); env && !env->empty()) {
    target.options.token = trim(*env);
  }

  const std::string url = controller_url(ctx, flags);
  if (!url.empty()) {
    target.options.base_url = url;
    target.tls.ca_file = flags["ca-file"].as<std::string>();
    target.described = http::redact_url(url);
    return target;
  }
  if (kube == Kubeconfig::never) {
    return Error{fmt::format("no storage controller URL: pass --storage-controller or set {}", k_env_controller_url)};
  }
  auto api = kube::resolve_api_server(ctx, spec_namespace);
  if (!api) {
    return Error{fmt::format("no storage controller URL (--storage-controller, {}) and no usable kubeconfig: {}",
                             k_env_controller_url, api.error().message)};
  }
  for (const auto& [name, value] : api->headers) {
    if (name == "Authorization" && !target.options.token.empty()) {
      return Error{
          "the kubeconfig authenticates with a bearer token, which the API server proxy would not pass on with the "
          "storage controller token; use `kubectl port-forward svc/storage-controller 1234` and "
          "--storage-controller http://127.0.0.1:1234"};
    }
  }
  target.options.headers = api->headers;
  target.tls = api->tls;
  target.options.base_url = fmt::format("{}/api/v1/namespaces/{}/services/http:{}:{}/proxy", api->server,
                                        api->namespace_, gen::names::k_controller, gen::names::k_controller_port);
  target.described = fmt::format("service proxy via {} (context {}, namespace {})", http::redact_url(api->server),
                                 api->context, api->namespace_);
  return target;
}

std::optional<ControllerTarget> controller_from_flags(Context& ctx, const std::string& command,
                                                      const cxxopts::ParseResult& flags,
                                                      const std::string& spec_namespace, Kubeconfig kube, int& exit) {
  if (auto bad = check_controller_flags(ctx, flags)) {
    exit = usage_error(ctx, command, *bad);
    return std::nullopt;
  }
  auto target = resolve_controller(ctx, flags, spec_namespace, kube);
  if (!target) {
    if (kube == Kubeconfig::never) {
      exit = usage_error(ctx, command, target.error().message);
    } else {
      fail(ctx, target.error().message);
      exit = k_exit_unreachable;
    }
    return std::nullopt;
  }
  return std::move(*target);
}

std::string token_hint(const storcon::CallError& e, bool token_sent) {
  std::string why;
  if (e.http_status == 401) {
    why = token_sent ? "the controller did not accept the token's form" : "no token was sent";
  } else {
    why = "the controller refused the token (signed with another key, or its scope is not admin)";
  }
  // The admin token lives in the Secret storageController.auth.tokenSecret names, key "admin"
  // (generators/names.hpp k_token_admin; `secrets init` creates it).
  return fmt::format(
      "{}: pass the storage controller's admin token with --token-file FILE or in {}; it is key \"{}\" of the "
      "Secret that storageController.auth.tokenSecret names (neon-auth-tokens in the prod starter), e.g. "
      "`kubectl get secret neon-auth-tokens -o jsonpath='{{.data.{}}}' | base64 -d > admin.token`",
      why, k_env_controller_token, gen::names::k_token_admin, gen::names::k_token_admin);
}

int controller_failure(Context& ctx, const Controller& controller, const storcon::CallError& e) {
  fail(ctx, e.message);
  if (e.auth()) {
    fmt::print(ctx.err, "hint: {}\n", token_hint(e, controller.has_token));
  }
  return e.unreachable() ? k_exit_unreachable : k_exit_failure;
}

bool is_tenant_id(const std::string& s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::optional<TenantRef> resolve_tenant_arg(Context& ctx, const std::string& arg, const std::string& spec_file) {
  TenantRef ref;
  if (is_tenant_id(arg) && spec_file.empty()) {
    ref.tenant_id = arg;
    std::transform(ref.tenant_id.begin(), ref.tenant_id.end(), ref.tenant_id.begin(),
                   [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return ref;
  }
  auto spec = load_valid_spec(ctx, spec_file);
  if (!spec) {
    return std::nullopt;
  }
  for (const auto& p : (*spec)->projects) {
    if (p.name == arg || p.tenant_id == arg) {
      ref.tenant_id = p.tenant_id;
      ref.name = p.name;
      ref.project = p;
      return ref;
    }
  }
  if (is_tenant_id(arg)) {
    ref.tenant_id = arg;
    return ref;
  }
  std::string names;
  for (const auto& p : (*spec)->projects) {
    names += (names.empty() ? "" : ", ") + p.name;
  }
  fmt::print(ctx.err, "error: no project \"{}\" in {} (projects: {})\n", arg,
             spec_file_for(spec_file).empty() ? k_default_spec_name : spec_file_for(spec_file),
             names.empty() ? "none" : names);
  return std::nullopt;
}

storcon::Json tenant_config_json(const gen::Project& project) {
  storcon::Json out = storcon::Json::object();
  for (const auto& v : project.tenant_config) {
    out[v.key] = storcon::Json::parse(v.json, nullptr, false);
    if (out[v.key].is_discarded()) {
      out[v.key] = v.json;
    }
  }
  return out;
}

}  // namespace neon::cli
