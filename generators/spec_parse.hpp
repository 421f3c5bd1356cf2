#pragma once
// parse_spec: YAML text -> ClusterSpec, reporting every shape problem at once (unknown fields with
// did-you-mean, wrong types, duplicate keys, tabs, nesting, size). Cross-field rules live in validate.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "generators/diagnostics.hpp"
#include "generators/spec.hpp"

namespace neon::gen {

inline constexpr std::size_t k_max_spec_bytes = 10 * 1024 * 1024;
inline constexpr int k_max_nesting = 64;

struct ParseResult {
  std::optional<ClusterSpec> spec;  ///< set when the shape is right (there may still be diagnostics)
  std::vector<Diagnostic> diagnostics;
};

/// Parses the spec in `text`; `file` names it in diagnostics.
ParseResult parse_spec(std::string_view text, const std::string& file);

/// The keys the parser accepts for one object of the spec, e.g. "spec.pageservers" or
/// "spec.projects[]". Used to keep the JSON Schema and the parser in step.
struct KeyTable {
  std::string path;
  std::vector<std::string> keys;
  std::vector<std::string> required;
};
const std::vector<KeyTable>& spec_key_tables();

/// TenantConfig keys the storage controller accepts (libs/pageserver_api/src/models.rs:655-786),
/// each read with its type (generators/spec_parse_tenant_config.cpp).
const std::vector<std::string>& tenant_config_keys();

/// The fields of the tenantConfig values that are objects, e.g. "eviction_policy" -> kind, period,
/// threshold. Used to keep the JSON Schema and the parser in step.
const std::map<std::string, std::vector<std::string>>& tenant_config_object_fields();

/// Empty when `s` is a duration humantime 2.2's parse_duration accepts ("10m", "1h 30m",
/// "7 days"), which is how Neon reads every duration of a tenant config; else why it is not.
/// The parser behind it: "" and the duration in `secs` and `nanos`, or why `s` is not one.
std::string humantime_parse(std::string_view s, std::uint64_t& secs, std::uint64_t& nanos);
inline std::string humantime_duration_error(std::string_view s) {
  std::uint64_t secs = 0;
  std::uint64_t nanos = 0;
  return humantime_parse(s, secs, nanos);
}
/// `s` as humantime reads it: {seconds, nanoseconds}, or nullopt when it is not a duration.
inline std::optional<std::pair<std::uint64_t, std::uint64_t>> humantime_duration(std::string_view s) {
  std::uint64_t secs = 0;
  std::uint64_t nanos = 0;
  return humantime_parse(s, secs, nanos).empty() ? std::optional(std::make_pair(secs, nanos)) : std::nullopt;
}

}  // namespace neon::gen
