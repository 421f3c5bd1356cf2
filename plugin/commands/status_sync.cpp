// `status` on spec.sync's CronJob: the findings of its last run, read from the newest finished
// pod's termination message (the run's --summary-file, sync_summary.hpp).
#include <tuple>

#include <fmt/format.h>

#include "generators/names.hpp"
#include "plugin/commands/storcon_status.hpp"

namespace neon::cli::status {

namespace {

constexpr std::size_t k_message_shown = 300;

std::string when(const SyncRun& run) {
  return run.finished.empty() ? run.pod : fmt::format("{}, pod {}", run.finished, run.pod);
}

/// The last line of a log tail, cut short.
std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  const auto nl = text.rfind('\n');
  if (nl != std::string::npos) {
    text = text.substr(nl + 1);
  }
  return text.size() > k_message_shown ? text.substr(0, k_message_shown) + "..." : text;
}

}  // namespace

SyncRun last_sync_run(const std::vector<kube::Pod>& pods, std::optional<bool> configured) {
  SyncRun run;
  const kube::Pod* newest = nullptr;
  for (const auto& pod : pods) {
    if (pod.label("app.kubernetes.io/component") != gen::names::k_sync || !pod.terminated ||
        (pod.phase != "Succeeded" && pod.phase != "Failed")) {
      continue;
    }
    // RFC 3339 times of one clock compare as text; the name breaks ties (and orders pods without one).
    if (newest == nullptr ||
        std::tie(pod.terminated->finished_at, pod.name) > std::tie(newest->terminated->finished_at, newest->name)) {
      newest = &pod;
    }
  }
  if (newest == nullptr) {
    run.state = !configured ? "none found" : *configured ? "never ran" : "not configured";
    return run;
  }
  run.state = "ran";
  run.pod = newest->name;
  run.finished = newest->terminated->finished_at;
  run.exit_code = newest->terminated->exit_code;
  run.reason = !newest->reason.empty() ? newest->reason : newest->terminated->reason;
  run.summary = sync::parse_summary(newest->terminated->message);
  if (!run.summary) {
    run.message = last_line(newest->terminated->message);
  }
  return run;
}

std::optional<std::string> sync_problem(const SyncRun& run) {
  if (run.state != "ran") {
    return std::nullopt;
  }
  if (run.summary) {
    if (run.summary->exit == 0) {
      return std::nullopt;
    }
    return fmt::format("spec-sync: the last run ({}): {}", when(run), sync::summary_line(*run.summary));
  }
  // Ended before writing its findings: killed (the Job's deadline, memory), or it could not start.
  return fmt::format("spec-sync: the last run ({}) ended with exit code {}{}{}", when(run), run.exit_code,
                     run.reason.empty() ? std::string() : " (" + run.reason + ")",
                     run.message.empty() ? std::string() : ": " + run.message);
}

std::string sync_note(const SyncRun& run) {
  if (run.state == "never ran") {
    return "spec-sync: the CronJob has no finished run yet";
  }
  if (run.state == "ran" && run.summary && run.summary->exit == 0) {
    return fmt::format("spec-sync: the last run ({}): {}", when(run), sync::summary_line(*run.summary));
  }
  return "";
}

nlohmann::json sync_json(const SyncRun& run) {
  nlohmann::json j{{"state", run.state.empty() ? "unknown" : run.state}};
  if (run.state != "ran") {
    return j;
  }
  j["pod"] = run.pod;
  j["finished"] = run.finished;
  j["exit_code"] = run.exit_code;
  j["reason"] = run.reason;
  if (run.summary) {
    j["summary"] = nlohmann::json::parse(sync::summary_json(*run.summary));
    j["result"] = run.summary->result();
  } else {
    j["summary"] = nullptr;
    j["result"] = run.exit_code == 0 ? "unknown" : "error";
    j["message"] = run.message;
  }
  return j;
}

}  // namespace neon::cli::status
