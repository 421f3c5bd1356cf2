#pragma once
// The compute hook's data model, without I/O: computes.json, the controller's notify-attach and
// notify-safekeepers bodies (neon-api.md §4.2), and the ComputeSpec compute_ctl applies (§4.5).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/result.hpp"

namespace neon::cli::hook {

using Json = nlohmann::json;

enum class ComputeMode { primary, replica };

struct ComputeEntry {
  std::string compute_id;
  std::string tenant_id;
  std::string timeline_id;
  int pg_version = 17;
  ComputeMode mode = ComputeMode::primary;
  std::string address;  ///< host:port of compute_ctl's external HTTP server
  Json settings = Json::array();
};

struct Computes {
  std::vector<std::string> safekeepers;  ///< host:port
  std::vector<ComputeEntry> computes;
};

/// computes.json (generators/computes.hpp); every problem names its JSON path.
Result<Computes> parse_computes(const std::string& text);

struct AttachShard {
  std::uint32_t shard_number = 0;
  std::uint64_t node_id = 0;
};

struct AttachNotification {
  std::string tenant_id;
  std::optional<std::string> preferred_az;
  std::optional<std::uint32_t> stripe_size;  ///< null for unsharded tenants
  std::vector<AttachShard> shards;           ///< sorted by shard_number
};

struct SafekeeperRef {
  std::uint64_t id = 0;
  std::optional<std::string> hostname;
};

struct SafekeepersNotification {
  std::string tenant_id;
  std::string timeline_id;
  std::uint32_t generation = 0;
  std::vector<SafekeeperRef> safekeepers;
};

Result<AttachNotification> parse_notify_attach(const std::string& body);
Result<SafekeepersNotification> parse_notify_safekeepers(const std::string& body);

/// Where a tenant's shards are attached, with the pageservers' libpq URLs.
struct Placement {
  int shard_count = 0;  ///< 0: unsharded
  std::optional<std::uint32_t> stripe_size;
  struct Shard {
    std::uint64_t node_id = 0;
    std::string libpq_url;
  };
  std::vector<Shard> shards;  ///< by shard number
};

struct SafekeeperSet {
  std::vector<std::string> connstrings;  ///< host:port
  std::optional<std::uint32_t> generation;
};

/// `postgres://no_user@<host>:<port>`, as neon_local builds it.
std::string libpq_url(const std::string& host, int port);
/// ShardIndex key "<NN><CC>" in lowercase hex; "0000" when unsharded.
std::string shard_index(int number, int count);
/// Whether `id` is 32 lowercase hex characters.
bool is_hex_id(const std::string& id);

/// The ComputeSpec for `compute`.
Json build_spec(const ComputeEntry& compute, const Placement& placement, const SafekeeperSet& safekeepers);

/// compute_ctl's `/configure` body and the control-plane spec reply share compute_ctl_config.
Json configure_body(const Json& spec, const Json& jwks);
Json spec_reply(const Json& spec, const Json& jwks);

}  // namespace neon::cli::hook
