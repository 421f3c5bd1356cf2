#pragma once
// Files `secrets init` writes: the signing key copy (--private-key-out) and standard output
// redirected to a file by -o yaml. Both hold secrets, so both end up readable by the owner alone.

#include <string>

#include "generators/result.hpp"
#include "plugin/adapters/context.hpp"

namespace neon::cli {

/// Refuses an existing path or one inside a Git working tree.
Result<void> check_key_out(const std::string& path);

/// Creates the file with mode 0600 from the start (never readable by others, even briefly), and
/// never over an existing file.
Result<void> write_private(const std::string& path, const std::string& pem);

/// Standard output redirected to a file holds secrets: readable by the owner alone (0600), as
/// --private-key-out writes. Only for the process's own stdout (not a caller's stream).
void owner_only_stdout(const Context& ctx);

}  // namespace neon::cli
