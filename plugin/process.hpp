#pragma once
// Process-level helpers: the environment snapshot and the path of the running binary.

#include <map>
#include <string>

namespace neon::cli {

std::map<std::string, std::string> snapshot_environment(char** envp);

/// The absolute path of the running executable (from /proc/self/exe), or `argv0`.
std::string self_executable_path(const std::string& argv0);

}  // namespace neon::cli
