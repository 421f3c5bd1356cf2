// One rollout step at a time. A pageserver: drain (PUT .../drain, wait for PauseForRestart with no
// attached shard), delete the pod, wait until the new pod is Ready on the new revision and its node
// Active again (the re-attach does that, service.rs:2503-2520), fill (PUT .../fill, wait for
// Active). A safekeeper: check that every timeline it serves keeps a quorum without it, delete the
// pod, wait until the new one is Ready and the controller still lists it. A Deployment: wait for its
// own rollout (kubectl's rollout status rule), and for the storage controller's /ready.
#include "plugin/commands/rollout_run.hpp"

#include <functional>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "plugin/commands/node_progress.hpp"

namespace neon::cli::rollout {

namespace {

using Clock = std::chrono::steady_clock;

/// Non-TTY progress lines come when the state changes, and at least this often.
constexpr std::chrono::seconds k_progress_every{30};

/// What one poll saw.
struct Seen {
  enum Status { waiting, done, failed } status = waiting;
  std::string state;  ///< "pod Running, not Ready; node Offline, PauseForRestart"
  int exit = 0;       ///< with failed: the exit code (the reason is printed)
};

std::string who_of(const Step& s) {
  return fmt::format("{} {} (pod {})", s.kind == Kind::pageservers ? "pageserver" : "safekeeper",
                     s.node ? std::to_string(*s.node) : std::string("unregistered"), s.name);
}

class StepRun {
public:
  StepRun(Runner& r, const Step& s, std::string label) : m_r(r), m_s(s), m_label(std::move(label)) {}

  int pageserver();
  int safekeeper();
  int deployment();

private:
  /// Polls until done, failed or --timeout; progress on standard error.
  int wait(const std::string& what, const std::function<Seen()>& poll);
  int kube_failure(const Error& e);
  int controller_failed(const storcon::CallError& e) { return controller_failure(m_r.ctx, m_r.controller, e); }
  int stopped(const std::string& message);
  /// Deletes the step's pod, remembering its uid so the replacement can be told apart.
  int delete_pod();
  /// The new pod is Ready on the new revision.
  Seen pod_state();
  Seen node_state(std::uint64_t id, bool want_active);

  Runner& m_r;
  const Step& m_s;
  std::string m_label;
  std::string m_old_uid;
};

int StepRun::kube_failure(const Error& e) { return rollout::kube_failure(m_r.ctx, e); }

int StepRun::stopped(const std::string& message) {
  fmt::print(m_r.ctx.err, "error: {}: {}\nhint: the rollout stopped here; once that is dealt with, `{}` continues it\n",
             m_label, message, m_r.resume);
  return k_exit_failure;
}

int StepRun::wait(const std::string& what, const std::function<Seen()>& poll) {
  auto& ctx = m_r.ctx;
  const auto start = Clock::now();
  std::chrono::milliseconds delay{50};
  std::string shown;
  auto last_line = start;
  const auto clear = [&] {
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "\033[2K\r");
    }
  };
  for (;;) {
    const Seen seen = poll();
    if (seen.status != Seen::waiting) {
      clear();
      return seen.status == Seen::done ? k_exit_ok : seen.exit;
    }
    const std::string line =
        fmt::format("{}: {}: {}, {} elapsed", m_label, what, seen.state, elapsed_text(Clock::now() - start));
    if (Clock::now() - start >= m_r.timeout) {
      clear();
      return stopped(fmt::format("timed out after {} waiting {} ({})", m_r.timeout_text, what, seen.state));
    }
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "\033[2K\r{}", line);
    } else if (seen.state != shown || Clock::now() - last_line >= k_progress_every) {
      fmt::print(ctx.err, "{}\n", line);
      last_line = Clock::now();
    }
    ctx.err.flush();
    shown = seen.state;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, m_r.interval);
  }
}

int StepRun::delete_pod() {
  auto pods = m_r.kube.list_pods(m_r.ns, "app.kubernetes.io/name=" + m_s.workload);
  if (!pods) {
    return kube_failure(pods.error());
  }
  for (const auto& p : *pods) {
    if (p.name == m_s.name) {
      m_old_uid = p.uid;
    }
  }
  auto deleted = m_r.kube.delete_pod(m_r.ns, m_s.name);
  if (!deleted) {
    return kube_failure(deleted.error());
  }
  fmt::print(m_r.ctx.err, "{}: pod deleted; its StatefulSet creates it again at {}\n", m_label, m_s.to_revision);
  return k_exit_ok;
}

Seen StepRun::pod_state() {
  auto pods = m_r.kube.list_pods(m_r.ns, "app.kubernetes.io/name=" + m_s.workload);
  if (!pods) {
    return {Seen::failed, "", kube_failure(pods.error())};
  }
  for (const auto& p : *pods) {
    if (p.name != m_s.name) {
      continue;
    }
    if (p.terminating || (!m_old_uid.empty() && p.uid == m_old_uid)) {
      return {Seen::waiting, "pod terminating"};
    }
    const std::string revision = p.label("controller-revision-hash");
    if (revision != m_s.to_revision) {
      return {Seen::waiting, fmt::format("pod at revision {}, not {}", revision, m_s.to_revision)};
    }
    if (!p.ready) {
      return {Seen::waiting, fmt::format("pod {}, not Ready", p.phase.empty() ? "Pending" : p.phase)};
    }
    return {Seen::done, "pod Ready"};
  }
  return {Seen::waiting, "pod not created yet"};
}

Seen StepRun::node_state(std::uint64_t id, bool want_active) {
  auto n = m_r.controller.client.get_node(id);
  if (!n) {
    return {Seen::failed, "", controller_failed(n.error())};
  }
  const std::string state = fmt::format("node {}, {}", n->availability, n->scheduling);
  const bool active = n->availability == "Active" && n->scheduling == "Active";
  return {active || !want_active ? Seen::done : Seen::waiting, state};
}

int StepRun::pageserver() {
  auto& client = m_r.controller.client;
  Phase phase = m_s.phase;
  const std::optional<std::uint64_t> id = m_s.node;
  if (id && phase == Phase::drain) {
    auto started = client.start_drain(*id);
    if (!started && started.error().http_status != 409) {  // 409: a drain already runs
      return controller_failed(started.error());
    }
    phase = Phase::wait_drain;
  }
  if (id && phase == Phase::wait_drain) {
    std::string ended;
    const int code = wait("draining", [&]() -> Seen {
      auto read = read_progress(client, *id);
      if (!read) {
        return {Seen::failed, "", controller_failed(read.error())};
      }
      const auto& p = read->second;
      ended = p.scheduling;
      const bool over = p.scheduling != "Draining" && (!p.moving || p.attached == 0);
      return {over ? Seen::done : Seen::waiting,
              fmt::format("{}, {} attached shard{} left", p.scheduling, p.attached, p.attached == 1 ? "" : "s")};
    });
    if (code != k_exit_ok) {
      return code;
    }
    if (ended != "PauseForRestart") {
      return stopped(fmt::format("the drain ended with scheduling {} (cancelled or failed)", ended));
    }
    phase = Phase::restart;
  }
  if (phase == Phase::restart) {
    if (id && !m_s.interrupts && !m_r.allow_interruption) {
      auto read = read_progress(client, *id);
      if (!read) {
        return controller_failed(read.error());
      }
      if (read->second.attached > 0) {
        // service.rs:9648-9686: shards without a usable secondary stay; the drain still ends.
        return stopped(fmt::format(
            "the drain left {} shard{} attached ({}): without a secondary they have nowhere to move, and "
            "restarting now interrupts them. Give them a secondary (`{} attach TENANT --secondaries 1`), make the node "
            "Active "
            "(`{} node pageserver configure {} --scheduling Active`) and run again, or accept the interruption "
            "with --allow-interruption",
            read->second.attached, read->second.attached == 1 ? "" : "s", first_ids_text(read->second.left),
            m_r.ctx.prog, m_r.ctx.prog, *id));
      }
    }
    if (const int code = delete_pod(); code != k_exit_ok) {
      return code;
    }
    phase = Phase::wait_ready;
  }
  if (phase == Phase::wait_ready) {
    const int code = wait("until Ready and Active", [&]() -> Seen {
      Seen pod = pod_state();
      if (pod.status != Seen::done || !id) {
        return pod;
      }
      Seen node = node_state(*id, true);
      node.state = pod.state + "; " + node.state;
      return node;
    });
    if (code != k_exit_ok) {
      return code;
    }
    phase = Phase::fill;
  }
  if (id && phase == Phase::fill && !m_s.interrupts) {
    auto started = client.start_fill(*id);
    if (!started && started.error().http_status != 409) {
      return controller_failed(started.error());
    }
    phase = Phase::wait_fill;
  }
  if (id && phase == Phase::wait_fill) {
    const int code = wait("filling", [&]() -> Seen {
      auto read = read_progress(client, *id);
      if (!read) {
        return {Seen::failed, "", controller_failed(read.error())};
      }
      const auto& p = read->second;
      return {p.scheduling == "Filling" ? Seen::waiting : Seen::done,
              fmt::format("{}, {} attached shard{}", p.scheduling, p.attached, p.attached == 1 ? "" : "s")};
    });
    if (code != k_exit_ok) {
      return code;
    }
  }
  return k_exit_ok;
}

int StepRun::safekeeper() {
  if (m_s.phase == Phase::restart) {
    if (m_s.node) {
      auto sets = m_r.safekeeper_sets();
      if (!sets) {
        return controller_failed(sets.error());
      }
      auto sks = m_r.controller.client.list_safekeepers();
      if (!sks) {
        return controller_failed(sks.error());
      }
      auto pods = m_r.kube.list_pods(m_r.ns, "app.kubernetes.io/component=safekeeper");
      if (!pods) {
        return kube_failure(pods.error());
      }
      std::map<std::uint64_t, bool> up;
      for (const auto& sk : *sks) {
        for (const auto& p : *pods) {
          if (p.name == pod_of_address(sk.host)) {
            up[sk.id] = p.ready && !p.terminating;
          }
        }
      }
      if (auto problem = quorum_problem(*m_s.node, *sets, up)) {
        return stopped(*problem + "; wait until the others are Ready");
      }
    }
    if (const int code = delete_pod(); code != k_exit_ok) {
      return code;
    }
  }
  return wait("until Ready", [&]() -> Seen {
    Seen pod = pod_state();
    if (pod.status != Seen::done || !m_s.node) {
      return pod;
    }
    auto sk = m_r.controller.client.get_safekeeper(*m_s.node);
    if (!sk) {
      return {Seen::failed, "", controller_failed(sk.error())};
    }
    if (!*sk) {
      return {Seen::failed, "", stopped("the storage controller no longer lists this safekeeper")};
    }
    return {Seen::done, pod.state + "; scheduling policy " + (*sk)->scheduling_policy};
  });
}

int StepRun::deployment() {
  const int code = wait("for the Deployment's rollout", [&]() -> Seen {
    auto ds = m_r.kube.list_deployments(m_r.ns, "app.kubernetes.io/name=" + m_s.name);
    if (!ds) {
      return {Seen::failed, "", kube_failure(ds.error())};
    }
    if (ds->empty()) {
      return {Seen::failed, "", stopped("the Deployment is gone")};
    }
    const auto& d = ds->front();
    return {d.rolled_out() ? Seen::done : Seen::waiting,
            fmt::format(
                "{} of {} replicas updated, {} available{}", d.updated_replicas, d.replicas, d.available_replicas,
                d.status_replicas > d.updated_replicas ? fmt::format(", {} old", d.status_replicas - d.updated_replicas)
                                                       : std::string())};
  });
  if (code != k_exit_ok || m_s.kind != Kind::storage_controller) {
    return code;
  }
  // /ready answers 200 once this controller leads and finished startup (neon-api.md 2.1).
  return wait("for /ready", [&]() -> Seen {
    auto ready = m_r.controller.client.call_text("GET", "/ready", std::nullopt, storcon::Client::Retry::once, {503});
    if (!ready) {
      return ready.error().unreachable() ? Seen{Seen::waiting, "not answering"}
                                         : Seen{Seen::failed, "", controller_failed(ready.error())};
    }
    return {ready->status == 200 ? Seen::done : Seen::waiting, fmt::format("/ready answers {}", ready->status)};
  });
}

}  // namespace

int kube_failure(Context& ctx, const Error& e) {
  fmt::print(ctx.err, "error: {}\n", e.message);
  return e.kind == ErrorKind::unreachable || e.kind == ErrorKind::timeout ? k_exit_unreachable : k_exit_failure;
}

int Runner::run(const Step& step, std::size_t index, std::size_t total) {
  const std::string label = step.kind == Kind::pageservers || step.kind == Kind::safekeepers
                                ? who_of(step)
                                : fmt::format("Deployment {}", step.name);
  fmt::print(ctx.err, "[{}/{}] {}\n", index, total, label);
  const auto start = Clock::now();
  StepRun run(*this, step, label);
  const int code = step.kind == Kind::pageservers   ? run.pageserver()
                   : step.kind == Kind::safekeepers ? run.safekeeper()
                                                    : run.deployment();
  if (code == k_exit_ok) {
    fmt::print(ctx.out, "{}: {} in {}\n", label,
               step.kind == Kind::pageservers || step.kind == Kind::safekeepers
                   ? fmt::format("restarted at revision {}", step.to_revision)
                   : std::string("rolled out"),
               elapsed_text(Clock::now() - start));
  }
  return code;
}

storcon::Expected<std::map<std::string, std::vector<std::uint64_t>>> Runner::safekeeper_sets() {
  std::map<std::string, std::vector<std::uint64_t>> out;
  bool untracked = spec == nullptr;
  if (spec != nullptr) {
    for (const auto& p : spec->projects) {
      for (const auto& b : p.branches) {
        auto located = controller.client.timeline_safekeepers(p.tenant_id, b.timeline_id);
        if (!located) {
          return located.error();
        }
        if (*located) {
          out[fmt::format("timeline {}/{} ({})", p.name, b.name, b.timeline_id)] = **located;
        } else {
          untracked = true;
        }
      }
    }
  }
  if (untracked || out.empty()) {
    auto sks = controller.client.list_safekeepers();
    if (!sks) {
      return sks.error();
    }
    auto& every = out["every timeline (computes are given every safekeeper)"];
    for (const auto& sk : *sks) {
      if (sk.scheduling_policy != "Decomissioned") {
        every.push_back(sk.id);
      }
    }
  }
  return out;
}

}  // namespace neon::cli::rollout
