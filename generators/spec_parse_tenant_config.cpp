// spec.projects[].tenantConfig: every key with the type Neon deserializes it to, so that a value
// the storage controller would refuse (or a typo such as `7 dayz`) is an error at its line here.
// Types: TenantConfig in libs/pageserver_api/src/models.rs:655-786 (Neon 6a35a3e9f149); durations
// go through humantime_serde, i.e. humantime 2.2 parse_duration (src/duration.rs:103-225).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "generators/spec_parse.hpp"
#include "generators/spec_parse_internal.hpp"

namespace neon::gen {

namespace {

using Json = nlohmann::json;

enum class Kind {
  bytes,          ///< u64, a size in bytes
  bytes_nonzero,  ///< NonZeroU64, a size in bytes
  count,          ///< usize or u64, a plain number
  u8,
  boolean,
  duration,  ///< humantime_serde
  compaction_algorithm,
  eviction_policy,
  throttle,
  ratio,
};

struct KeyType {
  const char* key;
  Kind kind;
};

// models.rs:655-786, in declaration order.
constexpr KeyType k_keys[] = {
    {"checkpoint_distance", Kind::bytes},
    {"checkpoint_timeout", Kind::duration},
    {"compaction_target_size", Kind::bytes},
    {"compaction_period", Kind::duration},
    {"compaction_threshold", Kind::count},
    {"compaction_upper_limit", Kind::count},
    {"compaction_algorithm", Kind::compaction_algorithm},
    {"compaction_shard_ancestor", Kind::boolean},
    {"compaction_l0_first", Kind::boolean},
    {"compaction_l0_semaphore", Kind::boolean},
    {"l0_flush_delay_threshold", Kind::count},
    {"l0_flush_stall_threshold", Kind::count},
    {"gc_horizon", Kind::bytes},
    {"gc_period", Kind::duration},
    {"image_creation_threshold", Kind::count},
    {"image_layer_force_creation_period", Kind::duration},
    {"pitr_interval", Kind::duration},
    {"walreceiver_connect_timeout", Kind::duration},
    {"lagging_wal_timeout", Kind::duration},
    {"max_lsn_wal_lag", Kind::bytes_nonzero},
    {"eviction_policy", Kind::eviction_policy},
    {"min_resident_size_override", Kind::bytes},
    {"evictions_low_residence_duration_metric_threshold", Kind::duration},
    {"heatmap_period", Kind::duration},
    {"lazy_slru_download", Kind::boolean},
    {"timeline_get_throttle", Kind::throttle},
    {"image_layer_creation_check_threshold", Kind::u8},
    {"image_creation_preempt_threshold", Kind::count},
    {"lsn_lease_length", Kind::duration},
    {"lsn_lease_length_for_ts", Kind::duration},
    {"timeline_offloading", Kind::boolean},
    {"rel_size_v2_enabled", Kind::boolean},
    {"gc_compaction_enabled", Kind::boolean},
    {"gc_compaction_verification", Kind::boolean},
    {"gc_compaction_initial_threshold_kb", Kind::count},
    {"gc_compaction_ratio_percent", Kind::count},
    {"sampling_ratio", Kind::ratio},
    {"relsize_snapshot_cache_capacity", Kind::count},
    {"basebackup_cache_enabled", Kind::boolean},
};

constexpr const char* k_duration_hint = "a duration such as \"30s\", \"10m\", \"1h 30m\" or \"7 days\"";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// Seconds and nanoseconds in one humantime unit, or false for an unknown unit (duration.rs:120-131).
bool unit_scale(std::string_view unit, std::uint64_t& secs, std::uint64_t& nanos) {
  struct Unit {
    std::vector<std::string_view> names;
    std::uint64_t secs;
    std::uint64_t nanos;
  };
  static const Unit k_units[] = {
      {{"nanos", "nsec", "ns"}, 0, 1},
      {{"usec", "us"}, 0, 1000},
      {{"millis", "msec", "ms"}, 0, 1000000},
      {{"seconds", "second", "secs", "sec", "s"}, 1, 0},
      {{"minutes", "minute", "min", "mins", "m"}, 60, 0},
      {{"hours", "hour", "hr", "hrs", "h"}, 3600, 0},
      {{"days", "day", "d"}, 86400, 0},
      {{"weeks", "week", "w"}, 86400 * 7, 0},
      {{"months", "month", "M"}, 2630016, 0},
      {{"years", "year", "y"}, 31557600, 0},
  };
  for (const auto& u : k_units) {
    if (std::find(u.names.begin(), u.names.end(), unit) != u.names.end()) {
      secs = u.secs;
      nanos = u.nanos;
      return true;
    }
  }
  return false;
}

/// Whether `value` is a whole number in [min, max], written in decimal without sign.
bool read_unsigned(const std::string& value, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
  if (value.empty() || value.size() > 20 || !std::all_of(value.begin(), value.end(), is_digit)) {
    return false;
  }
  std::uint64_t x = 0;
  for (char c : value) {
    if (__builtin_mul_overflow(x, 10U, &x) || __builtin_add_overflow(x, static_cast<std::uint64_t>(c - '0'), &x)) {
      return false;
    }
  }
  out = x;
  return x >= min && x <= max;
}

/// Reads typed values at `path` (a tenantConfig key or a field of one of its objects), reporting
/// each problem at the value's own position.
class ValueReader {
public:
  explicit ValueReader(detail::Reader& r) : m_r(r) {}

  /// A scalar that YAML reads as plain text (not quoted), else an error naming `expected`.
  const std::string* plain(const YAML::Node& v, const std::string& path, const std::string& expected) {
    if (v.IsScalar() && v.Tag() != "!") {
      return &v.Scalar();
    }
    fail(v, path, fmt::format("must be {}, got {}", expected, detail::describe(v)), DiagKind::invalid);
    return nullptr;
  }

  std::optional<Json> number(const YAML::Node& v, const std::string& path, std::uint64_t min, std::uint64_t max,
                             const std::string& what) {
    const bool unbounded = max == std::numeric_limits<std::uint64_t>::max();
    const std::string expected = unbounded && min == 0 ? fmt::format("{} (a whole number)", what)
                                 : unbounded           ? fmt::format("{} (a whole number from {})", what, min)
                                             : fmt::format("{} (a whole number from {} to {})", what, min, max);
    const std::string* s = plain(v, path, expected);
    std::uint64_t x = 0;
    if (s != nullptr && read_unsigned(*s, min, max, x)) {
      return Json(x);
    }
    if (s != nullptr) {
      fail(v, path, fmt::format("must be {}, got {}", expected, detail::describe(v)), DiagKind::invalid);
    }
    return std::nullopt;
  }

  std::optional<Json> boolean(const YAML::Node& v, const std::string& path) {
    const std::string* s = plain(v, path, "true or false");
    if (s != nullptr && (*s == "true" || *s == "false")) {
      return Json(*s == "true");
    }
    if (s != nullptr) {
      fail(v, path, fmt::format("must be true or false, got {}", detail::describe(v)), DiagKind::invalid);
    }
    return std::nullopt;
  }

  std::optional<Json> duration(const YAML::Node& v, const std::string& path) {
    if (!v.IsScalar()) {
      fail(v, path, fmt::format("must be {}, got {}", k_duration_hint, detail::describe(v)), DiagKind::invalid);
      return std::nullopt;
    }
    const std::string why = humantime_duration_error(v.Scalar());
    if (!why.empty()) {
      fail(v, path, fmt::format("must be {}, got {}: {}", k_duration_hint, detail::describe(v), why),
           DiagKind::invalid);
      return std::nullopt;
    }
    return Json(v.Scalar());
  }

  /// A map whose keys are `fields` (all of `required` present); false after reporting otherwise.
  bool object(const YAML::Node& v, const std::string& path, const std::vector<std::string>& fields,
              const std::vector<std::string>& required) {
    if (!v.IsMap()) {
      fail(v, path, fmt::format("must be a map, got {}", detail::describe(v)), DiagKind::invalid);
      return false;
    }
    bool ok = true;
    std::set<std::string> seen;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const YAML::Node key = it->first;
      const std::string k = key.IsScalar() ? key.Scalar() : std::string();
      if (!key.IsScalar() || std::find(fields.begin(), fields.end(), k) == fields.end()) {
        fail(key, path, fmt::format("unknown field \"{}\"{}", k, suggestion_suffix(k, fields)));
        ok = false;
      } else if (!seen.insert(k).second) {
        fail(key, path + "." + k, "duplicate key");
        ok = false;
      }
    }
    for (const auto& f : required) {
      if (!seen.count(f)) {
        fail(v, path + "." + f, "required field is missing", DiagKind::missing);
        ok = false;
      }
    }
    return ok;
  }

  void fail(const YAML::Node& at, const std::string& path, std::string message, DiagKind kind = DiagKind::other) {
    m_r.error(detail::mark_of(at), path, std::move(message), kind);
  }

private:
  detail::Reader& m_r;
};

constexpr std::uint64_t k_u32_max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t k_u64_max = std::numeric_limits<std::uint64_t>::max();

/// Fills `out[field]` with `value` when it is set; false (already reported) when it is not.
bool put(Json& out, const char* field, std::optional<Json> value) {
  if (!value) {
    return false;
  }
  out[field] = std::move(*value);
  return true;
}

std::optional<Json> read_value(ValueReader& vr, Kind kind, const YAML::Node& v, const std::string& p) {
  switch (kind) {
    case Kind::bytes:
      return vr.number(v, p, 0, k_u64_max, "a size in bytes");
    case Kind::bytes_nonzero:
      return vr.number(v, p, 1, k_u64_max, "a size in bytes");
    case Kind::count:
      return vr.number(v, p, 0, k_u64_max, "a count");
    case Kind::u8:
      return vr.number(v, p, 0, 255, "a count");
    case Kind::boolean:
      return vr.boolean(v, p);
    case Kind::duration:
      return vr.duration(v, p);
    case Kind::compaction_algorithm: {
      // CompactionAlgorithmSettings { kind } with kebab-case names (models.rs:1155-1171, :1224-1227).
      if (!vr.object(v, p, {"kind"}, {"kind"})) {
        return std::nullopt;
      }
      const std::string* k = vr.plain(v["kind"], p + ".kind", "legacy or tiered");
      if (k == nullptr) {
        return std::nullopt;
      }
      if (*k != "legacy" && *k != "tiered") {
        vr.fail(v["kind"], p + ".kind",
                fmt::format("must be legacy or tiered, got \"{}\"{}", *k, suggestion_suffix(*k, {"legacy", "tiered"})),
                DiagKind::invalid);
        return std::nullopt;
      }
      return Json{{"kind", *k}};
    }
    case Kind::eviction_policy: {
      // Tagged by "kind"; the threshold variants carry period and threshold (models.rs:1137-1143, :1236-1242).
      if (!v.IsMap() || !v["kind"].IsDefined()) {
        vr.object(v, p, {"kind", "period", "threshold"}, {"kind"});
        return std::nullopt;
      }
      const std::vector<std::string> kinds = {"NoEviction", "LayerAccessThreshold", "OnlyImitiate"};
      const std::string* k = vr.plain(v["kind"], p + ".kind", "NoEviction, LayerAccessThreshold or OnlyImitiate");
      if (k == nullptr) {
        return std::nullopt;
      }
      if (std::find(kinds.begin(), kinds.end(), *k) == kinds.end()) {
        vr.fail(v["kind"], p + ".kind",
                fmt::format("must be NoEviction, LayerAccessThreshold or OnlyImitiate, got \"{}\"{}", *k,
                            suggestion_suffix(*k, kinds)),
                DiagKind::invalid);
        return std::nullopt;
      }
      if (*k == "NoEviction") {
        return vr.object(v, p, {"kind"}, {"kind"}) ? std::optional<Json>(Json{{"kind", *k}}) : std::nullopt;
      }
      if (!vr.object(v, p, {"kind", "period", "threshold"}, {"kind", "period", "threshold"})) {
        return std::nullopt;
      }
      Json out{{"kind", *k}};
      const bool period = put(out, "period", vr.duration(v["period"], p + ".period"));
      const bool threshold = put(out, "threshold", vr.duration(v["threshold"], p + ".threshold"));
      return period && threshold ? std::optional<Json>(out) : std::nullopt;
    }
    case Kind::throttle: {
      // ThrottleConfig: every field required (models.rs:1244-1254).
      const std::vector<std::string> fields = {"task_kinds", "initial", "refill_interval", "refill_amount", "max"};
      if (!vr.object(v, p, fields, fields)) {
        return std::nullopt;
      }
      Json out = Json::object();
      bool ok = true;
      const YAML::Node kinds = v["task_kinds"];
      if (!kinds.IsSequence()) {
        vr.fail(kinds, p + ".task_kinds", fmt::format("must be a list of strings, got {}", detail::describe(kinds)),
                DiagKind::invalid);
        ok = false;
      } else {
        Json list = Json::array();
        for (std::size_t i = 0; i < kinds.size(); ++i) {
          if (!kinds[i].IsScalar()) {
            vr.fail(kinds[i], fmt::format("{}.task_kinds[{}]", p, i),
                    fmt::format("must be a string, got {}", detail::describe(kinds[i])), DiagKind::invalid);
            ok = false;
          } else {
            list.push_back(kinds[i].Scalar());
          }
        }
        out["task_kinds"] = list;
      }
      ok = put(out, "initial", vr.number(v["initial"], p + ".initial", 0, k_u32_max, "a count")) && ok;
      ok = put(out, "refill_interval", vr.duration(v["refill_interval"], p + ".refill_interval")) && ok;
      ok =
          put(out, "refill_amount", vr.number(v["refill_amount"], p + ".refill_amount", 1, k_u32_max, "a count")) && ok;
      ok = put(out, "max", vr.number(v["max"], p + ".max", 0, k_u32_max, "a count")) && ok;
      return ok ? std::optional<Json>(out) : std::nullopt;
    }
    case Kind::ratio: {
      // Ratio { numerator, denominator } (libs/pageserver_api/src/config.rs:364-368).
      const std::vector<std::string> fields = {"numerator", "denominator"};
      if (!vr.object(v, p, fields, fields)) {
        return std::nullopt;
      }
      Json out = Json::object();
      const bool n = put(out, "numerator", vr.number(v["numerator"], p + ".numerator", 0, k_u64_max, "a count"));
      const bool d = put(out, "denominator", vr.number(v["denominator"], p + ".denominator", 0, k_u64_max, "a count"));
      return n && d ? std::optional<Json>(out) : std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string humantime_parse(std::string_view s, std::uint64_t& secs, std::uint64_t& nanos) {
  // A port of humantime 2.2 Parser::parse (src/duration.rs:103-210), ASCII only: Rust's
  // is_whitespace also takes Unicode spaces, which are rejected here.
  secs = 0;
  nanos = 0;
  std::size_t i = 0;
  auto first_digit = [&](std::uint64_t& n) -> int {  // 1: digit, 0: end, -1: other character
    for (; i < s.size(); ++i) {
      if (is_digit(s[i])) {
        n = static_cast<std::uint64_t>(s[i++] - '0');
        return 1;
      }
      if (!is_space(s[i])) {
        return -1;
      }
    }
    return 0;
  };
  auto add_unit = [&](std::uint64_t n, std::string_view unit) -> std::string {
    std::uint64_t unit_secs = 0;
    std::uint64_t unit_nanos = 0;
    if (unit.empty()) {
      return fmt::format("a time unit is needed, for example {0}sec or {0}ms", n);
    }
    if (!unit_scale(unit, unit_secs, unit_nanos)) {
      return fmt::format("unknown time unit \"{}\" (use ns, us, ms, s, min, h, days, weeks, months or years)", unit);
    }
    std::uint64_t add_secs = 0;
    std::uint64_t add_nanos = 0;
    if (__builtin_mul_overflow(n, unit_secs, &add_secs) || __builtin_mul_overflow(n, unit_nanos, &add_nanos) ||
        __builtin_add_overflow(nanos, add_nanos, &nanos)) {
      return "the number is too large";
    }
    if (nanos > 1000000000) {
      if (__builtin_add_overflow(add_secs, nanos / 1000000000, &add_secs)) {
        return "the number is too large";
      }
      nanos %= 1000000000;
    }
    if (__builtin_add_overflow(secs, add_secs, &secs)) {
      return "the number is too large";
    }
    return "";
  };
  std::uint64_t n = 0;
  int first = first_digit(n);
  if (first == 0) {
    return "the value is empty";
  }
  while (true) {
    if (first < 0) {
      return fmt::format("a number is expected at character {}", i + 1);
    }
    // The number, then the unit's first letter.
    for (; i < s.size() && !is_alpha(s[i]); ++i) {
      if (is_digit(s[i])) {
        if (__builtin_mul_overflow(n, 10U, &n) ||
            __builtin_add_overflow(n, static_cast<std::uint64_t>(s[i] - '0'), &n)) {
          return "the number is too large";
        }
      } else if (!is_space(s[i])) {
        return fmt::format("invalid character at {}", i + 1);
      }
    }
    const std::size_t start = i;
    for (; i < s.size() && is_alpha(s[i]); ++i) {
    }
    const std::string why = add_unit(n, s.substr(start, i - start));
    if (!why.empty()) {
      return why;
    }
    if (i < s.size() && is_digit(s[i])) {
      n = static_cast<std::uint64_t>(s[i++] - '0');
      first = 1;
      continue;
    }
    if (i < s.size() && !is_space(s[i])) {
      return fmt::format("invalid character at {}", i + 1);
    }
    first = first_digit(n);
    if (first == 0) {
      return "";
    }
  }
}

const std::vector<std::string>& tenant_config_keys() {
  static const std::vector<std::string> k_names = [] {
    std::vector<std::string> out;
    for (const auto& k : k_keys) {
      out.emplace_back(k.key);
    }
    return out;
  }();
  return k_names;
}

const std::map<std::string, std::vector<std::string>>& tenant_config_object_fields() {
  static const std::map<std::string, std::vector<std::string>> k_fields = {
      {"compaction_algorithm", {"kind"}},
      {"eviction_policy", {"kind", "period", "threshold"}},
      {"timeline_get_throttle", {"task_kinds", "initial", "refill_interval", "refill_amount", "max"}},
      {"sampling_ratio", {"numerator", "denominator"}},
  };
  return k_fields;
}

namespace detail {

void read_tenant_config(Reader& r, const YAML::Node& tc, const std::string& tp, std::vector<TenantConfigValue>& out) {
  if (!tc.IsMap()) {
    r.error(mark_of(tc), tp, fmt::format("must be a map, got {}", describe(tc)), DiagKind::invalid);
    return;
  }
  ValueReader vr(r);
  std::set<std::string> seen;
  for (auto it = tc.begin(); it != tc.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      r.error(mark_of(key), tp, "keys must be strings");
      continue;
    }
    const std::string k = key.Scalar();
    if (!seen.insert(k).second) {
      r.error(mark_of(key), tp + "." + k, "duplicate key");
      continue;
    }
    const auto* found =
        std::find_if(std::begin(k_keys), std::end(k_keys), [&](const KeyType& t) { return k == t.key; });
    if (found == std::end(k_keys)) {
      r.error(mark_of(key), tp,
              fmt::format("unknown tenant config \"{}\"{}", k, suggestion_suffix(k, tenant_config_keys())));
      continue;
    }
    if (auto v = read_value(vr, found->kind, it->second, tp + "." + k)) {
      out.push_back({k, v->dump(-1, ' ', false, Json::error_handler_t::replace)});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
}

}  // namespace detail

}  // namespace neon::gen
