// The storage controller calls of `kubectl neon sync` and of `project|branch delete --purge`:
// timelines listed and deleted, tenants deleted, a tenant's config replaced, a tenant split.
#include <fmt/format.h>

#include "plugin/clients/storcon.hpp"

namespace neon::cli::storcon {

namespace {

std::string text_or_empty(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

/// DELETE `path` until it answers 200: a 409 means the pageserver is still deleting (the
/// controller waited 25 s for it already, storage_controller/src/http.rs:472-540).
Expected<void> delete_until_done(Client& client, const std::string& path, const std::string& what, int attempts) {
  for (int i = 0; i < std::max(1, attempts); ++i) {
    auto r = client.call("DELETE", path, std::nullopt, Client::Retry::idempotent, {409});
    if (!r) {
      return r.error();
    }
    if (r->status != 409) {
      return {};
    }
  }
  CallError e(
      make_error(fmt::format("storage controller: DELETE {}: {} is still being deleted after {} tries of "
                             "25 s; run the command again to wait for it",
                             path, what, attempts)));
  e.http_status = 409;
  e.changing = true;
  return e;
}

}  // namespace

Expected<std::vector<TimelineInfo>> Client::list_timelines(const std::string& tenant_id) {
  const std::string path = fmt::format("/v1/tenant/{}/timeline", tenant_id);
  auto r = call("GET", path, std::nullopt, Retry::idempotent);
  if (!r) {
    return r.error();
  }
  if (!r->body.is_array()) {
    CallError e(make_error(fmt::format("storage controller: GET {}: the response is not a list of timelines", path)));
    e.unreadable = true;
    return e;
  }
  std::vector<TimelineInfo> out;
  for (const auto& t : r->body) {
    if (!t.is_object() || !t.contains("timeline_id") || !t["timeline_id"].is_string()) {
      CallError e(make_error(fmt::format("storage controller: GET {}: a timeline without timeline_id", path)));
      e.unreadable = true;
      return e;
    }
    TimelineInfo info;
    info.timeline_id = t["timeline_id"].get<std::string>();
    info.ancestor_timeline_id = text_or_empty(t, "ancestor_timeline_id");
    info.ancestor_lsn = text_or_empty(t, "ancestor_lsn");
    info.pg_version = t.contains("pg_version") && t["pg_version"].is_number_integer() ? t["pg_version"].get<int>() : 0;
    out.push_back(std::move(info));
  }
  return out;
}

Expected<void> Client::delete_timeline(const std::string& tenant_id, const std::string& timeline_id, int attempts) {
  return delete_until_done(*this, fmt::format("/v1/tenant/{}/timeline/{}", tenant_id, timeline_id),
                           "timeline " + timeline_id, attempts);
}

Expected<void> Client::delete_tenant(const std::string& tenant_id, int attempts) {
  return delete_until_done(*this, fmt::format("/v1/tenant/{}", tenant_id), "tenant " + tenant_id, attempts);
}

Expected<void> Client::set_tenant_config(const std::string& tenant_id, const Json& config) {
  Json body = config.is_object() ? config : Json::object();
  body["tenant_id"] = tenant_id;
  auto r = call("PUT", "/v1/tenant/config", body, Retry::idempotent);
  if (!r) {
    return r.error();
  }
  return {};
}

Expected<void> Client::set_preferred_azs(const std::vector<std::string>& shards, const std::string& zone) {
  Json body = Json::object();
  for (const auto& s : shards) {
    body[s] = zone;
  }
  auto r = call("PUT", "/control/v1/preferred_azs", body, Retry::idempotent);
  if (!r) {
    return r.error();
  }
  return {};
}

Expected<void> Client::split_tenant(const std::string& tenant_id, int new_shard_count,
                                    std::optional<std::uint32_t> stripe) {
  const Json body{{"new_shard_count", new_shard_count}, {"new_stripe_size", stripe ? Json(*stripe) : Json()}};
  auto r = call("PUT", fmt::format("/control/v1/tenant/{}/shard_split", tenant_id), body, Retry::once);
  if (!r) {
    return r.error();
  }
  return {};
}

}  // namespace neon::cli::storcon
