// doctest main: strips --update-golden (golden files are rewritten instead of compared) and
// --skip-exit-code=N (the exit status when every test passed but some were skipped for a missing
// tool; ctest's SKIP_RETURN_CODE), runs from a scratch directory under the build tree, never from
// the source tree, and ends with the list of tests skipped for a missing tool (tests/support/tools.hpp).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tests/support/golden.hpp"
#include "tests/support/tools.hpp"

int main(int argc, char** argv) {
  std::vector<char*> args;
  int skip_exit_code = 0;
  const std::string skip_flag = "--skip-exit-code=";
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--update-golden") == 0) {
      neon::test::set_update_golden(true);
    } else if (std::string(argv[i]).rfind(skip_flag, 0) == 0) {
      skip_exit_code = std::atoi(argv[i] + skip_flag.size());
    } else {
      args.push_back(argv[i]);
    }
  }
  doctest::Context context(static_cast<int>(args.size()), args.data());
  const int result = context.run();
  std::cout << neon::test::tool_skip_summary() << std::flush;
  if (result == 0 && skip_exit_code != 0 && !neon::test::tool_skips().empty()) {
    return skip_exit_code;
  }
  return result;
}
