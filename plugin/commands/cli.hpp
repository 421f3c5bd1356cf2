#pragma once
// The command table: one list drives help, dispatch, did-you-mean and shell completion.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "plugin/adapters/context.hpp"

namespace neon::cli {

using RunFn = int (*)(Context&, const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;
  RunFn run;
  const char* words = "";  ///< sub-verbs and flags offered by shell completion, space separated
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
cxxopts::Options make_options(const Context& ctx, const std::string& name, const std::string& summary,
                              const std::string& positional_help = "");

/// Parses `args` with `opts`. On --help prints help and sets `exit` to 0; on a bad flag prints a
/// usage error and sets `exit` to 2. Returns nullopt in both cases.
std::optional<cxxopts::ParseResult> parse(Context& ctx, cxxopts::Options& opts, const std::vector<std::string>& args,
                                          int& exit);

/// parse(), then no positional argument allowed: `unexpected argument "X"` is a usage error.
std::optional<cxxopts::ParseResult> parse_no_operands(Context& ctx, cxxopts::Options& opts,
                                                      const std::vector<std::string>& args, int& exit);

/// parse(), then exactly one positional argument: `expected exactly one <operand>` otherwise.
std::optional<cxxopts::ParseResult> parse_one_operand(Context& ctx, cxxopts::Options& opts,
                                                      const std::vector<std::string>& args,
                                                      const std::string& operand, int& exit);

/// Prints `error: <message>` and a pointer to --help; returns 2.
int usage_error(Context& ctx, const std::string& command, const std::string& message);

/// One sub-verb of a command group (`project create`), for the group's help.
struct SubVerb {
  const char* name;
  const char* summary;
};

/// The help of a command group, as kubectl prints one: summary, usage and "Available Commands:".
/// Prints to stdout for --help and to stderr (returning the usage exit code) when no sub-verb was
/// given.
int group_help(Context& ctx, const std::string& group, const std::string& summary,
               const std::vector<SubVerb>& verbs, bool requested);

/// Positional arguments collected under the hidden option "args".
std::vector<std::string> positionals(const cxxopts::ParseResult& r);

}  // namespace neon::cli
