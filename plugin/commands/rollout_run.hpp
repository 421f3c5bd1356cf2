#pragma once
// Carries out one step of a rollout plan (rollout_plan.hpp) against the Kubernetes API and the
// storage controller, from the step's phase on, with progress on standard error. Every wait has
// the --timeout; a failure names the node, its state and the command that resumes.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "generators/spec.hpp"
#include "plugin/adapters/context.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/rollout_plan.hpp"

namespace neon::cli::rollout {

/// Prints a Kubernetes API failure; k_exit_unreachable when no answer came, else k_exit_failure.
int kube_failure(Context& ctx, const Error& e);

struct Runner {
  Context& ctx;
  kube::Client& kube;
  std::string ns;
  Controller& controller;
  const gen::ClusterSpec* spec = nullptr;  ///< for the timelines' safekeeper sets; may be null
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  std::string timeout_text = "30m";                             ///< as the user wrote it, for messages
  std::chrono::milliseconds interval{std::chrono::seconds(2)};  ///< the longest pause between polls
  bool allow_interruption = false;
  std::string resume;  ///< the command that continues the rollout, for messages

  /// Runs `step` (number `index` of `total`); k_exit_ok, or the exit code after printing why.
  int run(const Step& step, std::size_t index, std::size_t total);

  /// The safekeeper sets a restart of a safekeeper must keep a quorum in: per timeline of the spec
  /// from the controller (locate), else one set of every safekeeper not Decomissioned (each compute
  /// is given every safekeeper, generators/computes.cpp). Keyed by what they belong to.
  storcon::Expected<std::map<std::string, std::vector<std::uint64_t>>> safekeeper_sets();
};

}  // namespace neon::cli::rollout
