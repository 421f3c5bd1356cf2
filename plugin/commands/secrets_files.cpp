#include "plugin/commands/secrets_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <system_error>

#include <fmt/format.h>

#include "plugin/adapters/files.hpp"

namespace neon::cli {
namespace {

namespace fs = std::filesystem;

bool inside_git_worktree(const fs::path& path) {
  std::error_code ec;
  fs::path dir = fs::absolute(path, ec).parent_path();
  while (!ec && !dir.empty()) {
    if (fs::exists(dir / ".git", ec)) {
      return true;
    }
    if (dir == dir.parent_path()) {
      break;
    }
    dir = dir.parent_path();
  }
  return false;
}

}  // namespace

Result<void> check_key_out(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return make_error(fmt::format("--private-key-out {} already exists; choose a new path", path));
  }
  if (inside_git_worktree(path)) {
    return make_error(fmt::format("--private-key-out {} is inside a Git working tree; keep the key outside it", path));
  }
  return {};
}

Result<void> write_private(const std::string& path, const std::string& pem) {
  return write_file_atomic(path, pem, Overwrite::no, Access::owner_only);
}

void owner_only_stdout(const Context& ctx) {
  struct stat st {};
  if (&ctx.out == &std::cout && ::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
    static_cast<void>(::fchmod(STDOUT_FILENO, S_IRUSR | S_IWUSR));
  }
}

}  // namespace neon::cli
