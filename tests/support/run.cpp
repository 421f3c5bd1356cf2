#include "tests/support/run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "plugin/adapters/process.hpp"
#include "plugin/commands/cli.hpp"
#include "tests/support/tools.hpp"

extern char** environ;

namespace neon::test {

namespace fs = std::filesystem;

CliResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text,
                  const std::map<std::string, std::string>& env) {
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  cli::Context ctx{out, err, in};
  ctx.env = cli::snapshot_environment(environ);
  ctx.env.erase("NO_COLOR");
  for (const auto& [k, v] : env) {
    ctx.env[k] = v;
  }
  ctx.prog = "kubectl neon";
  ctx.self_path = NEON_BINARY;
  const int code = cli::run(ctx, args);
  return {code, out.str(), err.str()};
}

namespace {

SpawnCheck& spawn_check_slot() {
  static SpawnCheck check = nullptr;
  return check;
}

}  // namespace

void set_spawn_check(SpawnCheck check) { spawn_check_slot() = check; }

SpawnCheck spawn_check() { return spawn_check_slot(); }

ProcResult run_process(const std::vector<std::string>& argv, const fs::path& cwd,
                       const std::map<std::string, std::string>& env, const std::string& stdin_text) {
  ProcResult res;
  if (spawn_check() != nullptr && !argv.empty()) {
    spawn_check()(argv[0]);
  }
  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    res.err = "pipe failed";
    return res;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::string cwd_str = cwd.string();
  if (!cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&fa, cwd_str.c_str());
  }
  auto merged = cli::snapshot_environment(environ);
  for (const auto& [k, v] : env) {
    merged[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    res.err = fmt::format("cannot run {}: {}", argv[0], std::strerror(rc));
    return res;
  }
  signal(SIGPIPE, SIG_IGN);
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (stdin_text.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&res.out, &res.err};
  while (fds[0] >= 0 || fds[1] >= 0 || in_fd >= 0) {
    pollfd p[3];
    int n = 0;
    int map[3];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        map[n++] = i;
      }
    }
    if (in_fd >= 0) {
      p[n] = {in_fd, POLLOUT, 0};
      map[n++] = 2;
    }
    if (poll(p, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (int j = 0; j < n; ++j) {
      if (p[j].revents == 0) {
        continue;
      }
      if (map[j] == 2) {
        const ssize_t w = write(in_fd, stdin_text.data() + written, stdin_text.size() - written);
        if (w > 0) {
          written += static_cast<std::size_t>(w);
        }
        if (w < 0 || written == stdin_text.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      const ssize_t r = read(fds[map[j]], buf, sizeof buf);
      if (r > 0) {
        sinks[map[j]]->append(buf, static_cast<std::size_t>(r));
      } else {
        close(fds[map[j]]);
        fds[map[j]] = -1;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  res.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return res;
}

bool have_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream in(path ? path : "");
  for (std::string dir; std::getline(in, dir, ':');) {
    if (!dir.empty() && access((fs::path(dir) / program).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

ScratchDir::ScratchDir(const std::string& name) {
  static std::atomic<int> counter{0};
  m_path = fs::current_path() / "test-scratch" / fmt::format("{}-{}-{}", name, getpid(), counter++);
  fs::remove_all(m_path);
  fs::create_directories(m_path);
}

ScratchDir::~ScratchDir() {
  if (std::getenv("NEON_KEEP_SCRATCH") == nullptr) {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
  if (p.has_parent_path()) {
    fs::create_directories(p.parent_path());
  }
  std::ofstream(p, std::ios::binary) << text;
}

}  // namespace neon::test
