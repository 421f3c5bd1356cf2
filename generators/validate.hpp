#pragma once
// validate: every cross-field rule of the cluster spec, all reported at once. Only validate makes
// a ValidSpec, so generators can take one and never fail.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generators/diagnostics.hpp"
#include "generators/spec.hpp"

namespace neon::gen {

struct LoadResult {
  std::optional<ValidSpec> spec;        ///< set only when there are no diagnostics
  std::vector<Diagnostic> diagnostics;  ///< sorted by position
};

/// Checks `spec`; the result holds a ValidSpec only when there is no diagnostic.
LoadResult validate(ClusterSpec spec);

/// parse_spec then validate: the whole way from text to a ValidSpec.
LoadResult load_spec(std::string_view text, const std::string& file);

/// Shape checks shared with the CLI (flags) and the bootstrap steps.
bool is_dns1123_label(std::string_view s);
/// A Kubernetes label value: at most 63 characters, alphanumeric at both ends.
bool is_label_value(std::string_view s);
/// An S3 bucket name (3-63 of a-z, 0-9, '.', '-'; no "..").
bool is_s3_bucket(std::string_view s);
bool is_dns1123_subdomain(std::string_view s);
bool is_hex_id(std::string_view s);  ///< 32 lowercase hex digits
bool is_lsn(std::string_view s);     ///< "X/Y" hex, e.g. "0/169AD58"
bool is_rfc3339(std::string_view s);
bool is_quantity(std::string_view s);  ///< a Kubernetes resource quantity
bool is_pinned_image(std::string_view s);
bool is_cidr(std::string_view s);  ///< "10.0.0.0/8", "fd00::/8"
/// Why `pattern` is not an entry of the proxy's allowed_ips ("1.2.3.4", "10.0.0.0/8",
/// "10.0.0.1-10.0.0.9"; proxy/src/auth/credentials.rs:209-221), or "" when it is one.
std::string ip_pattern_problem(std::string_view pattern);

/// Why `schedule` is not a cron expression a CronJob accepts, or "" when it is one: five fields
/// (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT),
/// each `*`, `?`, a value, a range `a-b`, any of them with a step `/n`, or a comma list of them;
/// or @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly. Kubernetes parses it with
/// robfig/cron's ParseStandard (pkg/apis/batch/validation); TZ= prefixes are refused there too.
std::string cron_problem(std::string_view schedule);

/// Reports one problem at a spec field path.
using NetworkError = std::function<void(const std::string& path, std::string message)>;
/// The network rules (validate_network.cpp): label selectors, ipBlocks, egress ports.
void check_network(const ClusterSpec& spec, const NetworkError& error);
/// spec.proxy, the branches' endpoint names and compute.suspendAfter (validate_proxy.cpp).
void check_proxy(const ClusterSpec& spec, const NetworkError& error);
/// spec.sync (validate_sync.cpp): the schedule.
void check_sync(const ClusterSpec& spec, const NetworkError& error);

}  // namespace neon::gen
