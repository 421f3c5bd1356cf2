#pragma once
// Everything a command needs from the outside world, built once in main.cpp (or by a test) and
// passed down by reference. No command reads the environment or std::cout directly.

#include <iosfwd>
#include <map>
#include <optional>
#include <ostream>
#include <string>

namespace neon::cli {

/// Every exit status the program gives. The values are what users and scripts see: never change one.
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_failure = 1,      ///< the command ran and failed (or found a problem)
  k_exit_usage = 2,        ///< a bad command line: unknown flag, bad value, missing operand
  k_exit_unreachable = 3,  ///< the storage controller could not be reached or read
  // `diff` follows kubectl diff: 0 no change, 1 changes found, 2 an error of any kind.
  k_exit_diff_changes = 1,
  k_exit_diff_error = 2,
};

/// kubectl's global flags; kubectl passes none of its own to a plugin, so the plugin parses them.
struct GlobalFlags {
  std::string kubeconfig;
  std::string context;
  std::string namespace_;
  bool no_color = false;
};

struct Context {
  Context(std::ostream& out_, std::ostream& err_, std::istream& in_) : out(out_), err(err_), in(in_) {}
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  bool out_is_tty = false;
  bool err_is_tty = false;
  bool in_is_tty = false;
  std::map<std::string, std::string> env;  ///< snapshot of the environment
  std::string prog = "kubectl-neon";       ///< "kubectl neon" when run as a kubectl plugin
  std::string self_path;                   ///< path of the running binary (for completion shims)
  GlobalFlags globals;

  /// The environment variable, or nullopt when unset.
  std::optional<std::string> getenv(const std::string& name) const {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

  /// Whether to colour output on stderr, as kubectl decides: a TTY, TERM not dumb, NO_COLOR unset
  /// (even empty), and no --no-color.
  bool color() const {
    if (globals.no_color || env.count("NO_COLOR") != 0 || !err_is_tty) {
      return false;
    }
    auto term = getenv("TERM");
    return !(term && *term == "dumb");
  }
};

/// Prints `error: <message>` on stderr; returns k_exit_failure.
inline int fail(Context& ctx, const std::string& message) {
  ctx.err << "error: " << message << '\n';
  return k_exit_failure;
}

}  // namespace neon::cli
