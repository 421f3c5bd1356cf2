#include "plugin/hook/hook_configure.hpp"

#include <fmt/format.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/hook/hook_server.hpp"

namespace neon::cli::hook {
namespace {

constexpr const char* k_json = "application/json";

}  // namespace

ConfigureResult configure_compute(const ComputeEntry& compute, const Json& spec, const ConfigureCall& call) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch() + k_token_lifetime)
                       .count();
  auto token = jwt::sign(Json{{"compute_id", compute.compute_id}, {"exp", exp}}, call.signing_key_pem, call.kid);
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
