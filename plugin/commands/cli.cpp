#include "plugin/commands/cli.hpp"

#include <algorithm>
#include <cctype>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/diagnostics.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/help_examples.hpp"

namespace neon::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> k_commands = {
      {"init", "Write a commented starter cluster spec", cmd_init, init_options},
      {"validate", "Check a cluster spec and report every problem", cmd_validate, validate_options},
      {"schema", "Print the JSON Schema of the cluster spec", cmd_schema, schema_options},
      {"render", "Print the whole cluster as one YAML stream", cmd_render, render_options},
      {"generate", "Write the kustomize tree and commit it", cmd_generate, generate_options},
      {"diff", "Show what a change to the spec does to the rendered cluster", cmd_diff, diff_options},
      {"project", "Create or delete a project (tenant) in the spec", nullptr, nullptr, project_verbs},
      {"branch", "Create or delete a branch (timeline) in the spec", nullptr, nullptr, branch_verbs},
      {"status", "Show pageservers, safekeepers and tenants from the storage controller", cmd_status, status_options},
      {"attach", "Attach a tenant, or move its shards to a pageserver", cmd_attach, attach_options},
      {"detach", "Detach a tenant from every pageserver", cmd_detach, detach_options},
      {"drain", "Move every shard off a pageserver", cmd_drain, drain_options},
      {"fill", "Move shards back onto a pageserver", cmd_fill, fill_options},
      {"sync", "Make the storage controller follow the spec's projects and branches", cmd_sync, sync_options},
      {"rollout", "Restart out-of-date pods safely: drain, restart, fill, one node at a time", cmd_rollout,
       rollout_options},
      {"logs", "Print a component's logs, merged from its pods, filtered by tenant or timeline", cmd_logs,
       logs_options},
      {"report", "Write a support bundle (controller state, workloads, events, metrics, logs)", cmd_report,
       report_options},
      {"node", "Delete or configure a pageserver, pause or decommission a safekeeper", nullptr, nullptr, node_verbs},
      {"secrets", "Generate the keys and tokens auth needs", nullptr, nullptr, secrets_verbs},
      {"connection-string", "Print a branch's connection URI for one of its roles", cmd_connection_string,
       connection_string_options},
      {"psql", "Run psql in a branch's compute pod", cmd_psql, psql_options},
      {"suspend", "Scale a suspendable compute to zero now", cmd_suspend, suspend_options},
      {"resume", "Start a suspended compute again", cmd_resume, resume_options},
      {"hook", "Run the compute hook service", nullptr, nullptr, hook_verbs},
      {"bootstrap", "In-cluster setup steps (used by the generated manifests)", nullptr, nullptr, bootstrap_verbs},
      {"completion", "Print a shell completion script (bash or zsh)", cmd_completion, completion_options},
      {"version", "Print the version", cmd_version, version_options},
      {"__complete", "Shell completion protocol", cmd_complete, nullptr, nullptr, true},
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

constexpr const char* k_global_flags =
    "Global flags (accepted by every command):\n"
    "      --kubeconfig PATH   kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)\n"
    "      --context NAME      kubeconfig context\n"
    "  -n, --namespace NAME    namespace (default: the context's, then the spec's)\n"
    "      --no-color          no colour (NO_COLOR is honoured too)\n";

constexpr std::size_t k_help_width = 100;
constexpr const char* k_positional_collector = "args";

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
  fmt::print(ctx.out, "\n{}\nUse \"{} <command> --help\" for more about a command.\n", k_global_flags, ctx.prog);
}

std::string placeholder_for(const std::string& long_name, const cxxopts::HelpOptionDetails& o) {
  if (o.has_implicit) {
    return "";
  }
  if (o.arg_help != "arg" && !o.arg_help.empty()) {
    return o.arg_help;
  }
  static const std::vector<std::pair<std::string, std::string>> k_known = {
      {"storage-controller", "URL"},   {"timeout", "DURATION"}, {"deadline", "DURATION"}, {"interval", "DURATION"},
      {"request-timeout", "DURATION"}, {"output", "FORMAT"},    {"listen", "ADDRESS"},    {"repo", "DIR"},
      {"private-key-out", "FILE"},     {"secondaries", "N"},
  };
  for (const auto& [name, ph] : k_known) {
    if (name == long_name) {
      return ph;
    }
  }
  const auto dash = long_name.find_last_of('-');
  std::string ph = dash == std::string::npos ? long_name : long_name.substr(dash + 1);
  std::transform(ph.begin(), ph.end(), ph.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return ph;
}

}  // namespace

std::vector<Flag> flags_of(const OptionSet& opts) {
  std::vector<Flag> out;
  const OptionSet* set = &opts;
  for (const auto& g : opts.groups()) {
    for (const auto& o : opts.group_help(g).options) {
      const std::string long_name = o.l.empty() ? "" : o.l.front();
      if (long_name == k_positional_collector) {
        continue;
      }
      std::string desc = o.desc;
      const bool shows_default = desc.find("default:") != std::string::npos;
      if (o.has_default && !o.is_boolean && !o.default_value.empty() && !shows_default) {
        desc += fmt::format(" (default: {})", o.default_value);
      }
      std::string placeholder = placeholder_for(long_name, o);
      // A file or folder flag says so, whatever its name: completion offers paths for it.
      if (!placeholder.empty() && set != nullptr && set->kind(long_name) == ValueKind::file) {
        placeholder = "FILE";
      } else if (!placeholder.empty() && set != nullptr && set->kind(long_name) == ValueKind::dir) {
        placeholder = "DIR";
      }
      out.push_back({o.s, long_name, placeholder, desc, g});
    }
  }
  // -h/--help is added first by make_options but reads best last among the command's own flags
  // (the unnamed group, which cxxopts lists first).
  const auto own_end = std::find_if(out.begin(), out.end(), [](const Flag& f) { return !f.group.empty(); });
  std::stable_partition(out.begin(), own_end, [](const Flag& f) { return f.long_name != "help"; });
  return out;
}

namespace {

/// Appends `text` wrapped to `width` columns, continuation lines indented by `indent`.
void append_wrapped(std::string& out, const std::string& text, std::size_t indent, std::size_t width) {
  std::size_t col = indent;
  std::size_t i = 0;
  bool first = true;
  while (i < text.size()) {
    const auto space = text.find(' ', i);
    const std::string word = text.substr(i, space == std::string::npos ? std::string::npos : space - i);
    i = space == std::string::npos ? text.size() : space + 1;
    if (word.empty()) {
      continue;
    }
    if (!first && col + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
    } else if (!first) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    first = false;
  }
}

std::string command_help(const OptionSet& opts, const std::string& prog) {
  const std::string generated = opts.help({""});
  const auto usage = generated.find("\nUsage:\n");
  std::string out;
  const std::string summary = generated.substr(0, usage);
  for (std::size_t start = 0; start <= summary.size();) {
    const auto nl = summary.find('\n', start);
    const std::string line = summary.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (line.size() <= k_help_width) {
      out += line;  // as written, indentation included
    } else {
      append_wrapped(out, line, 0, k_help_width);
    }
    if (nl == std::string::npos) {
      break;
    }
    out += '\n';
    start = nl + 1;
  }
  const auto usage_end = generated.find('\n', usage + 9);
  out += "\n\n" + generated.substr(usage + 1, usage_end - usage - 1) + "\n";

  const auto flags = flags_of(opts);
  std::vector<std::string> lefts;
  std::size_t left_width = 0;
  for (const auto& f : flags) {
    std::string left = f.short_name.empty() ? "      " : fmt::format("  -{}, ", f.short_name);
    left += "--" + f.long_name;
    if (!f.placeholder.empty()) {
      left += " " + f.placeholder;
    }
    left_width = std::max(left_width, left.size());
    lefts.push_back(std::move(left));
  }
  std::string current_group = "\x01";
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (flags[i].group != current_group) {
      current_group = flags[i].group;
      out += fmt::format("\n{}:\n", current_group.empty() ? "Flags" : current_group + " flags");
    }
    out += fmt::format("{:<{}}   ", lefts[i], left_width);
    append_wrapped(out, flags[i].description, left_width + 3, k_help_width);
    out += "\n";
  }
  out += std::string("\n") + k_global_flags;
  const std::string command = opts.program().size() > prog.size() ? opts.program().substr(prog.size() + 1) : "";
  if (const std::string* examples = help_examples(command)) {
    std::string text = *examples;
    for (auto at = text.find("{prog}"); at != std::string::npos; at = text.find("{prog}", at + prog.size())) {
      text.replace(at, 6, prog);
    }
    out += "\nExamples:\n" + text;
  }
  return out;
}

/// Checks every flag in `args` against the command's own, before cxxopts sees them, so that the
/// errors read like kubectl's and suggest the nearest flag.
std::optional<std::string> check_flags(const std::vector<Flag>& flags, const std::vector<std::string>& args) {
  std::vector<std::string> long_names;
  for (const auto& f : flags) {
    long_names.push_back("--" + f.long_name);
  }
  auto find = [&](auto pred) -> const Flag* {
    const auto it = std::find_if(flags.begin(), flags.end(), pred);
    return it == flags.end() ? nullptr : &*it;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      break;
    }
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const Flag* f = find([&](const Flag& x) { return x.long_name == name; });
      if (f == nullptr) {
        const std::string shown = "--" + name;
        return fmt::format("unknown flag: {}{}", shown, gen::suggestion_suffix(shown, long_names));
      }
      if (!f->placeholder.empty() && eq == std::string::npos) {
        if (i + 1 >= args.size()) {
          return fmt::format("flag needs an argument: --{}", name);
        }
        ++i;
      }
      continue;
    }
    if (a.size() < 2 || a[0] != '-') {
      continue;
    }
    for (std::size_t k = 1; k < a.size(); ++k) {
      const std::string c(1, a[k]);
      const Flag* f = find([&](const Flag& x) { return x.short_name == c; });
      if (f == nullptr) {
        const bool printable = std::isalnum(static_cast<unsigned char>(a[k])) != 0;
        return printable ? fmt::format("unknown shorthand flag: '{}' in {}", c, a)
                         : fmt::format("unknown shorthand flag in \"{}\"", a.substr(0, 1 + k));
      }
      if (!f->placeholder.empty()) {
        if (k + 1 == a.size()) {
          if (i + 1 >= args.size()) {
            return fmt::format("flag needs an argument: '{}' in {}", c, a);
          }
          ++i;
        }
        break;
      }
    }
  }
  return std::nullopt;
}

/// cxxopts' own messages quote with typographic quotes; keep the wording, use plain ones.
std::string plain_message(std::string message) {
  for (const char* q : {"\xe2\x80\x98", "\xe2\x80\x99"}) {
    for (auto pos = message.find(q); pos != std::string::npos; pos = message.find(q)) {
      message.replace(pos, 3, "\"");
    }
  }
  if (!message.empty()) {
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  }
  return message;
}

}  // namespace

int group_help(Context& ctx, const std::string& group, const VerbGroup& verbs, bool requested) {
  std::ostream& os = requested ? ctx.out : ctx.err;
  std::string names;
  std::size_t width = 0;
  for (const auto& v : verbs.verbs) {
    names += (names.empty() ? "" : "|") + std::string(v.name);
    width = std::max(width, std::string(v.name).size());
  }
  fmt::print(os, "{}\n\nUsage:\n  {} {} {} [flags]\n\nAvailable Commands:\n", verbs.summary, ctx.prog, group, names);
  for (const auto& v : verbs.verbs) {
    fmt::print(os, "  {:<{}}  {}\n", v.name, width, v.summary);
  }
  fmt::print(os, "\n{}\nUse \"{} {} <command> --help\" for more about a command.\n", k_global_flags, ctx.prog, group);
  return requested ? k_exit_ok : k_exit_usage;
}

int run_group(Context& ctx, const std::string& group, const VerbGroup& verbs, const std::vector<std::string>& args) {
  if (args.empty() || args.front() == "-h" || args.front() == "--help") {
    return group_help(ctx, group, verbs, !args.empty());
  }
  std::vector<std::string> names;
  for (const auto& v : verbs.verbs) {
    if (args.front() == v.name) {
      return v.run(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
    }
    names.emplace_back(v.name);
  }
  const std::string hint = gen::suggestion_suffix(args.front(), names);
  return usage_error(ctx, group,
                     fmt::format("unknown subcommand \"{}\"{}", args.front(),
                                 hint.empty() ? fmt::format(" (expected: {})", fmt::join(names, ", ")) : hint));
}

OptionSet make_options(const Context& ctx, const std::string& name, const std::string& summary,
                       const std::string& positional_help) {
  OptionSet opts(name, ctx.prog + " " + name, summary);
  opts.custom_help("[flags]");
  opts.positional_help(positional_help);
  opts.add_options()("h,help", "Show help for this command");
  opts.add_options()(k_positional_collector, "", cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({k_positional_collector});
  return opts;
}

std::vector<std::string> positionals(const cxxopts::ParseResult& r) {
  return r.count(k_positional_collector) ? r[k_positional_collector].as<std::vector<std::string>>()
                                         : std::vector<std::string>{};
}

std::optional<cxxopts::ParseResult> parse(Context& ctx, OptionSet& opts, const std::vector<std::string>& args,
                                          int& exit) {
  const std::string name = opts.program().substr(ctx.prog.size() + 1);
  if (auto err = check_flags(flags_of(opts), args)) {
    exit = usage_error(ctx, name, *err);
    return std::nullopt;
  }
  std::vector<const char*> argv;
  argv.push_back(opts.program().c_str());
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  try {
    auto result = opts.parse(static_cast<int>(argv.size()), argv.data());
    if (result.count("help")) {
      fmt::print(ctx.out, "{}", command_help(opts, ctx.prog));
      exit = k_exit_ok;
      return std::nullopt;
    }
    return result;
  } catch (const cxxopts::exceptions::exception& e) {
    exit = usage_error(ctx, name, plain_message(e.what()));
    return std::nullopt;
  }
}

std::optional<cxxopts::ParseResult> parse_no_operands(Context& ctx, OptionSet& opts,
                                                      const std::vector<std::string>& args, int& exit) {
  auto r = parse(ctx, opts, args, exit);
  if (r && !positionals(*r).empty()) {
    exit = usage_error(ctx, opts.program().substr(ctx.prog.size() + 1),
                       fmt::format("unexpected argument \"{}\"", positionals(*r).front()));
    return std::nullopt;
  }
  return r;
}

std::optional<cxxopts::ParseResult> parse_one_operand(Context& ctx, OptionSet& opts,
                                                      const std::vector<std::string>& args, const std::string& operand,
                                                      int& exit) {
  auto r = parse(ctx, opts, args, exit);
  if (r && positionals(*r).size() != 1) {
    exit = usage_error(ctx, opts.program().substr(ctx.prog.size() + 1), "expected exactly one " + operand);
    return std::nullopt;
  }
  return r;
}

int usage_error(Context& ctx, const std::string& command, const std::string& message) {
  fmt::print(ctx.err, "error: {}\nSee '{}{}{} --help' for usage.\n", message, ctx.prog, command.empty() ? "" : " ",
             command);
  return k_exit_usage;
}

int run(Context& ctx, std::vector<std::string> args) {
  if (!args.empty() && args.front() == "__complete") {
    // The words being completed, global flags included, exactly as the shell has them.
    return cmd_complete(ctx, std::vector<std::string>(args.begin() + 1, args.end()));
  }
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
      const std::vector<std::string> rest(args.begin() + 1, args.end());
      return c.group != nullptr ? run_group(ctx, c.name, c.group(), rest) : c.run(ctx, rest);
    }
  }
  return usage_error(ctx, "",
                     fmt::format("unknown command \"{}\"{}", name, gen::suggestion_suffix(name, visible_names())));
}

}  // namespace neon::cli
