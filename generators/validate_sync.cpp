// spec.sync: the schedule of the in-cluster sync CronJob, checked as the API server would check it
// (robfig/cron v3 ParseStandard: five fields, names, ranges, steps, lists, descriptors), so a bad
// one is a file:line:col error here instead of a CronJob the GitOps sync cannot apply.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "generators/diagnostics.hpp"
#include "generators/validate.hpp"

namespace neon::gen {

namespace {

struct Field {
  const char* name;
  int min;
  int max;
  std::vector<const char*> names;  ///< names[i] stands for min + i
};

const std::array<Field, 5>& fields() {
  static const std::array<Field, 5> k_fields = {{
      {"minute", 0, 59, {}},
      {"hour", 0, 23, {}},
      {"day of month", 1, 31, {}},
      {"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      {"day of week", 0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
  }};
  return k_fields;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

/// A number or (month, day of week) a name; "" on success, else why not.
std::string value_of(const Field& f, const std::string& text, int& out) {
  if (text.empty()) {
    return fmt::format("{}: an empty value", f.name);
  }
  std::string lower;
  for (const char c : text) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (std::size_t i = 0; i < f.names.size(); ++i) {
    if (lower == f.names[i]) {
      out = f.min + static_cast<int>(i);
      return "";
    }
  }
  if (text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos) {
    return fmt::format(
        "{}: \"{}\" is not a number{}", f.name, text,
        f.names.empty() ? std::string() : fmt::format(" or a name ({}-{})", f.names.front(), f.names.back()));
  }
  out = std::stoi(text);
  if (out < f.min || out > f.max) {
    return fmt::format("{}: {} is out of range {}-{}", f.name, out, f.min, f.max);
  }
  return "";
}

/// One item of a comma list: `*`, `?`, a, a-b, each with an optional /step.
std::string item_problem(const Field& f, const std::string& item) {
  const auto slash = item.find('/');
  const std::string range = item.substr(0, slash);
  if (slash != std::string::npos) {
    const std::string step = item.substr(slash + 1);
    if (step.empty() || step.size() > 3 || step.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(step) == 0) {
      return fmt::format("{}: step \"{}\" is not a positive number", f.name, step);
    }
  }
  if (range == "*" || range == "?") {
    return "";
  }
  const auto dash = range.find('-');
  int low = 0;
  int high = 0;
  if (auto p = value_of(f, range.substr(0, dash), low); !p.empty()) {
    return p;
  }
  if (dash == std::string::npos) {
    return "";
  }
  if (auto p = value_of(f, range.substr(dash + 1), high); !p.empty()) {
    return p;
  }
  if (low > high) {
    return fmt::format("{}: range {} starts after it ends", f.name, range);
  }
  return "";
}

}  // namespace

std::string cron_problem(std::string_view schedule) {
  static const std::array<const char*, 7> k_descriptors = {"@yearly", "@annually", "@monthly", "@weekly",
                                                           "@daily",  "@midnight", "@hourly"};
  std::vector<std::string> words;
  std::string cur;
  for (const char c : schedule) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) {
        words.push_back(cur);
      }
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) {
    words.push_back(cur);
  }
  if (words.empty()) {
    return "must not be empty (a cron expression, e.g. \"*/15 * * * *\")";
  }
  if (words.front().rfind("TZ=", 0) == 0 || words.front().rfind("CRON_TZ=", 0) == 0) {
    return "a time zone prefix is not allowed (Kubernetes refuses TZ= and CRON_TZ= in a CronJob's schedule)";
  }
  if (words.front()[0] == '@') {
    for (const char* d : k_descriptors) {
      if (words.size() == 1 && words.front() == d) {
        return "";
      }
    }
    return fmt::format(
        "\"{}\" is not a schedule (use five fields, or one of @hourly, @daily, @midnight, @weekly, "
        "@monthly, @yearly, @annually)",
        std::string(schedule));
  }
  if (words.size() != fields().size()) {
    return fmt::format("has {} field{}, a cron expression has 5 (minute hour day-of-month month day-of-week)",
                       words.size(), words.size() == 1 ? "" : "s");
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    for (const auto& item : split(words[i], ',')) {
      if (auto p = item_problem(fields()[i], item); !p.empty()) {
        return p;
      }
    }
  }
  return "";
}

void check_sync(const ClusterSpec& spec, const NetworkError& error) {
  // A preferred zone is one the pageservers are in: the controller matches it with each node's
  // availability_zone_id, which the generated pageserver.toml sets to the zone's name.
  for (std::size_t i = 0; i < spec.projects.size(); ++i) {
    const std::string& zone = spec.projects[i].preferred_zone;
    const auto& zones = spec.pageservers.zones;
    if (!zone.empty() && std::find(zones.begin(), zones.end(), zone) == zones.end()) {
      error(fmt::format("spec.projects[{}].preferredZone", i),
            zones.empty()
                ? fmt::format("\"{}\": spec.pageservers.zones is not set, so there is no zone to prefer", zone)
                : fmt::format("\"{}\" is not a pageserver zone ({}){}", zone, fmt::join(zones, ", "),
                              suggestion_suffix(zone, zones)));
    }
  }
  if (!spec.sync.enabled) {
    return;
  }
  if (auto p = cron_problem(spec.sync.schedule); !p.empty()) {
    error("spec.sync.schedule", fmt::format("\"{}\" is not a cron schedule: {}", spec.sync.schedule, p));
  }
}

}  // namespace neon::gen
