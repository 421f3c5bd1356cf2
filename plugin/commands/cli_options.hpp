#pragma once
// The command line's conventions in one place. Every command builds its flags with these helpers
// in one function (`<name>_options`), which both the command and shell completion call, so help,
// the unknown-flag check, parsing and completion cannot disagree:
//   -o/--output   each command names the formats it accepts; one message for a bad one
//   -f/--file     the spec-input rule of plugin/gitops/spec_input.hpp, worded once
//   --wait        waiting is the default for attach, drain and fill; --no-wait returns at once
//   integers      parsed as integers, with a usage error (exit 2) for "abc" or a value out of range
//   file flags    marked, so completion offers files (or folders)
//   global flags  kubectl's --kubeconfig, --context, -n/--namespace, --no-color, taken out of argv
//                 before a command parses its own (extract_global_flags and global_flag_names, cli.hpp)

#include <optional>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "plugin/adapters/context.hpp"

namespace neon::cli {

/// How shell completion completes a flag's value.
enum class ValueKind { text, file, dir, choice };

/// A command's options: cxxopts' own, plus what completion and the checks below need.
class OptionSet : public cxxopts::Options {
public:
  /// `command` is the name after the program ("status", "project create").
  OptionSet(std::string command, std::string program, std::string summary);

  const std::string& command() const { return m_command; }

  /// Flags whose value is a file (or a folder): completion offers paths.
  void files(const std::vector<std::string>& long_names);
  void dirs(const std::vector<std::string>& long_names);
  /// A flag whose value is one of `choices`: completion offers exactly them.
  void choices(const std::string& long_name, std::vector<std::string> choices);

  ValueKind kind(const std::string& long_name) const;
  const std::vector<std::string>& choices_of(const std::string& long_name) const;

  /// Words completion offers for positional arguments ("bash zsh" for completion).
  void operands(std::vector<std::string> words) { m_operands = std::move(words); }
  const std::vector<std::string>& operands() const { return m_operands; }

private:
  struct Value {
    std::string name;
    ValueKind kind = ValueKind::text;
    std::vector<std::string> choices;
  };
  Value& value(const std::string& long_name);
  std::string m_command;
  std::vector<Value> m_values;
  std::vector<std::string> m_operands;
};

/// A function building one command's (or sub-verb's) options.
using OptionsFn = OptionSet (*)(const Context&);

// -o/--output --------------------------------------------------------------------------------------

/// Adds -o/--output FORMAT accepting exactly `formats`. An empty `default_format` means no -o
/// gives the command's plain output (version).
void add_output(OptionSet& opts, const std::vector<std::string>& formats, const std::string& default_format,
                const std::string& description);

/// The -o value, or nullopt after the usage error
/// `unknown output format "x" for status: use one of table, wide, json, yaml`.
std::optional<std::string> output_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r, int& exit);

/// A flag taking one of `choices` (--profile dev|prod).
void add_choice(OptionSet& opts, const std::string& name, const std::vector<std::string>& choices,
                const std::string& default_value, const std::string& description);

/// The value of a choice flag, or nullopt after the usage error
/// `--profile must be dev or prod, got "prd" (did you mean "prod"?)`.
std::optional<std::string> choice_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r,
                                     const std::string& name, int& exit);

// -f/--file ----------------------------------------------------------------------------------------

/// What -f names for a command; the rule itself is plugin/gitops/spec_input.hpp's.
enum class SpecFlag {
  files,     ///< validate, render, generate: may fall back to the built-in dev spec
  live,      ///< talks to a controller or a cluster: never the built-in spec
  optional,  ///< status: read when there is one
  edit,      ///< project, branch: the file edited in place (never stdin)
  head,      ///< diff: the head side instead of the repository's neon.yaml
  output,    ///< init: where the new spec goes
};

/// Adds -f/--file FILE (value "" = not given; for SpecFlag::edit and ::output, "neon.yaml").
/// `more` is appended to the description.
void add_spec_flag(OptionSet& opts, SpecFlag use, const std::string& more = "");

// --wait / --no-wait -------------------------------------------------------------------------------

/// Adds --wait ("Wait until <until> (the default)") and --no-wait.
void add_wait_flags(OptionSet& opts, const std::string& until,
                    const std::string& no_wait = "Return as soon as the storage controller has accepted the request");

/// Whether to wait: true unless --no-wait. Both flags at once is a usage error (nullopt).
std::optional<bool> wait_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r, int& exit);

// integers -----------------------------------------------------------------------------------------

struct IntRange {
  long long min = 0;
  long long max = 1LL << 62;
};

/// Adds an integer flag. `default_value` "" means none.
void add_int(OptionSet& opts, const std::string& spec, const std::string& description,
             const std::string& default_value = "", const std::string& placeholder = "N");

/// `text` as a whole number in `range`.
std::optional<long long> parse_integer(const std::string& text, IntRange range);

/// "--shards must be a whole number from 1 to 1073741824, not \"abc\"", for a flag or an operand.
std::string integer_problem(const std::string& what, const std::string& text, IntRange range);

/// Reads integer flag `name` into `value` (left empty when not given and without default).
/// Returns false after a usage error.
bool int_of(Context& ctx, const OptionSet& opts, const cxxopts::ParseResult& r, const std::string& name, IntRange range,
            std::optional<long long>& value, int& exit);

// -y/--yes --------------------------------------------------------------------------------------

/// Asks `question` ("Detach project app?") on a terminal unless `yes`. nullopt: go on. Otherwise
/// the exit code: 2 (usage: "refusing to <verb> without --yes ...", with `command`'s help hint)
/// when stdin is no terminal, 1 when the answer is not yes (after printing `refused`).
std::optional<int> confirm(Context& ctx, const std::string& command, const std::string& verb,
                           const std::string& question, bool yes, const std::string& refused);

}  // namespace neon::cli
