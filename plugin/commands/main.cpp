// kubectl-neon entry point: snapshot the environment, run the command table, map exceptions.
#include <unistd.h>

#include <iostream>

#include "plugin/adapters/process.hpp"
#include "plugin/commands/cli.hpp"

extern char** environ;

int main(int argc, char** argv) {
  // No library is initialised here: libcurl (and with it OpenSSL) starts with the first
  // http::CurlTransport, libgit2 with git::Library, so `version` or `render` pay for neither.
  neon::cli::Context ctx{std::cout, std::cerr, std::cin};
  ctx.out_is_tty = isatty(STDOUT_FILENO) != 0;
  ctx.err_is_tty = isatty(STDERR_FILENO) != 0;
  ctx.in_is_tty = isatty(STDIN_FILENO) != 0;
  ctx.env = neon::cli::snapshot_environment(environ);
  ctx.prog = neon::cli::program_name(argc > 0 ? argv[0] : "");
  ctx.self_path = neon::cli::self_executable_path(argc > 0 ? argv[0] : "");
  try {
    return neon::cli::run(ctx, std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "kubectl-neon: internal error: " << e.what() << "\n";
    return 1;
  }
}
