// neon_serve_fakes: the fake storage controller of tests/support/fake_storcon.cpp as a process of
// its own, for the release tests that run the static binary in a chroot (tests/release/*.sh).
// Sets up one pageserver, three safekeepers and one tenant, prints its URL on one line, and
// serves until its standard input closes.
#include <iostream>
#include <string>

#include "tests/support/fake_storcon.hpp"

int main() {
  neon::test::FakeStorcon storcon;
  storcon.add_node(1, "az-a");
  for (int id = 1; id <= 3; ++id) {
    storcon.add_safekeeper(static_cast<std::uint64_t>(id), "az-a");
  }
  storcon.add_tenant("0123456789abcdef0123456789abcdef");
  std::cout << storcon.url() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
