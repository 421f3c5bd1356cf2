#pragma once
// The command table: one list drives help, dispatch, did-you-mean and shell completion.

#include <optional>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "plugin/adapters/context.hpp"
#include "plugin/commands/cli_options.hpp"

namespace neon::cli {

using RunFn = int (*)(Context&, const std::vector<std::string>& args);

/// One sub-verb of a command group (`project create`): its run function and its options, which
/// its help, its flag checks and shell completion all use.
struct SubVerb {
  const char* name;
  const char* summary;
  RunFn run;
  OptionsFn options;
};

/// The sub-verbs of a command group (project, branch, hook, bootstrap, secrets).
struct VerbGroup {
  const char* summary;  ///< the first line of the group's help
  std::vector<SubVerb> verbs;
};

using GroupFn = const VerbGroup& (*)();

struct Command {
  const char* name;
  const char* summary;
  RunFn run;                ///< a plain command; nullptr for a group
  OptionsFn options;        ///< a plain command's options (completion); nullptr for a group
  GroupFn group = nullptr;  ///< a command group's sub-verbs
  bool hidden = false;
};

/// Every command, in help order.
const std::vector<Command>& commands();

/// Runs `args` (argv without the program name). Returns the process exit code.
int run(Context& ctx, std::vector<std::string> args);

/// "kubectl neon" or "kubectl-neon", from argv[0].
std::string program_name(const std::string& argv0);

/// Removes kubectl's global flags (--kubeconfig, --context, -n/--namespace, --no-color) from
/// `args` into `flags`. Returns an error message for a flag without its value.
std::optional<std::string> extract_global_flags(std::vector<std::string>& args, GlobalFlags& flags);

/// Options for subcommand `name`, with -h/--help already added.
OptionSet make_options(const Context& ctx, const std::string& name, const std::string& summary,
                       const std::string& positional_help = "");

/// Parses `args` with `opts`. On --help prints help and sets `exit` to 0; on a bad flag prints a
/// usage error and sets `exit` to 2. Returns nullopt in both cases.
std::optional<cxxopts::ParseResult> parse(Context& ctx, OptionSet& opts, const std::vector<std::string>& args,
                                          int& exit);

/// parse(), then no positional argument allowed: `unexpected argument "X"` is a usage error.
std::optional<cxxopts::ParseResult> parse_no_operands(Context& ctx, OptionSet& opts,
                                                      const std::vector<std::string>& args, int& exit);

/// parse(), then exactly one positional argument: `expected exactly one <operand>` otherwise.
std::optional<cxxopts::ParseResult> parse_one_operand(Context& ctx, OptionSet& opts,
                                                      const std::vector<std::string>& args, const std::string& operand,
                                                      int& exit);

/// Prints `error: <message>` and a pointer to --help; returns 2.
int usage_error(Context& ctx, const std::string& command, const std::string& message);

/// The help of a command group, as kubectl prints one: summary, usage and "Available Commands:".
/// Prints to stdout for --help and to stderr (returning the usage exit code) when no sub-verb was
/// given.
int group_help(Context& ctx, const std::string& group, const VerbGroup& verbs, bool requested);

/// Runs a command group: its help, the sub-verb named first in `args`, or a usage error with a
/// did-you-mean for an unknown one.
int run_group(Context& ctx, const std::string& group, const VerbGroup& verbs, const std::vector<std::string>& args);

/// One flag of a command, as help, the unknown-flag check and completion see it.
struct Flag {
  std::string short_name;
  std::string long_name;
  std::string placeholder;  ///< empty for a switch
  std::string description;
  std::string group;
};

/// The flags of `opts` in help order (without the positional collector).
std::vector<Flag> flags_of(const OptionSet& opts);

/// Global flags every command accepts, as `--name` (they take a value except --no-color).
const std::vector<std::string>& global_flag_names();

/// Positional arguments collected under the hidden option "args".
std::vector<std::string> positionals(const cxxopts::ParseResult& r);

}  // namespace neon::cli
