#pragma once
// The compute hook's data model, without I/O: computes.json, the controller's notify-attach and
// notify-safekeepers bodies (neon-api.md §4.2), and the ComputeSpec compute_ctl applies (§4.5).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/computes.hpp"
#include "generators/result.hpp"

namespace neon::cli::hook {

using Json = nlohmann::json;

// The computes file is one type, gen::ComputesFile, shared with the generator and the bootstrap
// step (generators/computes.hpp).
using ComputeMode = gen::ComputeMode;
using ComputeEntry = gen::ComputeEntry;
using Computes = gen::ComputesFile;
using gen::parse_computes;

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

/// `host:port`, with an IPv6 literal host in brackets (`[::1]:6400`), as URLs need it.
std::string host_port(const std::string& host, int port);
/// `postgres://no_user@<host>:<port>`, as neon_local builds it; an IPv6 host is bracketed.
std::string libpq_url(const std::string& host, int port);
/// `http://<address>` for a computes.json address `host:port`. An IPv6 literal host is bracketed
/// if it is not already (`fd00::1:3080` is read as host `fd00::1`, port 3080).
std::string http_base_url(const std::string& address);

/// `--listen` of `hook serve`: `HOST:PORT`, `[V6]:PORT`, or `:PORT` (host empty: every address
/// family). An unbracketed IPv6 host is refused: `::1:8080` could be read two ways.
struct ListenAddress {
  std::string host;  ///< without brackets; empty: all addresses
  int port = 0;
};
std::optional<ListenAddress> parse_listen(const std::string& text);

/// A TenantShardId as the controller writes it (libs/utils/src/shard.rs:206-251): the tenant id
/// alone for a legacy unsharded tenant (count 0), else `<tenant>-<NN><CC>` in hex.
struct TenantShardId {
  std::string tenant_id;
  int number = 0;
  int count = 0;  ///< 0: unsharded (legacy); otherwise the number of shards
};
Result<TenantShardId> parse_tenant_shard_id(const std::string& text);

/// One shard of the controller's tenant describe (GET /control/v1/tenant/:tenant_id).
struct DescribedShard {
  std::string tenant_shard_id;
  std::optional<std::uint64_t> node_attached;
  bool is_splitting = false;
};

/// Why the described tenant is in the middle of a shard split, or nothing. The controller marks
/// the parent shards `is_splitting` while it splits them (storage_controller/src/service.rs:6497,
/// reported at :5561) and replaces them by the children in one step (:5949-6026); shards of
/// different counts side by side are read as a split too.
std::optional<std::string> split_in_progress(const std::string& tenant_id, const std::vector<DescribedShard>& shards);

/// The attachment the controller describes now, as a notify-attach would carry it: shard numbers
/// and count come from each `tenant_shard_id`, not from the order of the list. An error says why
/// there is none yet (splitting, a shard not attached, shards missing).
Result<AttachNotification> attachment_from_describe(const std::string& tenant_id,
                                                    std::optional<std::uint32_t> stripe_size,
                                                    const std::vector<DescribedShard>& shards);
/// ShardIndex key "<NN><CC>" in lowercase hex; "0000" when unsharded.
std::string shard_index(int number, int count);

/// `text` with every occurrence of `secret` replaced by `<redacted>` (nothing when `secret` is empty).
std::string redact(std::string text, const std::string& secret);

/// The claims of a tenant-scoped storage token, exactly `{"scope":"tenant","tenant_id":"<hex>"}`
/// (libs/utils/src/auth.rs:75-88; pageservers and safekeepers refuse a `tenant` token without
/// `tenant_id`, pageserver/src/page_service.rs:3108-3110, safekeeper/src/handler.rs:291-295).
Json tenant_token_claims(const std::string& tenant_id);

/// The ComputeSpec for `compute`. With `storage_token`, the spec carries it as
/// `storage_auth_token` (libs/compute_api/src/spec.rs:153-155), and a replica's
/// `primary_conninfo` setting gets ` password=<token>` for the safekeepers' pg auth.
/// `roles` is cluster.roles as PasswordBook::roles gives it (encrypted_password set); the
/// databases come from the compute's computes.json entry.
Json build_spec(const ComputeEntry& compute, const Placement& placement, const SafekeeperSet& safekeepers,
                const std::optional<std::string>& storage_token = std::nullopt, const Json& roles = Json::array());

/// compute_ctl's `/configure` body and the control-plane spec reply share compute_ctl_config.
Json configure_body(const Json& spec, const Json& jwks);
Json spec_reply(const Json& spec, const Json& jwks);

}  // namespace neon::cli::hook
