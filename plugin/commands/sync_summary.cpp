#include "plugin/commands/sync_summary.hpp"

#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "plugin/adapters/text.hpp"

namespace neon::cli::sync {

namespace {

constexpr const char* k_kind = "kubectl-neon/sync-summary";
/// Room left for the error message once everything else is in: the rest is a few hundred bytes.
constexpr std::size_t k_error_limit = 2048;

std::string cut(std::string text, std::size_t limit) {
  if (text.size() <= limit) {
    return text;
  }
  text.resize(limit);
  // Never end inside a UTF-8 sequence: drop continuation bytes and the lead byte before them.
  while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0U) == 0x80U) {
    text.pop_back();
  }
  if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80U) != 0) {
    text.pop_back();
  }
  return text + "...";
}

}  // namespace

std::string Summary::result() const {
  switch (exit) {
    case 0:
      return made == 0 ? "no drift" : "fixed";
    case 1:
      return "drift";
    case 3:
      return "unreachable";
    default:
      return "error";
  }
}

Summary summarize(const Plan* plan, std::size_t made, std::size_t left, bool dry_run, int exit, std::string error,
                  std::string time) {
  Summary s;
  s.time = std::move(time);
  s.exit = exit;
  for (const Action a : k_actions) {
    s.found[action_id(a)] = 0;
  }
  if (plan != nullptr) {
    for (const auto& c : plan->changes) {
      ++s.found[action_id(c.action)];
    }
  }
  s.made = static_cast<long long>(made);
  s.left = static_cast<long long>(left);
  s.dry_run = dry_run;
  s.error = std::move(error);
  return s;
}

std::string summary_json(const Summary& s) {
  nlohmann::json j{{"kind", k_kind},   {"time", s.time}, {"exit", s.exit}, {"result", s.result()},
                   {"found", s.found}, {"made", s.made}, {"left", s.left}, {"dry_run", s.dry_run}};
  if (!s.error.empty()) {
    j["error"] = cut(s.error, k_error_limit);
  }
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > k_summary_limit) {  // only a time or counts no run makes could get here
    j.erase("error");
    text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return text;
}

std::optional<Summary> parse_summary(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("kind", "") != k_kind || !j.contains("exit") || !j["exit"].is_number_integer()) {
    return std::nullopt;
  }
  Summary s;
  s.time = j.contains("time") && j["time"].is_string() ? j["time"].get<std::string>() : std::string();
  s.exit = j["exit"].get<int>();
  if (j.contains("found") && j["found"].is_object()) {
    for (const auto& [k, v] : j["found"].items()) {
      if (v.is_number_integer()) {
        s.found[k] = v.get<long long>();
      }
    }
  }
  const auto count = [&j](const char* key) {
    return j.contains(key) && j[key].is_number_integer() ? j[key].get<long long>() : 0;
  };
  s.made = count("made");
  s.left = count("left");
  s.dry_run = j.contains("dry_run") && j["dry_run"].is_boolean() && j["dry_run"].get<bool>();
  s.error = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : std::string();
  return s;
}

std::string summary_line(const Summary& s) {
  std::vector<std::string> found;
  for (const Action a : k_actions) {
    auto it = s.found.find(action_id(a));
    if (it != s.found.end() && it->second > 0) {
      found.push_back(fmt::format("{} {}", it->second, action_name(a)));
    }
  }
  const std::string what = found.empty() ? std::string() : fmt::format(" ({})", fmt::join(found, ", "));
  const std::string result = s.result();
  if (result == "no drift") {
    return "no drift";
  }
  if (result == "error" || result == "unreachable") {
    return fmt::format(
        "{}: {}{}", result, s.error.empty() ? "see the pod's log" : s.error,
        s.made > 0 ? fmt::format(" ({} change{} made before it)", s.made, s.made == 1 ? "" : "s") : std::string());
  }
  if (s.dry_run) {
    return fmt::format("drift: {} change{} found{}", s.left, s.left == 1 ? "" : "s", what);
  }
  return fmt::format("{}: {} change{} made, {} left{}", result, s.made, s.made == 1 ? "" : "s", s.left, what);
}

std::string scope_for(const std::string& method, const std::string& path) {
  const auto seg = path_segments(path);
  if (method == "DELETE") {
    return "";
  }
  if (seg.size() >= 2 && seg[0] == "v1") {
    return "pageserverapi";
  }
  if (seg.size() == 3 && seg[0] == "control" && seg[1] == "v1" && seg[2] == "preferred_azs" && method == "PUT") {
    return "admin";  // check_permissions(&req, Scope::Admin), storage_controller/src/http.rs:1433
  }
  if (seg.size() < 3 || seg[0] != "control" || seg[1] != "v1" || seg[2] != "tenant") {
    return "";
  }
  if (seg.size() == 3 && method == "GET") {
    return "admin";
  }
  if (seg.size() == 4 && method == "GET") {
    return "scrubber";
  }
  if (seg.size() == 5 && seg[4] == "shard_split" && method == "PUT") {
    return "admin";
  }
  return "";
}

}  // namespace neon::cli::sync
