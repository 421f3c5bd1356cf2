// kubectl neon report: a support bundle, as `kubectl cnpg report` writes one. It holds the storage
// controller's view (nodes, safekeepers, tenants and the debug routes neon-api.md §2.8 lists:
// scheduler, consistency check, tombstones; a 401, 403 or 404 there is recorded, not fatal), the
// namespace's pods, events, StatefulSets, Deployments and Secrets (values redacted unless
// --no-redact), the hook's /metrics through the API server's service proxy, the spec with the
// kubectl-neon.sum its rendered tree gives, and with --logs every component's logs. Every file
// is scrubbed of the credentials the command used and of anything shaped like a JWT before it is
// written (report_bundle.hpp); a summary goes to standard error. Exit status: 0 written (parts
// that could not be read are listed), 1 failure (nothing written), 2 usage, 3 neither the API
// server nor the storage controller could be reached.
#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/names.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/git.hpp"
#include "plugin/adapters/process.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/pod_logs.hpp"
#include "plugin/commands/report_bundle.hpp"
#include "plugin/gitops/generate_run.hpp"
#include "plugin/gitops/spec_input.hpp"

#ifndef NEON_VERSION
#define NEON_VERSION "v0.0.0-dev"
#endif

namespace neon::cli {

namespace {

using report::Bundle;
using report::Redactor;

/// One pod's log in the bundle stops here (the first bytes of the --since window are kept).
constexpr std::size_t k_max_log_bytes = std::size_t{32} << 20;
constexpr std::size_t k_parallel_logs = 4;
constexpr int k_tenant_page = 1000;

bool unreachable(const Error& e) { return e.kind == ErrorKind::unreachable || e.kind == ErrorKind::timeout; }

/// The time in UTC: 20260102-030405 (`compact`, for a file name) or 2026-01-02T03:04:05Z.
std::string utc_now(bool compact) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  const std::size_t n = compact ? std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm)
                                : std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string size_text(std::size_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  if (bytes < std::size_t{1} << 20) {
    return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  }
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

/// What the collectors share: the bundle, the scrubber and whether each side answered at all.
struct Collect {
  Bundle& bundle;
  Redactor redactor;
  bool redact = true;
  int reached = 0;  ///< parts read from the cluster or the controller
  std::optional<std::string> failure;

  void add(const std::string& rel, const std::string& bytes, const std::string& note = "") {
    if (failure) {
      return;
    }
    if (auto w = bundle.add(rel, redactor.scrub(bytes), note); !w) {
      failure = w.error().message;
    }
  }
};

std::string count_note(const nlohmann::json& items, const char* one, const char* many) {
  const std::size_t n = items.is_array() ? items.size() : 0;
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

void collect_controller(Collect& c, Controller& controller) {
  const auto get = [&](const std::string& method, const std::string& path) {
    return controller.client.call_text(
        method, path, std::nullopt, method == "GET" ? storcon::Client::Retry::idempotent : storcon::Client::Retry::once,
        {401, 403, 404});
  };
  struct Part {
    const char* file;
    const char* method;
    const char* path;
    const char* one;
    const char* many;
  };
  const std::vector<Part> parts = {
      {"controller/nodes.json", "GET", "/control/v1/node", "pageserver", "pageservers"},
      {"controller/safekeepers.json", "GET", "/control/v1/safekeeper", "safekeeper", "safekeepers"},
      {"controller/scheduler.json", "GET", "/debug/v1/scheduler", "", ""},
      {"controller/consistency-check.json", "POST", "/debug/v1/consistency_check", "", ""},
      {"controller/tombstones.json", "GET", "/debug/v1/tombstone", "tombstone", "tombstones"},
  };
  std::optional<std::string> down;
  for (const auto& p : parts) {
    if (down) {
      c.bundle.note_missing(p.file, *down);
      continue;
    }
    auto reply = get(p.method, p.path);
    if (!reply) {
      if (reply.error().unreachable()) {
        down = "the storage controller could not be reached: " + reply.error().message;
      }
      c.bundle.note_missing(p.file, down ? *down : reply.error().message);
      continue;
    }
    ++c.reached;
    if (reply->status != 200) {
      const bool auth = reply->status == 401 || reply->status == 403;
      c.bundle.note_missing(
          p.file, fmt::format("{} {} answered {}{}", p.method, p.path, storcon::status_text(reply->status),
                              auth ? " (the admin token: --token-file or $NEON_STORAGE_CONTROLLER_TOKEN)" : ""));
      continue;
    }
    const auto doc = nlohmann::json::parse(reply->body, nullptr, false);
    c.add(p.file, doc.is_discarded() ? reply->body : doc.dump(2) + "\n",
          *p.one != 0 ? count_note(doc, p.one, p.many) : "");
  }
  if (down) {
    c.bundle.note_missing("controller/tenants.json", *down);
    return;
  }
  // Every tenant, a page at a time (start_after: the last tenant id of the page before).
  nlohmann::json tenants = nlohmann::json::array();
  std::string after;
  for (;;) {
    std::string path = fmt::format("/control/v1/tenant?limit={}", k_tenant_page);
    if (!after.empty()) {
      path += "&start_after=" + http::url_encode(after);
    }
    auto reply = get("GET", path);
    const auto page =
        reply && reply->status == 200 ? nlohmann::json::parse(reply->body, nullptr, false) : nlohmann::json();
    if (!page.is_array()) {
      c.bundle.note_missing("controller/tenants.json",
                            !reply ? reply.error().message
                                   : fmt::format("GET {} answered {}", path, storcon::status_text(reply->status)));
      return;
    }
    for (const auto& t : page) {
      tenants.push_back(t);
    }
    if (page.size() < static_cast<std::size_t>(k_tenant_page) || !page.back().is_object()) {
      break;
    }
    after = page.back().value("tenant_id", "");
    if (after.empty()) {
      break;
    }
  }
  c.add("controller/tenants.json", tenants.dump(2) + "\n", count_note(tenants, "tenant", "tenants"));
}

/// The namespace's Secrets first: with redaction on, their values are removed from every file after.
void collect_kubernetes(Collect& c, kube::Client& client, const std::string& ns, bool& down) {
  struct Part {
    const char* file;
    std::string path;
    const char* kind;
    const char* one;
    const char* many;
  };
  const std::vector<Part> parts = {
      {"kubernetes/secrets.json", fmt::format("/api/v1/namespaces/{}/secrets", ns), "SecretList", "Secret", "Secrets"},
      {"kubernetes/pods.json", fmt::format("/api/v1/namespaces/{}/pods", ns), "PodList", "pod", "pods"},
      {"kubernetes/events.json", fmt::format("/api/v1/namespaces/{}/events", ns), "EventList", "event", "events"},
      {"kubernetes/statefulsets.json", fmt::format("/apis/apps/v1/namespaces/{}/statefulsets", ns), "StatefulSetList",
       "StatefulSet", "StatefulSets"},
      {"kubernetes/deployments.json", fmt::format("/apis/apps/v1/namespaces/{}/deployments", ns), "DeploymentList",
       "Deployment", "Deployments"},
  };
  for (const auto& p : parts) {
    if (down) {
      c.bundle.note_missing(p.file, "the API server could not be reached");
      continue;
    }
    auto items = client.list(p.path, "", p.kind);
    if (!items) {
      down = unreachable(items.error());
      c.bundle.note_missing(p.file, items.error().message);
      continue;
    }
    ++c.reached;
    std::string note = count_note(*items, p.one, p.many);
    if (std::string(p.kind) == "SecretList") {
      for (const auto& s : *items) {
        const nlohmann::json data = s.value("data", nlohmann::json::object());
        for (const auto& [key, value] : data.items()) {
          auto raw = value.is_string() ? base64_decode(value.get<std::string>()) : Result<std::string>(Error{""});
          if (raw && c.redact) {
            c.redactor.secret(*raw);
          }
        }
      }
      if (c.redact) {
        *items = report::redact_secrets(*items);
        note += ", values redacted";
      } else {
        note += ", values NOT redacted (--no-redact)";
        // Only what the user asked for: the values as the API server holds them, unscrubbed.
        if (auto w = c.bundle.add(p.file, items->dump(2) + "\n", note); !w) {
          c.failure = w.error().message;
        }
        continue;
      }
    }
    c.add(p.file, items->dump(2) + "\n", note);
  }
  if (down) {
    c.bundle.note_missing("hook/metrics.txt", "the API server could not be reached");
    return;
  }
  // The hook serves /metrics on its plain port whether or not TLS is on (generators/compute_hook.cpp).
  const std::string metrics = fmt::format("/api/v1/namespaces/{}/services/http:{}:{}/proxy/metrics", ns,
                                          gen::names::k_hook, gen::names::k_hook_port);
  auto reply = client.call("GET", metrics);
  if (reply && reply->status == 200) {
    c.add("hook/metrics.txt", reply->body);
  } else {
    c.bundle.note_missing("hook/metrics.txt",
                          reply ? kube::api_error("GET", metrics, *reply).message : reply.error().message);
  }
}

void collect_logs(Collect& c, const kube::ApiServer& api, kube::Client& client, long long since_seconds) {
  auto pods = client.list_pods(api.namespace_, logs::k_part_of);
  if (!pods) {
    c.bundle.note_missing("logs/", pods.error().message);
    return;
  }
  std::vector<logs::Source> sources;
  for (const auto& pod : *pods) {
    for (const auto& comp : logs::components()) {
      if (pod.label(logs::k_component_label) == comp.label) {
        sources.push_back({pod.name, comp.container});
      }
    }
  }
  std::sort(sources.begin(), sources.end(), [](const auto& a, const auto& b) { return a.pod < b.pod; });
  std::vector<std::string> text(sources.size());
  std::vector<std::size_t> lines(sources.size());
  kube::LogOptions options;
  options.since_seconds = since_seconds;
  const auto errors = logs::stream_logs(api, sources, options, k_parallel_logs, [&](std::size_t i, std::string_view l) {
    text[i].append(l).push_back('\n');
    ++lines[i];
    return text[i].size() < k_max_log_bytes;
  });
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const std::string file = fmt::format("logs/{}.log", sources[i].pod);
    if (errors[i]) {
      c.bundle.note_missing(file, errors[i]->message);
      continue;
    }
    const bool cut = text[i].size() >= k_max_log_bytes;
    c.add(file, text[i], fmt::format("{} line{}{}", lines[i], lines[i] == 1 ? "" : "s", cut ? ", cut at 32 MiB" : ""));
  }
}

void collect_spec(Collect& c, const std::string& text, const gen::ValidSpec& spec) {
  c.add("spec/neon.yaml", text);
  git::Library lib;
  const std::string sums = rendered_sums(spec, text);
  c.add("spec/kubectl-neon.sum", sums, "what generate writes for this spec: compare with the repository's");
  c.add("spec/digest.txt", git::blob_id(sums) + "\n", "the Git blob id of that kubectl-neon.sum");
}

std::string summary_text(const Bundle& bundle, const std::string& header, bool redact) {
  std::string out = header;
  std::size_t width = 0;
  for (const auto& e : bundle.entries()) {
    width = std::max(width, e.path.size());
  }
  for (const auto& e : bundle.entries()) {
    std::string line = fmt::format("  {:<{}}  {:>9}  {}", e.path, width, size_text(e.bytes), e.note);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  if (!bundle.missing().empty()) {
    out += "Not in the bundle:\n";
    for (const auto& [path, why] : bundle.missing()) {
      out += fmt::format("  {}: {}\n", path, why);
    }
  }
  out += redact ? "Secret values are redacted, in every file; tokens and JWTs are removed.\n"
                : "Secret values are NOT redacted (--no-redact); tokens the command used are removed.\n";
  return out;
}

}  // namespace

OptionSet report_options(const Context& ctx) {
  auto opts = make_options(
      ctx, "report",
      "Write a support bundle: the storage controller's nodes, safekeepers, tenants and debug views, the namespace's "
      "pods, events, StatefulSets, Deployments and Secrets (values redacted), the hook's metrics, the spec with its "
      "rendered tree's digest, and with --logs every component's logs. A summary goes to standard error. Exit status: "
      "0 written, 1 failure (nothing written), 2 usage error, 3 neither the cluster nor the controller could be "
      "reached.");
  opts.add_options()("o,output-file",
                     "FILE.tar.gz (written with the system tar), or a folder DIR/ (default: "
                     "neon-report-<UTC time>.tar.gz)",
                     cxxopts::value<std::string>()->default_value(""))("logs", "Add every component's logs")(
      "since", "With --logs: how far back the logs go", cxxopts::value<std::string>()->default_value("1h"), "DURATION")(
      "no-redact", "Keep the Secrets' values in the bundle");
  opts.files({"output-file"});
  add_spec_flag(opts, SpecFlag::optional, ", put in the bundle with the kubectl-neon.sum of its rendered tree");
  add_controller_options(opts);
  return opts;
}

int cmd_report(Context& ctx, const Args& args) {
  auto opts = report_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  std::string where = (*r)["output-file"].as<std::string>();
  if (where.empty()) {
    where = fmt::format("neon-report-{}.tar.gz", utc_now(true));
  }
  auto parsed = report::parse_output(where);
  if (const auto* problem = std::get_if<std::string>(&parsed)) {
    return usage_error(ctx, "report", *problem);
  }
  const auto out = std::get<report::Output>(parsed);
  const bool with_logs = r->count("logs") != 0;
  if (r->count("since") != 0 && !with_logs) {
    return usage_error(ctx, "report", "--since limits the logs: use it with --logs");
  }
  const auto since = parse_duration((*r)["since"].as<std::string>());
  if (!since || since->count() <= 0) {
    return usage_error(ctx, "report",
                       fmt::format("invalid --since \"{}\" (use e.g. 30m, 1h, 24h)", (*r)["since"].as<std::string>()));
  }
  if (auto bad = check_controller_flags(ctx, *r)) {
    return usage_error(ctx, "report", *bad);
  }
  if (auto blocked = report::check_output(out)) {
    return fail(ctx, *blocked);
  }
  std::string tar;
  if (out.kind == report::Output::Kind::tarball) {
    auto found = find_program("tar", ctx.getenv("PATH").value_or(""));
    if (!found) {
      return fail(ctx, fmt::format("no tar program on PATH to write {}: install tar, or write a folder with -o {}",
                                   out.shown, out.as_folder));
    }
    tar = *found;
  }
  const std::string file = (*r)["file"].as<std::string>();
  std::optional<SpecText> spec_text;
  std::optional<gen::ValidSpec> spec;
  if (spec_available(file)) {
    spec_text = read_spec_text(ctx, file);
    if (!spec_text) {
      return k_exit_failure;
    }
    gen::LoadResult loaded = gen::load_spec(spec_text->text, spec_text->name);
    if (!loaded.spec) {
      print_diagnostics(ctx, loaded.diagnostics);
      return k_exit_failure;
    }
    spec = std::move(loaded.spec);
  }
  const std::string spec_namespace = spec ? (*spec)->namespace_ : std::string();
  auto api = kube::resolve_api_server(ctx, spec_namespace);
  auto target = resolve_controller(ctx, *r, spec_namespace, Kubeconfig::allowed);
  if (!api && !target) {
    fail(ctx, "neither the Kubernetes API nor the storage controller can be found: " + api.error().message);
    return k_exit_unreachable;
  }

  auto bundle = Bundle::open(out, tar);
  if (!bundle) {
    return fail(ctx, bundle.error().message);
  }
  Collect c{*bundle, Redactor(), r->count("no-redact") == 0, 0, std::nullopt};
  std::string header = fmt::format("kubectl-neon {} report, {}\n", NEON_VERSION, utc_now(false));
  if (api) {
    for (const auto& [name, value] : api->headers) {
      if (name == "Authorization" && value.rfind("Bearer ", 0) == 0) {
        c.redactor.credential(value.substr(7));
      }
    }
    header += fmt::format("namespace {} (context {})\n", api->namespace_, api->context);
  } else {
    bundle->note_missing("kubernetes/", "no usable kubeconfig: " + api.error().message);
  }
  if (target) {
    c.redactor.credential(target->options.token);
    target->options.max_attempts = 2;
    header += fmt::format("storage controller: {}\n", target->described);
  } else {
    bundle->note_missing("controller/", target.error().message);
  }
  header += "\n";

  bool kube_down = !api;
  std::optional<http::CurlTransport> transport;
  std::optional<kube::Client> client;
  if (api) {
    transport.emplace(api->tls);
    client.emplace(*api, *transport);
    collect_kubernetes(c, *client, api->namespace_, kube_down);
  }
  if (target) {
    Controller controller(*target);
    collect_controller(c, controller);
  }
  if (spec) {
    collect_spec(c, spec_text->text, *spec);
  }
  if (with_logs && api && !kube_down) {
    collect_logs(c, *api, *client, (since->count() + 999) / 1000);
  }
  if (c.failure) {
    return fail(ctx, "the bundle could not be written: " + *c.failure);
  }
  if (c.reached == 0) {
    for (const auto& [path, why] : bundle->missing()) {
      fmt::print(ctx.err, "  {}: {}\n", path, why);
    }
    fail(ctx, "neither the Kubernetes API nor the storage controller answered; no bundle written");
    return k_exit_unreachable;
  }
  const std::string summary = summary_text(*bundle, header, c.redact);
  if (auto w = bundle->add("summary.txt", summary); !w) {
    return fail(ctx, "the bundle could not be written: " + w.error().message);
  }
  auto size = bundle->finish(ctx);
  if (!size) {
    return fail(ctx, "the bundle could not be written: " + size.error().message);
  }
  ctx.err << summary;
  fmt::print(ctx.err, "wrote {} ({} files, {})\n", (out.parent / out.name).string(), bundle->entries().size(),
             size_text(*size));
  return k_exit_ok;
}

}  // namespace neon::cli
