#include "plugin/commands/rollout_plan.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace neon::cli::rollout {

namespace {

constexpr const char* k_component = "app.kubernetes.io/component";
constexpr const char* k_name = "app.kubernetes.io/name";
constexpr const char* k_revision = "controller-revision-hash";

/// The component label of each kind's workloads (generators/*.cpp k_component).
const char* component_of(Kind kind) {
  switch (kind) {
    case Kind::storage_controller:
      return "storage-controller";
    case Kind::safekeepers:
      return "safekeeper";
    case Kind::pageservers:
      return "pageserver";
    case Kind::computes:
      return "compute";
  }
  return "";
}

std::string label_of(const std::map<std::string, std::string>& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

struct Builder {
  const Cluster& cluster;
  const Options& options;
  Plan plan;
  std::set<std::uint64_t> seen_nodes;

  const storcon::Node* pageserver_of(const std::string& pod) const {
    for (const auto& n : cluster.nodes) {
      if (pod_of_address(n.http_addr) == pod) {
        return &n;
      }
    }
    return nullptr;
  }

  const storcon::Safekeeper* safekeeper_of(const std::string& pod) const {
    for (const auto& s : cluster.safekeepers) {
      if (pod_of_address(s.host) == pod) {
        return &s;
      }
    }
    return nullptr;
  }

  std::size_t count(const std::map<std::uint64_t, std::size_t>& m, std::uint64_t id) const {
    auto it = m.find(id);
    return it == m.end() ? 0 : it->second;
  }

  /// Where pageserver pod `pod` stands. False: nothing to do for it.
  bool pageserver_phase(Step& step, const kube::Pod& pod, const storcon::Node* n) {
    const bool old = step.from_revision != step.to_revision;
    const std::string who =
        fmt::format("pageserver {} (pod {})", step.node ? std::to_string(*step.node) : "?", pod.name);
    if (pod.terminating) {
      step.phase = Phase::wait_ready;
      step.under_way = true;
      return true;
    }
    if (n == nullptr) {  // not registered: it holds no shard, a plain restart (or a wait) will do
      step.phase = old ? Phase::restart : Phase::wait_ready;
      step.under_way = !old;
      return old || !pod.ready;
    }
    if (old) {
      if (n->scheduling == "Active") {
        const bool alone = cluster.nodes.size() <= 1;
        if (alone && !options.allow_interruption) {
          plan.problems.push_back(
              fmt::format("{} is the only pageserver: its tenants have nowhere to move while it restarts; run with "
                          "--allow-interruption to restart it anyway (its computes wait until it is back)",
                          who));
          return false;
        }
        if (n->availability != "Active") {
          plan.problems.push_back(fmt::format(
              "{} is {}: a drain needs it available (storage_controller/src/service.rs:8337-8341); find out why "
              "(`kubectl describe pod {}`), then run again",
              who, n->availability, pod.name));
          return false;
        }
        step.interrupts = alone;
        step.phase = alone ? Phase::restart : Phase::drain;
        return true;
      }
      if (n->scheduling == "Draining") {
        step.phase = Phase::wait_drain;
        step.under_way = true;
        return true;
      }
      if (n->scheduling == "PauseForRestart") {
        step.phase = Phase::restart;
        step.under_way = true;
        return true;
      }
      if (n->scheduling == "Deleting") {
        plan.up_to_date.push_back(fmt::format("{} is being deleted: not restarted", who));
        return false;
      }
      plan.problems.push_back(
          n->scheduling == "Pause"
              ? fmt::format("{} is paused (scheduling Pause, set by hand): make it Active first (`node pageserver "
                            "configure {} --scheduling Active`), or restart the others with --node",
                            who, n->id)
              : fmt::format("{} is {} on the old revision: wait for that to end (or cancel it), then run again", who,
                            n->scheduling));
      return false;
    }
    step.under_way = true;
    if (!pod.ready || n->availability != "Active" || n->scheduling == "PauseForRestart" ||
        n->scheduling == "Draining") {
      step.phase = Phase::wait_ready;
      return true;
    }
    if (n->scheduling == "Filling") {
      step.phase = Phase::wait_fill;
      return true;
    }
    // Restarted after a drain: it kept the secondaries the drain left and holds no attached shard.
    if (n->scheduling == "Active" && cluster.nodes.size() > 1 && count(cluster.attached, n->id) == 0 &&
        count(cluster.secondary, n->id) > 0) {
      step.phase = Phase::fill;
      return true;
    }
    return false;
  }

  bool safekeeper_phase(Step& step, const kube::Pod& pod, const storcon::Safekeeper* sk) {
    if (sk != nullptr && sk->scheduling_policy == "Decomissioned") {
      plan.up_to_date.push_back(
          fmt::format("safekeeper {} (pod {}) is Decomissioned: not restarted", sk->id, pod.name));
      return false;
    }
    if (pod.terminating || (step.from_revision == step.to_revision && !pod.ready)) {
      step.phase = Phase::wait_ready;
      step.under_way = true;
      return true;
    }
    step.phase = Phase::restart;
    return step.from_revision != step.to_revision;
  }

  void statefulsets(Kind kind) {
    std::vector<Step> steps;
    std::size_t pods = 0;
    for (const auto& set : cluster.sets) {
      if (label_of(set.labels, k_component) != component_of(kind) || set.update_revision.empty()) {
        continue;
      }
      for (const auto& pod : cluster.pods) {
        if (pod.label(k_name) != set.name) {
          continue;
        }
        ++pods;
        Step step;
        step.kind = kind;
        step.name = pod.name;
        step.workload = set.name;
        step.from_revision = pod.label(k_revision);
        step.to_revision = set.update_revision;
        bool restart_needed = false;
        if (kind == Kind::pageservers) {
          const auto* n = pageserver_of(pod.name);
          step.node = n != nullptr ? std::optional<std::uint64_t>(n->id) : std::nullopt;
          if (options.node && step.node != options.node) {
            continue;
          }
          restart_needed = pageserver_phase(step, pod, n);
        } else {
          const auto* sk = safekeeper_of(pod.name);
          step.node = sk != nullptr ? std::optional<std::uint64_t>(sk->id) : std::nullopt;
          if (options.node && step.node != options.node) {
            continue;
          }
          restart_needed = safekeeper_phase(step, pod, sk);
        }
        if (step.node) {
          seen_nodes.insert(*step.node);
        }
        if (restart_needed) {
          steps.push_back(std::move(step));
        }
      }
    }
    // One at a time: a node an earlier run left part way goes first, then by node id.
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      return std::make_pair(!a.under_way, a.node.value_or(0)) < std::make_pair(!b.under_way, b.node.value_or(0));
    });
    if (steps.empty() && !options.node) {
      plan.up_to_date.push_back(pods == 0 ? fmt::format("{}: no pods found", kind_name(kind))
                                          : fmt::format("{}: {} pod{}, all on their StatefulSet's current revision",
                                                        kind_name(kind), pods, pods == 1 ? "" : "s"));
    }
    for (auto& s : steps) {
      plan.steps.push_back(std::move(s));
    }
  }

  void deployments(Kind kind) {
    std::size_t total = 0;
    std::size_t rolling = 0;
    for (const auto& d : cluster.deployments) {
      if (label_of(d.labels, k_component) != component_of(kind)) {
        continue;
      }
      ++total;
      if (!d.rolled_out()) {
        ++rolling;
        Step step;
        step.kind = kind;
        step.name = d.name;
        step.workload = d.name;
        step.phase = Phase::wait_rollout;
        plan.steps.push_back(std::move(step));
      }
    }
    if (rolling == 0) {
      plan.up_to_date.push_back(
          total == 0 ? fmt::format("{}: no Deployments found", kind_name(kind))
                     : fmt::format("{}: {} Deployment{} rolled out", kind_name(kind), total, total == 1 ? "" : "s"));
    }
  }
};

std::string remaining(const Step& s) {
  switch (s.kind) {
    case Kind::storage_controller:
      return "wait for its own rollout (the Deployment restarts it), then for /ready";
    case Kind::computes:
      return "wait for its own rollout (the Deployment restarts it; the hook sends the new compute its spec)";
    case Kind::safekeepers:
      return s.phase == Phase::restart ? "check quorum, delete the pod, wait until Ready" : "wait until Ready";
    case Kind::pageservers:
      break;
  }
  std::vector<std::string> left;
  if (s.phase == Phase::drain || s.phase == Phase::wait_drain) {
    left.emplace_back("drain");
  }
  if (s.phase <= Phase::restart) {
    left.emplace_back("delete the pod");
  }
  if (s.phase <= Phase::wait_ready) {
    left.emplace_back("wait until Ready and Active");
  }
  if (!s.interrupts) {
    left.emplace_back("fill");
  }
  return fmt::format("{}", fmt::join(left, ", "));
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::storage_controller:
      return "storage-controller";
    case Kind::safekeepers:
      return "safekeepers";
    case Kind::pageservers:
      return "pageservers";
    case Kind::computes:
      return "computes";
  }
  return "";
}

std::optional<std::vector<Kind>> kinds_of(const std::string& target) {
  const std::vector<Kind> all = {Kind::storage_controller, Kind::safekeepers, Kind::pageservers, Kind::computes};
  if (target == "all") {
    return all;
  }
  for (const auto k : all) {
    if (target == kind_name(k)) {
      return std::vector<Kind>{k};
    }
  }
  return std::nullopt;
}

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::wait_rollout:
      return "rolling out";
    case Phase::drain:
      return "drain";
    case Phase::wait_drain:
      return "draining";
    case Phase::restart:
      return "restart";
    case Phase::wait_ready:
      return "restarting";
    case Phase::fill:
      return "fill";
    case Phase::wait_fill:
      return "filling";
  }
  return "";
}

std::string pod_of_address(const std::string& host) { return host.substr(0, host.find('.')); }

Plan make_plan(const Cluster& cluster, const Options& options) {
  Builder b{cluster, options, {}, {}};
  for (const auto kind : options.kinds) {
    if (kind == Kind::pageservers || kind == Kind::safekeepers) {
      b.statefulsets(kind);
    } else if (!options.node) {
      b.deployments(kind);
    }
  }
  if (options.node && b.seen_nodes.count(*options.node) == 0) {
    b.plan.problems.push_back(
        fmt::format("no {} pod is node {} (the storage controller knows each node's pod by its address)",
                    options.kinds.size() == 1 ? std::string(kind_name(options.kinds.front()))
                                              : std::string("pageserver or safekeeper"),
                    *options.node));
  }
  if (options.node && b.plan.steps.empty() && b.plan.problems.empty()) {
    b.plan.up_to_date.push_back(fmt::format("node {}: on its StatefulSet's current revision", *options.node));
  }
  if (!options.resume) {
    for (const auto& s : b.plan.steps) {
      if (s.under_way) {
        b.plan.problems.push_back(fmt::format(
            "{} {} (pod {}) is {}: a rollout (or a drain) is under way; run again with --resume to continue it",
            s.kind == Kind::pageservers ? "pageserver" : "safekeeper",
            s.node ? std::to_string(*s.node) : std::string("?"), s.name, phase_name(s.phase)));
      }
    }
  }
  return std::move(b.plan);
}

std::string plan_text(const Plan& plan) {
  std::string out;
  if (!plan.steps.empty()) {
    out += "rollout plan:\n";
  }
  int i = 0;
  for (const auto& s : plan.steps) {
    std::string what;
    if (s.kind == Kind::pageservers || s.kind == Kind::safekeepers) {
      what = fmt::format("{} {} (pod {}, {} -> {})", s.kind == Kind::pageservers ? "pageserver" : "safekeeper",
                         s.node ? std::to_string(*s.node) : std::string("unregistered"), s.name,
                         s.from_revision.empty() ? "?" : s.from_revision, s.to_revision);
    } else {
      what = fmt::format("{}: Deployment {}", kind_name(s.kind), s.name);
    }
    out += fmt::format("  {}. {}: {}{}{}\n", ++i, what, s.under_way ? fmt::format("{}; ", phase_name(s.phase)) : "",
                       remaining(s), s.interrupts ? " (the only pageserver: its tenants wait while it restarts)" : "");
  }
  for (const auto& line : plan.up_to_date) {
    out += fmt::format("up to date: {}\n", line);
  }
  return out;
}

nlohmann::json plan_json(const Plan& plan) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : plan.steps) {
    steps.push_back({{"kind", kind_name(s.kind)},
                     {"name", s.name},
                     {"workload", s.workload},
                     {"node", s.node ? nlohmann::json(*s.node) : nlohmann::json()},
                     {"from_revision", s.from_revision},
                     {"to_revision", s.to_revision},
                     {"phase", phase_name(s.phase)},
                     {"under_way", s.under_way},
                     {"interrupts", s.interrupts},
                     {"remaining", remaining(s)}});
  }
  return {{"steps", steps}, {"up_to_date", plan.up_to_date}, {"problems", plan.problems}};
}

std::optional<std::string> quorum_problem(std::uint64_t id,
                                          const std::map<std::string, std::vector<std::uint64_t>>& sets,
                                          const std::map<std::uint64_t, bool>& up) {
  for (const auto& [what, members] : sets) {
    if (std::find(members.begin(), members.end(), id) == members.end()) {
      continue;
    }
    const std::size_t quorum = members.size() / 2 + 1;
    std::vector<std::uint64_t> down;
    std::size_t others_up = 0;
    for (const auto m : members) {
      if (m == id) {
        continue;
      }
      auto it = up.find(m);
      if (it != up.end() && it->second) {
        ++others_up;
      } else {
        down.push_back(m);
      }
    }
    if (others_up < quorum) {
      return fmt::format(
          "restarting safekeeper {} now would leave {} with {} of its {} safekeepers ({}) up, below its quorum of "
          "{}{}",
          id, what, others_up, members.size(), fmt::join(members, ","), quorum,
          down.empty() ? std::string() : fmt::format(": safekeeper {} not Ready", fmt::join(down, ", ")));
    }
  }
  return std::nullopt;
}

}  // namespace neon::cli::rollout
