// Storage controller client: paths and JSON spellings from neon-api.md §2.
#include "plugin/clients/storcon.hpp"

#include <algorithm>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace neon::cli::storcon {

namespace {

bool retryable_status(long status) { return status == 408 || status == 429 || status == 503; }

std::string error_detail(const std::string& body) {
  auto j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("msg") && j["msg"].is_string()) {
    return j["msg"].get<std::string>();
  }
  std::string text = body.substr(0, 200);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text.empty() ? "(empty body)" : text;
}

CallError unreadable_answer(std::string message) {
  CallError e(Error{std::move(message)});
  e.unreadable = true;
  return e;
}

template <typename T>
Expected<T> convert(const std::string& what, const Json& j, T (*fn)(const Json&)) {
  try {
    return fn(j);
  } catch (const Json::exception& e) {
    return unreadable_answer(fmt::format("storage controller: unexpected {} in the response: {}", what, e.what()));
  }
}

Node to_node(const Json& j) {
  Node n;
  n.id = j.at("id").get<std::uint64_t>();
  n.availability =
      j.at("availability").is_string() ? j.at("availability").get<std::string>() : j.at("availability").dump();
  n.scheduling = j.at("scheduling").get<std::string>();
  n.zone = j.value("availability_zone_id", "");
  n.http_addr = j.value("listen_http_addr", "");
  n.http_port = j.value("listen_http_port", 0);
  n.pg_addr = j.value("listen_pg_addr", "");
  n.pg_port = j.value("listen_pg_port", 0);
  return n;
}

std::vector<Node> to_nodes(const Json& j) {
  std::vector<Node> out;
  for (const auto& e : j) {
    out.push_back(to_node(e));
  }
  return out;
}

Shard to_shard(const Json& j) {
  Shard s;
  s.tenant_shard_id = j.at("tenant_shard_id").get<std::string>();
  if (j.contains("node_attached") && !j["node_attached"].is_null()) {
    s.node_attached = j["node_attached"].get<std::uint64_t>();
  }
  if (j.contains("node_secondary") && j["node_secondary"].is_array()) {
    s.node_secondary = j["node_secondary"].get<std::vector<std::uint64_t>>();
  }
  s.last_error = j.value("last_error", "");
  s.is_reconciling = j.value("is_reconciling", false);
  s.is_pending_compute_notification = j.value("is_pending_compute_notification", false);
  s.is_splitting = j.value("is_splitting", false);
  s.scheduling_policy = j.value("scheduling_policy", "");
  if (j.contains("preferred_az_id") && j["preferred_az_id"].is_string()) {
    s.preferred_az = j["preferred_az_id"].get<std::string>();
  }
  return s;
}

Tenant to_tenant(const Json& j) {
  Tenant t;
  t.tenant_id = j.at("tenant_id").get<std::string>();
  for (const auto& s : j.at("shards")) {
    t.shards.push_back(to_shard(s));
  }
  t.stripe_size = j.value("stripe_size", 0U);
  t.policy = j.value("policy", Json());
  t.config = j.value("config", Json::object());
  return t;
}

Safekeeper to_safekeeper(const Json& e) {
  Safekeeper s;
  s.id = e.at("id").get<std::uint64_t>();
  s.region_id = e.value("region_id", "");
  s.version = e.value("version", std::int64_t{0});
  s.host = e.value("host", "");
  s.port = e.value("port", 0);
  s.http_port = e.value("http_port", 0);
  s.zone = e.value("availability_zone_id", "");
  s.scheduling_policy = e.value("scheduling_policy", "");
  return s;
}

std::vector<Safekeeper> to_safekeepers(const Json& j) {
  std::vector<Safekeeper> out;
  for (const auto& e : j) {
    out.push_back(to_safekeeper(e));
  }
  return out;
}

}  // namespace

Client::Client(http::Transport& transport, ClientOptions options)
    : m_transport(transport), m_options(std::move(options)) {
  while (!m_options.base_url.empty() && m_options.base_url.back() == '/') {
    m_options.base_url.pop_back();
  }
  if (!m_options.sleep) {
    m_options.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

bool failed_to_schedule(const CallError& e) { return e.unschedulable; }

Expected<Reply> Client::call(const std::string& method, const std::string& path, const std::optional<Json>& body,
                             Retry retry, const std::vector<long>& accept) {
  auto raw = call_text(method, path, body, retry, accept);
  if (!raw) {
    return raw.error();
  }
  Reply reply;
  reply.status = raw->status;
  if (!raw->body.empty()) {
    reply.body = Json::parse(raw->body, nullptr, false);
    if (reply.body.is_discarded()) {
      return unreadable_answer(fmt::format("{}: {} {}: {}: the response is not valid JSON", m_options.service, method,
                                           path, status_text(raw->status)));
    }
  }
  return reply;
}

Expected<http::Response> Client::call_text(const std::string& method, const std::string& path,
                                           const std::optional<Json>& body, Retry retry,
                                           const std::vector<long>& accept) {
  if (m_options.dry_run != nullptr && method != "GET") {
    fmt::print(*m_options.dry_run, "{} {}{}\n", method, path, body ? " " + body->dump() : "");
    http::Response printed;
    printed.status = 200;
    return printed;
  }
  const std::string call_name = fmt::format("{}: {} {}", m_options.service, method, path);
  http::Request req;
  req.method = method;
  req.url = m_options.base_url + path;
  req.timeout = m_options.timeout;
  req.headers = m_options.headers;
  req.headers.emplace_back("Accept", "application/json");
  const std::string token = m_options.token_for ? m_options.token_for(method, path) : m_options.token;
  if (!token.empty()) {
    req.headers.emplace_back("Authorization", "Bearer " + token);
  }
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
  }
  const int attempts = retry == Retry::idempotent ? std::max(1, m_options.max_attempts) : 1;
  std::chrono::milliseconds delay = m_options.backoff_initial;
  CallError last;
  last.changing = method != "GET";
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      m_options.sleep(delay);
      delay = std::min(delay * 2, m_options.backoff_max);
    }
    http::Outcome out = m_transport.send(req);
    if (out.error) {
      std::string detail = out.error->message;
      const std::string prefix = fmt::format("{} {}: ", method, http::redact_url(req.url));
      if (detail.rfind(prefix, 0) == 0) {
        detail = detail.substr(prefix.size());
      }
      last.message = fmt::format("{}: {} ({})", call_name, detail, http::redact_url(m_options.base_url));
      last.http_status = 0;
      last.kind = http::error_kind(out.error->kind);
      if (out.error->kind == http::FailureKind::connect) {
        continue;
      }
      if (out.error->kind == http::FailureKind::timeout && last.changing) {
        // The request may have reached the controller and be running there still.
        last.message += fmt::format(
            "; the change may or may not have been applied: check the current state with `kubectl neon status` "
            "(or GET {}) before trying again",
            path);
      }
      return last;
    }
    const http::Response& resp = *out.response;
    const bool ok = (resp.status >= 200 && resp.status < 300) ||
                    std::find(accept.begin(), accept.end(), resp.status) != accept.end();
    if (!ok) {
      const std::string detail = error_detail(resp.body);
      last.message = fmt::format("{}: {}: {}", call_name, status_text(resp.status), detail);
      last.http_status = resp.status;
      last.kind = kind_of_status(resp.status);
      // service.rs:2773-2775: ApiError::Conflict(format!("Failed to schedule shard(s): {e}")).
      last.unschedulable = resp.status == 409 && detail.find("Failed to schedule shard(s)") != std::string::npos;
      if (retryable_status(resp.status)) {
        continue;
      }
      return last;
    }
    return std::move(*out.response);
  }
  if (attempts > 1) {
    last.message += fmt::format(" (gave up after {} attempts)", attempts);
  }
  return last;
}

namespace {
template <typename T>
Expected<T> parse_reply(Expected<Reply> r, const std::string& what, T (*fn)(const Json&)) {
  if (!r) {
    return r.error();
  }
  return convert<T>(what, r->body, fn);
}
Expected<void> discard(Expected<Reply> r) {
  if (!r) {
    return r.error();
  }
  return {};
}
}  // namespace

Expected<std::vector<Node>> Client::list_nodes() {
  return parse_reply(call("GET", "/control/v1/node", std::nullopt, Retry::idempotent), "node list", &to_nodes);
}

Expected<Node> Client::get_node(std::uint64_t id) {
  return parse_reply(call("GET", fmt::format("/control/v1/node/{}", id), std::nullopt, Retry::idempotent), "node",
                     &to_node);
}

Expected<void> Client::start_drain(std::uint64_t id) {
  return discard(call("PUT", fmt::format("/control/v1/node/{}/drain", id), std::nullopt, Retry::idempotent));
}
Expected<void> Client::cancel_drain(std::uint64_t id) {
  return discard(call("DELETE", fmt::format("/control/v1/node/{}/drain", id), std::nullopt, Retry::idempotent));
}
Expected<void> Client::start_fill(std::uint64_t id) {
  return discard(call("PUT", fmt::format("/control/v1/node/{}/fill", id), std::nullopt, Retry::idempotent));
}
Expected<void> Client::cancel_fill(std::uint64_t id) {
  return discard(call("DELETE", fmt::format("/control/v1/node/{}/fill", id), std::nullopt, Retry::idempotent));
}

Expected<Json> Client::node_shards(std::uint64_t id) {
  auto r = call("GET", fmt::format("/control/v1/node/{}/shards", id), std::nullopt, Retry::idempotent);
  if (!r) {
    return r.error();
  }
  return r->body;
}

Expected<void> Client::configure_node(std::uint64_t id, const std::optional<std::string>& availability,
                                      const std::optional<std::string>& scheduling) {
  Json body{{"node_id", id}};
  if (availability) {
    body["availability"] = *availability;
  }
  if (scheduling) {
    body["scheduling"] = *scheduling;
  }
  return discard(call("PUT", fmt::format("/control/v1/node/{}/config", id), body, Retry::idempotent));
}

Expected<void> Client::delete_node(std::uint64_t id, bool force) {
  return discard(call("PUT", fmt::format("/control/v1/node/{}/delete{}", id, force ? "?force=true" : ""), std::nullopt,
                      Retry::once));
}

Expected<void> Client::cancel_delete_node(std::uint64_t id) {
  return discard(call("DELETE", fmt::format("/control/v1/node/{}/delete", id), std::nullopt, Retry::once, {202}));
}

Expected<std::optional<std::vector<std::uint64_t>>> Client::timeline_safekeepers(const std::string& tenant_id,
                                                                                 const std::string& timeline_id) {
  const std::string path = fmt::format("/debug/v1/tenant/{}/timeline/{}/locate", tenant_id, timeline_id);
  auto r = call("GET", path, std::nullopt, Retry::idempotent, {404});
  if (!r) {
    return r.error();
  }
  if (r->status == 404) {
    return std::optional<std::vector<std::uint64_t>>{};
  }
  const Json& set = r->body.is_object() ? r->body.value("sk_set", Json()) : Json();
  if (!set.is_array()) {
    return CallError(Error{fmt::format("{}: GET {}: no \"sk_set\" in the response", m_options.service, path)});
  }
  std::vector<std::uint64_t> out;
  for (const auto& id : set) {
    if (!id.is_number_unsigned()) {
      return CallError(Error{fmt::format("{}: GET {}: \"sk_set\" holds a non-id", m_options.service, path)});
    }
    out.push_back(id.get<std::uint64_t>());
  }
  return std::optional<std::vector<std::uint64_t>>(std::move(out));
}

Expected<void> Client::migrate_timeline_safekeepers(const std::string& tenant_id, const std::string& timeline_id,
                                                    const std::vector<std::uint64_t>& new_set) {
  return discard(call("POST", fmt::format("/v1/tenant/{}/timeline/{}/safekeeper_migrate", tenant_id, timeline_id),
                      Json{{"new_sk_set", new_set}}, Retry::once));
}

Expected<std::optional<Tenant>> Client::describe_tenant(const std::string& tenant_id) {
  auto r = call("GET", "/control/v1/tenant/" + tenant_id, std::nullopt, Retry::idempotent, {404});
  if (!r) {
    return r.error();
  }
  if (r->status == 404) {
    return std::optional<Tenant>();
  }
  auto t = convert<Tenant>("tenant", r->body, &to_tenant);
  if (!t) {
    return t.error();
  }
  return std::optional<Tenant>(std::move(*t));
}

Expected<Json> Client::create_tenant(const TenantCreate& create) {
  // Never retried with other shard parameters: the controller keys shards by (tenant_id,
  // shard_number, shard_count) (storage_controller/src/schema.rs:85) and would store a second
  // set (neon-api-corrections-2.md (e)). Callers describe the tenant first.
  auto r = call("POST", "/v1/tenant", tenant_create_body(create), Retry::idempotent);
  if (!r) {
    CallError e = r.error();
    if (failed_to_schedule(e)) {
      e.message +=
          " (no pageserver can take the shards yet: the controller stored them and schedules them when "
          "the same request is sent again once a pageserver is registered and Active)";
    }
    return e;
  }
  return r->body;
}

Expected<void> Client::set_policy(const std::string& tenant_id, const Json& placement,
                                  const std::optional<std::string>& scheduling) {
  Json body = Json::object();
  body["placement"] = placement;
  if (scheduling) {
    body["scheduling"] = *scheduling;
  }
  return discard(call("PUT", fmt::format("/control/v1/tenant/{}/policy", tenant_id), body, Retry::idempotent));
}

Expected<void> Client::migrate_shard(const std::string& tenant_shard_id, std::uint64_t node_id, Prewarm prewarm) {
  Json body{{"node_id", node_id}, {"migration_config", {{"prewarm", prewarm == Prewarm::yes}}}};
  auto r = call("PUT", fmt::format("/control/v1/tenant/{}/migrate", tenant_shard_id), body, Retry::idempotent);
  if (!r && r.error().http_status == 412) {
    CallError e = r.error();
    e.message += fmt::format(
        " (node {} is unavailable or a worse placement; check `status` for its availability and scheduling)", node_id);
    return e;
  }
  return discard(std::move(r));
}

Expected<Json> Client::create_timeline(const TimelineCreate& create) {
  auto r = call("POST", fmt::format("/v1/tenant/{}/timeline", create.tenant_id), timeline_create_body(create),
                Retry::idempotent);
  if (!r) {
    CallError e = r.error();
    if (e.http_status == 409) {
      // neon-api.md, Corrections: different parameters and an unknown ancestor both give 409.
      e.message += create.ancestor_timeline_id.empty()
                       ? fmt::format(" (timeline {} already exists with different parameters)", create.timeline_id)
                       : fmt::format(
                             " (timeline {} already exists with different parameters, or its ancestor {} "
                             "does not exist)",
                             create.timeline_id, create.ancestor_timeline_id);
    }
    return e;
  }
  return r->body;
}

Expected<LsnByTimestamp> Client::lsn_by_timestamp(const std::string& tenant_id, const std::string& timeline_id,
                                                  const std::string& timestamp) {
  const std::string path = fmt::format("/v1/tenant/{}/timeline/{}/get_lsn_by_timestamp?timestamp={}", tenant_id,
                                       timeline_id, url_encode(timestamp));
  auto r = call("GET", path, std::nullopt, Retry::idempotent);
  if (!r) {
    return r.error();
  }
  // {"lsn":"X/Y","kind":"present"|"future"|"past"|"nodata"} (pageserver/src/http/routes.rs:1036-1109).
  const Json& b = r->body;
  if (!b.is_object() || !b.contains("lsn") || !b["lsn"].is_string() || !b.contains("kind") || !b["kind"].is_string()) {
    return unreadable_answer(fmt::format("storage controller: GET {}: no \"lsn\" and \"kind\" in the response", path));
  }
  return LsnByTimestamp{b["lsn"].get<std::string>(), b["kind"].get<std::string>()};
}

Expected<std::optional<Json>> Client::get_timeline(const std::string& tenant_id, const std::string& timeline_id) {
  auto r = call("GET", fmt::format("/v1/tenant/{}/timeline/{}", tenant_id, timeline_id), std::nullopt,
                Retry::idempotent, {404});
  if (!r) {
    return r.error();
  }
  if (r->status == 404) {
    return std::optional<Json>();
  }
  return std::optional<Json>(std::move(r->body));
}

Expected<std::optional<Safekeeper>> Client::get_safekeeper(std::uint64_t id) {
  auto r = call("GET", fmt::format("/control/v1/safekeeper/{}", id), std::nullopt, Retry::idempotent, {404});
  if (!r) {
    return r.error();
  }
  if (r->status == 404) {
    return std::optional<Safekeeper>();
  }
  auto sk = convert<Safekeeper>("safekeeper", r->body, &to_safekeeper);
  if (!sk) {
    return sk.error();
  }
  return std::optional<Safekeeper>(std::move(*sk));
}

Expected<void> Client::upsert_safekeeper(const SafekeeperUpsert& sk) {
  Json body{{"id", sk.id},     {"region_id", sk.region_id}, {"version", sk.version}, {"host", sk.host},
            {"port", sk.port}, {"http_port", sk.http_port}, {"https_port", nullptr}, {"availability_zone_id", sk.zone}};
  return discard(call("POST", fmt::format("/control/v1/safekeeper/{}", sk.id), body, Retry::idempotent));
}

Expected<void> Client::set_safekeeper_policy(std::uint64_t id, const std::string& policy) {
  return discard(call("POST", fmt::format("/control/v1/safekeeper/{}/scheduling_policy", id),
                      Json{{"scheduling_policy", policy}}, Retry::idempotent));
}

Expected<std::vector<Safekeeper>> Client::list_safekeepers() {
  return parse_reply(call("GET", "/control/v1/safekeeper", std::nullopt, Retry::idempotent), "safekeeper list",
                     &to_safekeepers);
}

}  // namespace neon::cli::storcon
