#include "plugin/hook/hook_configure.hpp"

#include <fmt/format.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/hook/hook_server.hpp"

namespace neon::cli::hook {
namespace {

constexpr const char* k_json = "application/json";

/// A short-lived token for compute_ctl's authenticated routes, naming the compute.
Result<std::string> compute_ctl_token(const std::string& compute_id, const std::string& key, const std::string& kid) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch() + k_token_lifetime)
                       .count();
  return jwt::sign(Json{{"compute_id", compute_id}, {"exp", exp}}, key, kid);
}

/// One call to compute_ctl's external port.
http::Outcome compute_ctl_call(const ComputeEntry& compute, const std::string& method, const std::string& path,
                               const std::string& token, std::chrono::milliseconds timeout) {
  http::Request req;
  req.method = method;
  req.url = http_base_url(compute.address) + path;
  req.headers = {{"Authorization", "Bearer " + token}};
  req.timeout = timeout;
  http::CurlTransport transport;
  transport.limit_answer(k_max_answer);
  return transport.send(req);
}

}  // namespace

ComputeActivity compute_status(const ComputeEntry& compute, const std::string& signing_key_pem, const std::string& kid,
                               std::chrono::milliseconds timeout) {
  ComputeActivity a;
  auto token = compute_ctl_token(compute.compute_id, signing_key_pem, kid);
  if (!token) {
    a.error = "signing the compute_ctl token: " + token.error().message;
    return a;
  }
  auto out = compute_ctl_call(compute, "GET", "/status", *token, timeout);
  if (!out.response) {
    a.error = out.error ? out.error->message : std::string("no response");
    return a;
  }
  if (out.response->status != 200) {
    a.error = fmt::format("GET /status answered {}", out.response->status);
    return a;
  }
  return parse_compute_status(Json::parse(out.response->body, nullptr, false));
}

Result<void> terminate_compute(const ComputeEntry& compute, const std::string& signing_key_pem, const std::string& kid,
                               std::chrono::milliseconds timeout) {
  auto token = compute_ctl_token(compute.compute_id, signing_key_pem, kid);
  NEON_TRY(token);
  auto out = compute_ctl_call(compute, "POST", "/terminate?mode=fast", *token, timeout);
  if (!out.response) {
    return make_error(out.error ? out.error->message : std::string("no response"), ErrorKind::unreachable);
  }
  if (out.response->status != 200 && out.response->status != 201) {
    return make_error(
        fmt::format("POST /terminate answered {}: {}", out.response->status, out.response->body.substr(0, 200)));
  }
  return {};
}

PowerPlant compute_ctl_plant(std::string signing_key_pem, std::string kid, std::chrono::milliseconds status_timeout) {
  PowerPlant plant;
  plant.status = [signing_key_pem, kid, status_timeout](const ComputeEntry& c) {
    return compute_status(c, signing_key_pem, kid, status_timeout);
  };
  plant.terminate = [signing_key_pem, kid](const ComputeEntry& c) {
    return terminate_compute(c, signing_key_pem, kid, std::chrono::seconds(60));
  };
  return plant;
}

ConfigureResult configure_compute(const ComputeEntry& compute, const Json& spec, const ConfigureCall& call) {
  auto token = compute_ctl_token(compute.compute_id, call.signing_key_pem, call.kid);
  if (!token) {
    return ConfigureResult{500, "signing the compute_ctl token: " + token.error().message};
  }
  http::Request req;
  req.method = "POST";
  req.url = http_base_url(compute.address) + "/configure";
  req.headers = {{"Content-Type", k_json}, {"Authorization", "Bearer " + *token}};
  req.body = configure_body(spec, call.jwks).dump();
  req.timeout = call.timeout;
  http::CurlTransport transport;
  transport.limit_answer(k_max_answer);
  auto out = transport.send(req);
  if (!out.response) {
    return ConfigureResult{503, fmt::format("compute {}: {}", compute.compute_id,
                                            out.error ? out.error->message : std::string("no response"))};
  }
  const long status = out.response->status;
  if (status == 200) {
    return ConfigureResult{};
  }
  // An error body may quote the request, which holds the storage token; it is logged and returned.
  std::string answer = redact(out.response->body, call.storage_token);
  if (call.redact_more) {
    answer = call.redact_more(answer);
  }
  const std::string what =
      fmt::format("compute {}: /configure answered {}: {}", compute.compute_id, status, answer.substr(0, 200));
  if (status == 412) {
    return ConfigureResult{423, what};  // not running yet (or busy): the controller sends it again later
  }
  if (status == 401) {
    // compute_ctl fixes the keys it accepts when it starts (compute_tools/src/http/server.rs:122-126).
    return ConfigureResult{500, what +
                                    " (the compute does not accept the hook's signing key: it started with "
                                    "another one; restart the compute)"};
  }
  if (status >= 500) {
    return ConfigureResult{503, what};
  }
  return ConfigureResult{500, what};
}

}  // namespace neon::cli::hook
