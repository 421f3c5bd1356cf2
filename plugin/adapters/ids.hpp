#pragma once
// Tenant and timeline IDs: 16 bytes from a cryptographic random source, as 32 lowercase hex digits.
// They are minted once, written into the spec, and never derived from names.

#include <string>

namespace neon::cli {

std::string mint_id();

}  // namespace neon::cli
