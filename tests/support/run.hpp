#pragma once
// Running things in tests: the CLI in-process with captured streams, external programs
// (kubectl, git, node, the built binary) as child processes, and scratch directories.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace neon::test {

struct CliResult {
  int exit = 0;
  std::string out;
  std::string err;
};

/// Runs `kubectl-neon ARGS...` in-process with the given stdin and extra environment.
CliResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text = "",
                  const std::map<std::string, std::string>& env = {});

/// A fixed author and committer and no system or prompt configuration, for git and for commands
/// that commit, so tests do not depend on the machine's git setup.
inline const std::map<std::string, std::string> k_git_env{
    {"GIT_AUTHOR_NAME", "Tester"},    {"GIT_AUTHOR_EMAIL", "tester@localhost"},
    {"GIT_COMMITTER_NAME", "Tester"}, {"GIT_COMMITTER_EMAIL", "tester@localhost"},
    {"GIT_CONFIG_NOSYSTEM", "1"},     {"GIT_TERMINAL_PROMPT", "0"}};

struct ProcResult {
  int exit = -1;
  std::string out;
  std::string err;
};

/// Runs a program (looked up on PATH) with arguments, in `cwd`, with `env` added to the current
/// environment and `stdin_text` on its standard input. Never uses a shell.
ProcResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {},
                       const std::map<std::string, std::string>& env = {}, const std::string& stdin_text = "");

/// Runs the git CLI with `args` in `dir`, with k_git_env.
inline ProcResult git(const std::filesystem::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "git");
  return run_process(args, dir, k_git_env);
}

/// Whether `program` is on PATH.
bool have_program(const std::string& program);

/// A fresh directory under the build tree for one test; removed when the test passes,
/// kept (and printed) when it fails.
class ScratchDir {
public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& rel) const { return m_path / rel; }

private:
  std::filesystem::path m_path;
};

std::string read_text(const std::filesystem::path& p);
void write_text(const std::filesystem::path& p, const std::string& text);

}  // namespace neon::test
