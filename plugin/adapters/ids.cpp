#include "plugin/adapters/ids.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include <fmt/format.h>

namespace neon::cli {

std::string mint_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw std::runtime_error("the system's random source failed");
  }
  std::string out;
  for (unsigned char b : bytes) {
    out += fmt::format("{:02x}", b);
  }
  return out;
}

}  // namespace neon::cli
