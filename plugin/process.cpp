#include "plugin/process.hpp"

#include <filesystem>
#include <system_error>

namespace neon::cli {

std::map<std::string, std::string> snapshot_environment(char** envp) {
  std::map<std::string, std::string> env;
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    const std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string::npos) {
      env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  return env;
}

std::string self_executable_path(const std::string& argv0) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? argv0 : p.string();
}

}  // namespace neon::cli
