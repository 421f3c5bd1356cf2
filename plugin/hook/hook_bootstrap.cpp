#include "plugin/hook/hook_bootstrap.hpp"

#include <sstream>

#include <fmt/format.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/storcon.hpp"
#include "plugin/clients/storcon_bootstrap.hpp"

namespace neon::cli::hook {

namespace {

using Json = nlohmann::json;

BootstrapAnswer failure(int status, const std::string& message) {
  Json body{{"error", message}};
  if (status == 503) {
    body["retry"] = true;
  }
  return BootstrapAnswer{status, std::move(body)};
}

}  // namespace

ComputeBootstrap::ComputeBootstrap(const Computes& computes, Options options)
    : m_computes(computes), m_options(std::move(options)) {}

int ComputeBootstrap::running() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_running;
}

BootstrapAnswer ComputeBootstrap::run(const std::string& compute_id) {
  auto plan = bootstrap::compute_plan(m_computes, compute_id);
  if (!plan) {
    return failure(404, plan.error().message);
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_running >= m_options.max_running) {
      return failure(503, fmt::format("{} compute bootstraps are running; retry", m_running));
    }
    ++m_running;
  }
  struct Release {
    std::mutex& mutex;
    int& running;
    Release(std::mutex& m, int& r) : mutex(m), running(r) {}
    Release(const Release&) = delete;
    Release& operator=(const Release&) = delete;
    Release(Release&&) = delete;
    Release& operator=(Release&&) = delete;
    ~Release() {
      std::lock_guard<std::mutex> lock(mutex);
      --running;
    }
  } release{m_mutex, m_running};
  http::TlsOptions tls;
  tls.ca_file = m_options.ca_file;
  http::CurlTransport transport(tls);
  transport.limit_answer(m_options.max_answer);
  storcon::ClientOptions o;
  o.base_url = m_options.controller_url;
  o.timeout = m_options.call_timeout;
  o.max_attempts = 2;
  if (m_options.tokens != nullptr) {
    o.token_for = m_options.tokens->for_routes();
  }
  storcon::Client client(transport, std::move(o));
  std::ostringstream warnings;
  auto done = bootstrap::create_compute_storage(client, warnings, *plan->project, plan->path);
  if (!done) {
    const storcon::CallError& e = done.error();
    // The init container retries a 503 until its deadline; a 409 stops it with the reason. A
    // refused token is the hook's own problem (its signing key against the controller's key):
    // retried, since a controller restarted with the rotated key accepts it.
    return failure(bootstrap::permanent(e) && !e.auth() ? 409 : 503, e.message);
  }
  Json timelines = Json::array();
  for (const auto& b : plan->path) {
    timelines.push_back(b.timeline_id);
  }
  Json body{{"tenant_id", plan->project->tenant_id}, {"timelines", std::move(timelines)}};
  if (!warnings.str().empty()) {
    body["warnings"] = warnings.str();
  }
  return BootstrapAnswer{200, std::move(body)};
}

}  // namespace neon::cli::hook
