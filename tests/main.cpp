// doctest main: strips --update-golden (golden files are rewritten instead of compared) and runs
// from a scratch directory under the build tree, never from the source tree.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "tests/support/golden.hpp"

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--update-golden") == 0) {
      neon::test::set_update_golden(true);
    } else {
      args.push_back(argv[i]);
    }
  }
  doctest::Context context(static_cast<int>(args.size()), args.data());
  return context.run();
}
