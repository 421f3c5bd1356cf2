#include "plugin/cli.hpp"

#include <algorithm>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/diagnostics.hpp"
#include "plugin/commands.hpp"

namespace neon::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> k_commands = {
      {"init", "Write a commented starter cluster spec", cmd_init, "--profile --file --name"},
      {"validate", "Check a cluster spec and report every problem", cmd_validate, "--file --quiet"},
      {"schema", "Print the JSON Schema of the cluster spec", cmd_schema},
      {"render", "Print the whole cluster as one YAML stream", cmd_render, "--file"},
      {"generate", "Write the kustomize tree and commit it", cmd_generate,
       "--file --repo --path --no-commit --branch --push --remote --author --message --force"},
      {"diff", "Show what a change to the spec does to the rendered cluster", cmd_diff,
       "--repo --base --head --output"},
      {"project", "Create or delete a project (tenant) in the spec", cmd_project, "create delete"},
      {"branch", "Create or delete a branch (timeline) in the spec", cmd_branch, "create delete"},
      {"status", "Show pageservers, safekeepers and tenants from the storage controller", cmd_status,
       "--output --watch --file --storage-controller --token-file --request-timeout"},
      {"attach", "Attach a tenant, or move its shards to a pageserver", cmd_attach,
       "--node --az --shard --secondaries --no-prewarm --wait --no-wait --timeout --dry-run --file"},
      {"detach", "Detach a tenant from every pageserver", cmd_detach, "--yes --file --dry-run"},
      {"drain", "Move every shard off a pageserver", cmd_drain, "--wait --cancel --timeout"},
      {"fill", "Move shards back onto a pageserver", cmd_fill, "--wait --cancel --timeout"},
      {"secrets", "Generate the keys and tokens auth needs", cmd_secrets, "init"},
      {"hook", "Run the compute hook service", cmd_hook, "serve"},
      {"bootstrap", "In-cluster setup steps (used by the generated manifests)", cmd_bootstrap,
       "pageserver safekeeper compute"},
      {"completion", "Print a shell completion script (bash or zsh)", cmd_completion, "bash zsh"},
      {"version", "Print the version", cmd_version, "--output"},
      {"__complete", "Shell completion protocol", cmd_complete, "", true},
  };
  return k_commands;
}

std::string program_name(const std::string& argv0) {
  const auto slash = argv0.find_last_of('/');
  const std::string base = slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
  if (base.rfind("kubectl-", 0) == 0) {
    std::string rest = base.substr(8);
    std::replace(rest.begin(), rest.end(), '_', '-');
    return "kubectl " + rest;
  }
  return base.empty() ? "kubectl-neon" : base;
}

std::optional<std::string> extract_global_flags(std::vector<std::string>& args, GlobalFlags& flags) {
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a == "--no-color") {
      flags.no_color = true;
      continue;
    }
    std::string* target = nullptr;
    std::string value;
    bool has_value = false;
    for (auto [name, field] : {std::pair<const char*, std::string*>{"--kubeconfig", &flags.kubeconfig},
                               {"--context", &flags.context},
                               {"--namespace", &flags.namespace_}}) {
      const std::string n(name);
      if (a == n) {
        target = field;
      } else if (a.rfind(n + "=", 0) == 0) {
        target = field;
        value = a.substr(n.size() + 1);
        has_value = true;
      }
    }
    if (a == "-n") {
      target = &flags.namespace_;
    } else if (a.size() > 2 && a.rfind("-n", 0) == 0 && a[2] != '-') {
      target = &flags.namespace_;
      value = a.substr(a[2] == '=' ? 3 : 2);
      has_value = true;
    }
    if (target == nullptr) {
      rest.push_back(a);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return fmt::format("flag {} needs a value", a);
      }
      value = args[++i];
    }
    if (value.empty()) {
      return fmt::format("flag {} needs a value", a);
    }
    *target = value;
  }
  args = std::move(rest);
  return std::nullopt;
}

namespace {

std::vector<std::string> visible_names() {
  std::vector<std::string> names;
  for (const auto& c : commands()) {
    if (!c.hidden) {
      names.push_back(c.name);
    }
  }
  return names;
}

void print_help(Context& ctx) {
  fmt::print(ctx.out,
             "{0}: run self-hosted Neon on Kubernetes the GitOps way.\n\n"
             "Usage:\n  {0} <command> [flags]\n\nCommands:\n",
             ctx.prog);
  for (const auto& c : commands()) {
    if (!c.hidden) {
      fmt::print(ctx.out, "  {:<12} {}\n", c.name, c.summary);
    }
  }
  fmt::print(ctx.out,
             "\nGlobal flags (accepted by every command):\n"
             "      --kubeconfig PATH   kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)\n"
             "      --context NAME      kubeconfig context\n"
             "  -n, --namespace NAME    namespace (default: the context's, then the spec's)\n"
             "      --no-color          no colour (NO_COLOR is honoured too)\n"
             "\nUse \"{} <command> --help\" for more about a command.\n",
             ctx.prog);
}

}  // namespace

cxxopts::Options make_options(const Context& ctx, const std::string& name, const std::string& summary,
                              const std::string& positional_help) {
  cxxopts::Options opts(ctx.prog + " " + name, summary);
  opts.custom_help("[flags]");
  opts.positional_help(positional_help);
  opts.add_options()("h,help", "Show help for this command");
  opts.add_options()("args", "", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"args"});
  return opts;
}

std::vector<std::string> positionals(const cxxopts::ParseResult& r) {
  return r.count("args") ? r["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::optional<cxxopts::ParseResult> parse(Context& ctx, cxxopts::Options& opts, const std::vector<std::string>& args,
                                          int& exit) {
  std::vector<const char*> argv;
  argv.push_back(opts.program().c_str());
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  try {
    auto result = opts.parse(static_cast<int>(argv.size()), argv.data());
    if (result.count("help")) {
      std::string help = opts.help({""});
      // The hidden positional collector has no description; drop its line.
      const auto pos = help.find("      --args");
      if (pos != std::string::npos) {
        const auto end = help.find('\n', pos);
        help.erase(pos, end == std::string::npos ? std::string::npos : end - pos + 1);
      }
      fmt::print(ctx.out, "{}\nGlobal flags: --kubeconfig, --context, -n/--namespace, --no-color\n", help);
      exit = k_exit_ok;
      return std::nullopt;
    }
    return result;
  } catch (const cxxopts::exceptions::exception& e) {
    const std::string name = opts.program().substr(ctx.prog.size() + 1);
    exit = usage_error(ctx, name, e.what());
    return std::nullopt;
  }
}

int usage_error(Context& ctx, const std::string& command, const std::string& message) {
  fmt::print(ctx.err, "error: {}\nSee '{}{}{} --help' for usage.\n", message, ctx.prog, command.empty() ? "" : " ",
             command);
  return k_exit_usage;
}

int fail(Context& ctx, const std::string& message) {
  fmt::print(ctx.err, "error: {}\n", message);
  return k_exit_failure;
}

int run(Context& ctx, std::vector<std::string> args) {
  if (auto err = extract_global_flags(args, ctx.globals)) {
    return usage_error(ctx, "", *err);
  }
  if (args.empty()) {
    print_help(ctx);
    return k_exit_usage;
  }
  const std::string name = args.front();
  if (name == "-h" || name == "--help" || name == "help") {
    if (name == "help" && args.size() > 1) {
      return run(ctx, {args[1], "--help"});
    }
    print_help(ctx);
    return k_exit_ok;
  }
  if (name == "--version") {
    return cmd_version(ctx, {});
  }
  for (const auto& c : commands()) {
    if (name == c.name) {
      return c.run(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
    }
  }
  return usage_error(ctx, "",
                     fmt::format("unknown command \"{}\"{}", name, gen::suggestion_suffix(name, visible_names())));
}

}  // namespace neon::cli
