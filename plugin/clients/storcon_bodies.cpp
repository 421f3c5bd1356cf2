// The storage controller's request bodies and the small facts read from its answers: no I/O.
#include <fmt/format.h>

#include "plugin/clients/storcon.hpp"

namespace neon::cli::storcon {

std::string status_text(long status) {
  const char* reason = "";
  switch (status) {
    case 400:
      reason = "Bad Request";
      break;
    case 401:
      reason = "Unauthorized";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 404:
      reason = "Not Found";
      break;
    case 406:
      reason = "Not Acceptable";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 409:
      reason = "Conflict";
      break;
    case 412:
      reason = "Precondition Failed";
      break;
    case 429:
      reason = "Too Many Requests";
      break;
    case 500:
      reason = "Internal Server Error";
      break;
    case 502:
      reason = "Bad Gateway";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 504:
      reason = "Gateway Timeout";
      break;
    default:
      break;
  }
  return *reason != '\0' ? fmt::format("{} {}", status, reason) : std::to_string(status);
}

std::map<std::uint64_t, std::size_t> attached_counts(const std::vector<Tenant>& tenants) {
  std::map<std::uint64_t, std::size_t> out;
  for (const auto& t : tenants) {
    for (const auto& s : t.shards) {
      if (s.node_attached) {
        ++out[*s.node_attached];
      }
    }
  }
  return out;
}

std::vector<std::string> attached_to(const std::vector<Tenant>& tenants, std::uint64_t node) {
  std::vector<std::string> out;
  for (const auto& t : tenants) {
    for (const auto& s : t.shards) {
      if (s.node_attached == node) {
        out.push_back(s.tenant_shard_id);
      }
    }
  }
  return out;
}

std::string policy_text(const Json& policy) {
  if (policy.is_string()) {
    return policy.get<std::string>();
  }
  if (policy.is_object() && policy.contains("Attached")) {
    return fmt::format("Attached({})", policy["Attached"].dump());
  }
  return policy.is_null() ? "-" : policy.dump();
}

Json attached_placement(int secondaries) { return Json{{"Attached", secondaries}}; }

std::string shard_id(const std::string& tenant_id, int number, int count) {
  if (count <= 1) {
    return tenant_id;
  }
  return fmt::format("{}-{:02x}{:02x}", tenant_id, number, count);
}

Json tenant_create_body(const TenantCreate& create) {
  Json body = Json::object();
  body["new_tenant_id"] = create.tenant_id;
  if (create.shard_count > 1) {
    body["shard_parameters"] = Json{{"count", create.shard_count}, {"stripe_size", create.stripe_size}};
  }
  if (create.placement) {
    body["placement_policy"] = *create.placement;
  }
  for (const auto& [k, v] : create.config.items()) {
    body[k] = v;
  }
  return body;
}

Json timeline_create_body(const TimelineCreate& create) {
  Json body = Json::object();
  body["new_timeline_id"] = create.timeline_id;
  if (!create.ancestor_timeline_id.empty()) {
    body["ancestor_timeline_id"] = create.ancestor_timeline_id;
    if (!create.ancestor_start_lsn.empty()) {
      body["ancestor_start_lsn"] = create.ancestor_start_lsn;
    }
  } else {
    body["pg_version"] = create.pg_version;
  }
  return body;
}

}  // namespace neon::cli::storcon
