#pragma once
// Process-level helpers: the environment snapshot, the path of the running binary, and running a
// child program.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "generators/result.hpp"

namespace neon::cli {

std::map<std::string, std::string> snapshot_environment(char** envp);

/// The absolute path of the running executable (from /proc/self/exe), or `argv0`.
std::string self_executable_path(const std::string& argv0);

/// The first executable regular file `name` in the ':'-separated `path_list` (a PATH value; empty
/// items are skipped), or nullopt. A `name` holding a slash is returned as it is when executable.
std::optional<std::string> find_program(const std::string& name, const std::string& path_list);

struct ChildOutput {
  int status = -1;  ///< exit status, or 128 + signal
  std::string out;
  std::string err;
};

/// Runs argv[0] (PATH lookup, no shell) with exactly `env`, stdin from /dev/null, and collects
/// stdout and stderr. `what` names the program in the error when it cannot be started
/// ("cannot run <what> \"argv0\": reason").
Result<ChildOutput> run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                              const std::string& what);

/// Runs argv[0] (PATH lookup, no shell) with exactly `env` on this process's own stdin, stdout and
/// stderr (an interactive child, e.g. `kubectl exec -it`), and returns its exit status (128 + signal).
Result<int> run_attached(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         const std::string& what);

}  // namespace neon::cli
