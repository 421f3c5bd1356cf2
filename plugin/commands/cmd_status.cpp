// kubectl neon status: pageservers, safekeepers and tenants as the storage controller sees them,
// with a one-line health summary; problems and notes go to standard error (under the summary on a
// --watch screen). Exit 0 healthy, 1 degraded or a token the controller refuses, 2 usage, 3 the
// state cannot be read.
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/emit.hpp"
#include "generators/gitops.hpp"
#include "generators/names.hpp"
#include "generators/proxy.hpp"
#include "plugin/clients/cluster_prereqs.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/proxy_checks.hpp"
#include "plugin/commands/storcon_status.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace {

/// Pod readiness is extra information: an unreachable cluster must not hold the command up.
constexpr std::chrono::milliseconds k_kube_timeout{2000};
constexpr const char* k_component_label = "app.kubernetes.io/component";

using storcon::Json;

using status::Components;
using status::Health;
using status::Snapshot;

/// Every request with the short timeout, whatever the client asks for.
class ShortTimeout final : public http::Transport {
public:
  explicit ShortTimeout(http::Transport& inner) : m_inner(inner) {}
  http::Outcome send(const http::Request& request) override {
    http::Request copy = request;
    copy.timeout = k_kube_timeout;
    return m_inner.send(copy);
  }

private:
  http::Transport& m_inner;
};

/// What the GitOps sync needs that the tree cannot bring: Flux's Git Secret, and the ServiceMonitor
/// CRD (a problem with monitoring on; without a spec only a note). Unreadable answers are left out.
void check_prerequisites(kube::Client& client, const gen::ValidSpec* spec, Components& c) {
  const std::string git_secret = spec != nullptr ? gen::flux_git_secret(*spec) : std::string();
  if (!git_secret.empty()) {
    const std::string flux_ns = (*spec)->gitops.flux_namespace;
    auto got = client.get_secret(flux_ns, git_secret);
    if (got && !*got) {
      c.missing.push_back(
          fmt::format("Flux's Git Secret {}/{} is missing: Flux cannot fetch the repository; create "
                      "it with secrets init --git-ssh-key (SSH) or --git-token-file (HTTPS)",
                      flux_ns, git_secret));
    } else if (got) {
      c.checked.push_back(fmt::format("Flux's Git Secret {}/{} exists", flux_ns, git_secret));
    }
  }
  const bool monitoring = spec == nullptr || (*spec)->monitoring;
  if (!monitoring) {
    return;
  }
  auto crd = prereq::exists(
      client, std::string("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/") + prereq::k_servicemonitor_crd);
  if (!crd || !*crd) {
    return;
  }
  if (**crd) {
    c.checked.push_back(fmt::format("CRD {} exists (monitoring can sync)", prereq::k_servicemonitor_crd));
  } else if (spec != nullptr) {
    c.missing.push_back(
        fmt::format("CRD {} is missing: the monitoring stage cannot sync; install the Prometheus "
                    "Operator's CRDs or turn spec.monitoring off",
                    prereq::k_servicemonitor_crd));
  } else {
    c.checked.push_back(
        fmt::format("CRD {} is not installed (needed only with spec.monitoring on)", prereq::k_servicemonitor_crd));
  }
}

/// Pods of the OnDelete StatefulSets (pageservers, safekeepers) whose controller-revision-hash is
/// not their StatefulSet's updateRevision: a new template is in the cluster and they wait for a
/// restart.
std::vector<std::string> outdated_pods(kube::Client& client, const std::string& ns, const std::vector<kube::Pod>& pods,
                                       const std::string& prog) {
  auto sets = client.list_statefulsets(ns, "app.kubernetes.io/part-of=neon");
  if (!sets) {
    return {"StatefulSet revisions not read: " + sets.error().message};
  }
  std::vector<std::string> out;
  for (const auto& set : *sets) {
    if (set.update_strategy != "OnDelete" || set.update_revision.empty()) {
      continue;
    }
    for (const auto& pod : pods) {
      auto owner = pod.labels.find("app.kubernetes.io/name");
      auto revision = pod.labels.find("controller-revision-hash");
      auto component = pod.labels.find(k_component_label);
      if (owner != pod.labels.end() && owner->second == set.name && revision != pod.labels.end() &&
          revision->second != set.update_revision) {
        out.push_back(
            fmt::format("pod {} runs revision {}, StatefulSet {} is at {}: `{} rollout {}` restarts it safely",
                        pod.name, revision->second, set.name, set.update_revision, prog,
                        component == pod.labels.end() ? std::string("all") : component->second + "s"));
      }
    }
  }
  return out;
}

/// Whether the cluster runs spec.sync: the spec says so when given (Git is the truth); without one,
/// whether the namespace has the spec-sync CronJob. nullopt when neither can tell.
std::optional<bool> sync_configured(kube::Client& client, const std::string& ns, const gen::ValidSpec* spec) {
  if (spec != nullptr) {
    return (*spec)->sync.enabled;
  }
  auto jobs = client.list(fmt::format("/apis/batch/v1/namespaces/{}/cronjobs", ns),
                          fmt::format("{}={}", k_component_label, gen::names::k_sync), "CronJobList");
  if (!jobs) {
    return std::nullopt;
  }
  return !jobs->empty();
}

Components read_components(const Context& ctx, const std::string& spec_namespace, const gen::ValidSpec* spec) {
  Components c;
  auto api = kube::resolve_api_server(ctx, spec_namespace);
  if (!api) {
    c.note = "pod readiness skipped: " + api.error().message;
    return c;
  }
  c.namespace_ = api->namespace_;
  http::CurlTransport curl(api->tls);
  ShortTimeout transport(curl);
  kube::Client client(*api, transport);
  auto pods = client.list_pods(api->namespace_, "app.kubernetes.io/part-of=neon");
  if (!pods) {
    c.note = "pod readiness skipped: " + pods.error().message;
    return c;
  }
  c.sync = status::last_sync_run(*pods, sync_configured(client, api->namespace_, spec));
  for (const auto& pod : *pods) {
    // A Job's pod that has ended (spec.sync's runs) is no replica that should be ready.
    if (pod.phase == "Succeeded" || pod.phase == "Failed") {
      continue;
    }
    auto label = pod.labels.find(k_component_label);
    auto& entry = c.pods[label == pod.labels.end() ? std::string("-") : label->second];
    ++entry.total;
    entry.ready += pod.ready ? 1 : 0;
  }
  c.outdated = outdated_pods(client, api->namespace_, *pods, ctx.prog);
  check_prerequisites(client, spec, c);
  if (auto computes = client.list_deployments(api->namespace_, "app.kubernetes.io/component=compute")) {
    c.asleep = proxy::asleep(*computes);
    if (spec != nullptr) {
      c.waking = proxy::waking(*computes, gen::suspendable_computes(spec->spec()));
    }
  }
  if (spec != nullptr && (*spec)->proxy.enabled) {
    auto secret = client.get_secret(api->namespace_, (*spec)->proxy.certificate_secret());
    if (secret) {
      if (auto problem = proxy::certificate_problem((*spec)->proxy, *secret)) {
        c.missing.push_back(*problem);
      }
    }
  }
  return c;
}

/// Rows of the terminal on standard output, when it is one.
std::optional<std::size_t> terminal_height() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
    return static_cast<std::size_t>(ws.ws_row);
  }
  return std::nullopt;
}

std::string local_time() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  return std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm) > 0 ? std::string(buf) : std::string();
}

storcon::Expected<Snapshot> fetch(storcon::Client& client) {
  Snapshot s;
  auto nodes = client.list_nodes();
  if (!nodes) {
    return nodes.error();
  }
  s.nodes = std::move(*nodes);
  auto sks = client.list_safekeepers();
  if (!sks) {
    return sks.error();
  }
  s.safekeepers = std::move(*sks);
  auto tenants = client.list_tenants();
  if (!tenants) {
    return tenants.error();
  }
  s.tenants = std::move(*tenants);
  return s;
}

}  // namespace

OptionSet status_options(const Context& ctx) {
  auto opts = make_options(ctx, "status",
                           "Show pageservers, safekeepers and tenants as the storage controller sees them.\n"
                           "Exit status: 0 healthy, 1 degraded (or the token was refused), 2 usage error, 3 the "
                           "controller could not be reached or read.");
  add_output(opts, {"table", "wide", "json", "yaml"}, "table", "table, wide, json or yaml");
  opts.add_options()("w,watch",
                     "Redraw every --interval until interrupted: time and summary first, tenants cut to the screen")(
      "interval", "Refresh interval with --watch", cxxopts::value<std::string>()->default_value("2s"));
  add_spec_flag(opts, SpecFlag::optional, ", to name tenants and check what the GitOps sync needs");
  add_controller_options(opts);
  return opts;
}

int cmd_status(Context& ctx, const Args& args) {
  auto opts = status_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto format = output_of(ctx, opts, *r, exit);
  if (!format) {
    return exit;
  }
  const std::string output = *format;
  const auto interval = parse_duration((*r)["interval"].as<std::string>());
  if (!interval || interval->count() <= 0) {
    return usage_error(ctx, "status", "invalid --interval");
  }
  std::map<std::string, std::string> names;
  std::string spec_namespace;
  std::optional<gen::ValidSpec> spec;
  const std::string file = (*r)["file"].as<std::string>();
  if (spec_available(file)) {
    spec = load_valid_spec(ctx, file);
    if (!spec) {
      return k_exit_failure;
    }
    spec_namespace = (*spec)->namespace_;
    for (const auto& p : (*spec)->projects) {
      names[p.tenant_id] = p.name;
    }
  }
  auto target = controller_from_flags(ctx, "status", *r, spec_namespace, Kubeconfig::allowed, exit);
  if (!target) {
    return exit;
  }
  Controller controller(*target);
  const bool watch = r->count("watch") != 0;
  for (;;) {
    if (ctx.err_is_tty && !watch) {
      fmt::print(ctx.err, "reading state from {}...\r", controller.described);
    }
    auto snap = fetch(controller.client);
    if (ctx.err_is_tty && !watch) {
      fmt::print(ctx.err, "\033[2K\r");
    }
    int code = k_exit_ok;
    if (!snap) {
      if (watch && ctx.out_is_tty) {
        ctx.out << "\033[H\033[2J" << fmt::format("{}: ", local_time()) << std::flush;
      }
      // 401/403: the state was read as far as the controller lets us, and the token is at fault.
      fail(ctx, snap.error().message);
      if (snap.error().auth()) {
        fmt::print(ctx.err, "hint: {}\n", token_hint(snap.error(), controller.has_token));
      }
      code = snap.error().auth() ? k_exit_failure : k_exit_unreachable;
    } else {
      const Components components = read_components(ctx, spec_namespace, spec ? &*spec : nullptr);
      const Health health = status::assess(*snap, components, names);
      const bool text = output == "table" || output == "wide";
      if (watch && text) {
        // The screen: time and summary first, the notes under it, the tenant list cut to fit.
        if (ctx.out_is_tty) {
          ctx.out << "\033[H\033[2J";
        }
        const status::WatchHeader header{local_time(), controller.described, (*r)["interval"].as<std::string>()};
        ctx.out << status::watch_screen(header, *snap, health, components, names, output == "wide",
                                        ctx.out_is_tty ? terminal_height() : std::nullopt);
      } else {
        if (watch && ctx.out_is_tty) {
          ctx.out << "\033[H\033[2J";
        }
        if (output == "json") {
          status::write_json(ctx.out, *snap, health, components, names);
        } else if (output == "yaml") {
          std::ostringstream doc;
          status::write_json(doc, *snap, health, components, names);
          ctx.out << gen::to_yaml(gen::Json::parse(doc.str()));
        } else {
          status::print_tables(ctx.out, *snap, components, names, output == "wide");
          ctx.out << '\n' << status::summary_line(*snap, health) << '\n';
        }
        ctx.out.flush();
        // Data on standard output, notes (problems, skipped pod readiness) on standard error.
        for (const auto& line : status::notes(health, components)) {
          if (text || line.rfind("note: ", 0) == 0) {
            fmt::print(ctx.err, "{}\n", line);
          }
        }
      }
      ctx.out.flush();
      code = health.healthy() ? k_exit_ok : k_exit_failure;
    }
    if (!watch) {
      return code;
    }
    std::this_thread::sleep_for(*interval);
  }
}

}  // namespace neon::cli
