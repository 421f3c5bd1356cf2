#include "plugin/hook/hook_spec.hpp"
#include "plugin/hook/hook_server.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "generators/json_fields.hpp"
#include "generators/validate.hpp"

namespace neon::cli::hook {

namespace {

using gen::hex_id_field;
using gen::is_hex_id;
using gen::parse_object;
using gen::string_field;
using gen::uint_field;

constexpr std::uint64_t k_u32_max = std::numeric_limits<std::uint32_t>::max();

}  // namespace

std::string host_port(const std::string& host, int port) {
  if (host.find(':') != std::string::npos && host.front() != '[') {
    return fmt::format("[{}]:{}", host, port);
  }
  return fmt::format("{}:{}", host, port);
}

std::string libpq_url(const std::string& host, int port) { return "postgres://no_user@" + host_port(host, port); }

std::string http_base_url(const std::string& address) {
  const auto colon = address.rfind(':');
  if (address.empty() || address.front() == '[' || colon == std::string::npos || address.find(':') == colon) {
    return "http://" + address;
  }
  return fmt::format("http://[{}]{}", address.substr(0, colon), address.substr(colon));
}

std::optional<ListenAddress> parse_listen(const std::string& text) {
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close == 1 || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return std::nullopt;  // an IPv6 host needs brackets
    }
  }
  if (port_text.empty() || port_text.size() > 5) {
    return std::nullopt;
  }
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    port = port * 10 + (c - '0');
  }
  if (port > 65535) {
    return std::nullopt;
  }
  return ListenAddress{host, port};
}

Result<TenantShardId> parse_tenant_shard_id(const std::string& text) {
  if (is_hex_id(text)) {
    return TenantShardId{text, 0, 0};
  }
  const std::string slug = text.size() == 37 ? text.substr(33) : std::string();
  const bool hex_slug =
      std::all_of(slug.begin(), slug.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (text.size() != 37 || text[32] != '-' || !is_hex_id(text.substr(0, 32)) || !hex_slug) {
    return make_error(fmt::format("tenant_shard_id \"{}\": expected <32 hex> or <32 hex>-<NN><CC>", text));
  }
  TenantShardId id{text.substr(0, 32), std::stoi(slug.substr(0, 2), nullptr, 16),
                   std::stoi(slug.substr(2), nullptr, 16)};
  if (id.count == 0 && id.number != 0) {
    return make_error(fmt::format("tenant_shard_id \"{}\": shard {} of an unsharded tenant", text, id.number));
  }
  if (id.count > 0 && id.number >= id.count) {
    return make_error(
        fmt::format("tenant_shard_id \"{}\": shard number {} is not below the count {}", text, id.number, id.count));
  }
  return id;
}

std::optional<std::string> split_in_progress(const std::string& tenant_id, const std::vector<DescribedShard>& shards) {
  std::optional<int> count;
  for (const DescribedShard& s : shards) {
    if (s.is_splitting) {
      return fmt::format("tenant {} is splitting (shard {} reports is_splitting)", tenant_id, s.tenant_shard_id);
    }
    auto id = parse_tenant_shard_id(s.tenant_shard_id);
    if (!id) {
      continue;
    }
    if (count && *count != id->count) {
      return fmt::format("tenant {} is splitting (shards of counts {} and {} side by side)", tenant_id, *count,
                         id->count);
    }
    count = id->count;
  }
  return std::nullopt;
}

Result<AttachNotification> attachment_from_describe(const std::string& tenant_id,
                                                    std::optional<std::uint32_t> stripe_size,
                                                    const std::vector<DescribedShard>& shards) {
  if (shards.empty()) {
    return make_error(fmt::format("the storage controller lists no shards for tenant {}", tenant_id));
  }
  if (auto split = split_in_progress(tenant_id, shards)) {
    return make_error(*split);
  }
  AttachNotification n;
  n.tenant_id = tenant_id;
  int count = 0;
  for (const DescribedShard& s : shards) {
    auto id = parse_tenant_shard_id(s.tenant_shard_id);
    NEON_TRY(id);
    if (id->tenant_id != tenant_id) {
      return make_error(fmt::format("shard {} does not belong to tenant {}", s.tenant_shard_id, tenant_id));
    }
    if (!s.node_attached) {
      return make_error(fmt::format("shard {} is not attached to any pageserver", s.tenant_shard_id));
    }
    count = id->count;
    n.shards.push_back(AttachShard{static_cast<std::uint32_t>(id->number), *s.node_attached});
  }
  const std::size_t expected = static_cast<std::size_t>(std::max(count, 1));
  if (n.shards.size() != expected) {
    return make_error(fmt::format("tenant {}: the storage controller lists {} shards of a {}-shard tenant", tenant_id,
                                  n.shards.size(), expected));
  }
  std::sort(n.shards.begin(), n.shards.end(),
            [](const AttachShard& a, const AttachShard& b) { return a.shard_number < b.shard_number; });
  for (std::size_t i = 0; i < n.shards.size(); ++i) {
    if (n.shards[i].shard_number != i) {
      return make_error(fmt::format("tenant {}: shard {} is listed twice", tenant_id, n.shards[i].shard_number));
    }
  }
  if (expected > 1) {
    n.stripe_size = stripe_size;
  }
  return n;
}

std::string shard_index(int number, int count) { return fmt::format("{:02x}{:02x}", number, count); }

Result<AttachNotification> parse_notify_attach(const std::string& body) {
  auto doc = parse_object(body);
  NEON_TRY(doc);
  AttachNotification n;
  auto tenant = hex_id_field(*doc, "tenant_id", "");
  NEON_TRY(tenant);
  n.tenant_id = *tenant;
  auto az = doc->find("preferred_az");
  if (az != doc->end() && az->is_string()) {
    n.preferred_az = az->get<std::string>();
  } else if (az != doc->end() && !az->is_null()) {
    return make_error("preferred_az: must be a string or null");
  }
  auto stripe = doc->find("stripe_size");
  if (stripe != doc->end() && !stripe->is_null()) {
    auto v = uint_field(*doc, "stripe_size", "", k_u32_max);
    NEON_TRY(v);
    n.stripe_size = static_cast<std::uint32_t>(*v);
  }
  auto shards = doc->find("shards");
  if (shards == doc->end() || !shards->is_array() || shards->empty()) {
    return make_error("shards: required non-empty array");
  }
  if (shards->size() > 255) {
    return make_error("shards: at most 255 shards");
  }
  for (std::size_t i = 0; i < shards->size(); ++i) {
    const Json& s = (*shards)[i];
    const std::string where = fmt::format("shards[{}].", i);
    if (!s.is_object()) {
      return make_error(fmt::format("shards[{}]: must be an object", i));
    }
    auto number = uint_field(s, "shard_number", where, 254);
    NEON_TRY(number);
    auto node = uint_field(s, "node_id", where, std::numeric_limits<std::uint64_t>::max());
    NEON_TRY(node);
    n.shards.push_back(AttachShard{static_cast<std::uint32_t>(*number), *node});
  }
  std::sort(n.shards.begin(), n.shards.end(),
            [](const AttachShard& a, const AttachShard& b) { return a.shard_number < b.shard_number; });
  for (std::size_t i = 0; i < n.shards.size(); ++i) {
    if (n.shards[i].shard_number != i) {
      return make_error(fmt::format("shards: shard numbers must be 0..{} without gaps", n.shards.size() - 1));
    }
  }
  if (n.shards.size() > 1 && !n.stripe_size) {
    return make_error("stripe_size: required for a sharded tenant");
  }
  return n;
}

Result<SafekeepersNotification> parse_notify_safekeepers(const std::string& body) {
  auto doc = parse_object(body);
  NEON_TRY(doc);
  SafekeepersNotification n;
  auto tenant = hex_id_field(*doc, "tenant_id", "");
  NEON_TRY(tenant);
  n.tenant_id = *tenant;
  auto timeline = hex_id_field(*doc, "timeline_id", "");
  NEON_TRY(timeline);
  n.timeline_id = *timeline;
  auto generation = uint_field(*doc, "generation", "", k_u32_max);
  NEON_TRY(generation);
  n.generation = static_cast<std::uint32_t>(*generation);
  auto sks = doc->find("safekeepers");
  if (sks == doc->end() || !sks->is_array() || sks->empty()) {
    return make_error("safekeepers: required non-empty array");
  }
  for (std::size_t i = 0; i < sks->size(); ++i) {
    const Json& s = (*sks)[i];
    const std::string where = fmt::format("safekeepers[{}].", i);
    if (!s.is_object()) {
      return make_error(fmt::format("safekeepers[{}]: must be an object", i));
    }
    auto id = uint_field(s, "id", where, std::numeric_limits<std::uint64_t>::max());
    NEON_TRY(id);
    SafekeeperRef ref{*id, std::nullopt};
    auto host = s.find("hostname");
    if (host != s.end() && host->is_string() && !host->get<std::string>().empty()) {
      ref.hostname = host->get<std::string>();
    } else if (host != s.end() && !host->is_null()) {
      return make_error(where + "hostname: must be a non-empty string or null");
    }
    n.safekeepers.push_back(std::move(ref));
  }
  return n;
}

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) {
    return text;
  }
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "<redacted>");
  }
  return text;
}

Json tenant_token_claims(const std::string& tenant_id) { return Json{{"scope", "tenant"}, {"tenant_id", tenant_id}}; }

Json build_spec(const ComputeEntry& compute, const Placement& placement, const SafekeeperSet& safekeepers,
                const std::optional<std::string>& storage_token, const Json& roles) {
  Json settings = compute.settings;
  if (storage_token && compute.mode == ComputeMode::replica) {
    // The walreceiver of a replica streams from the safekeepers with this conninfo; with their pg
    // auth on it must present the tenant token as its password. A JWT is base64url and dots, so
    // it needs no quoting inside the key=value conninfo.
    for (Json& s : settings) {
      if (s.is_object() && s.value("name", "") == "primary_conninfo" && s.contains("value") && s["value"].is_string()) {
        s["value"] = s["value"].get<std::string>() + " password=" + *storage_token;
      }
    }
  }
  Json shards = Json::object();
  for (std::size_t i = 0; i < placement.shards.size(); ++i) {
    const auto& s = placement.shards[i];
    shards[shard_index(static_cast<int>(i), placement.shard_count)] = Json{
        {"pageservers", Json::array({Json{{"id", s.node_id}, {"libpq_url", s.libpq_url}, {"grpc_url", nullptr}}})}};
  }
  Json info{{"shard_count", placement.shard_count},
            {"stripe_size", placement.stripe_size ? Json(*placement.stripe_size) : Json(nullptr)},
            {"shards", shards},
            {"prefer_protocol", "libpq"}};
  Json spec{{"format_version", 1.0},
            {"suspend_timeout_seconds", -1},
            {"cluster", Json{{"roles", roles}, {"databases", Json(compute.databases)}, {"settings", settings}}},
            {"tenant_id", compute.tenant_id},
            {"timeline_id", compute.timeline_id},
            {"mode", compute.mode == ComputeMode::primary ? "Primary" : "Replica"},
            {"pageserver_connection_info", info},
            {"safekeeper_connstrings", safekeepers.connstrings}};
  if (safekeepers.generation) {
    spec["safekeepers_generation"] = *safekeepers.generation;
  }
  if (storage_token) {
    spec["storage_auth_token"] = *storage_token;
  }
  return spec;
}

Json configure_body(const Json& spec, const Json& jwks) {
  return Json{{"spec", spec}, {"compute_ctl_config", Json{{"jwks", jwks}}}};
}

Json spec_reply(const Json& spec, const Json& jwks) {
  return Json{{"spec", spec}, {"status", "attached"}, {"compute_ctl_config", Json{{"jwks", jwks}}}};
}

std::string handler_exception_line(const std::string& method, const std::string& path, std::exception_ptr error) {
  std::string what = "unknown exception";
  try {
    if (error) {
      std::rethrow_exception(error);
    }
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  return fmt::format("{} {}: internal error: {}", method, path, what);
}

}  // namespace neon::cli::hook
