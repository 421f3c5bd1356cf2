#pragma once
// File I/O for commands: bounded reads with clear errors, and atomic writes (temporary file in
// the same directory, fsync, rename) so no command leaves a half-written file behind.

#include <cstddef>
#include <filesystem>
#include <string>

#include "generators/result.hpp"

namespace neon::cli {

/// Reads a whole file; refuses directories, missing files and files over `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

enum class Overwrite { yes, no };

/// Who may read the file. Anything holding secret material (tokens, private keys) is owner_only:
/// created 0600 from the start, so it is never readable by others, even briefly.
enum class Access { shared, owner_only };

/// Writes `data` to `path` atomically. With Overwrite::no an existing file is never replaced,
/// even by a concurrent writer. The file gets `access`'s mode whatever the old file's was.
Result<void> write_file_atomic(const std::filesystem::path& path, const std::string& data,
                               Overwrite overwrite = Overwrite::yes, Access access = Access::shared);

}  // namespace neon::cli
