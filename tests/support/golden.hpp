#pragma once
// Golden files: compare, or rewrite with `neon_tests --update-golden` (cmake --build build -t update-golden).

#include <filesystem>
#include <map>
#include <string>

namespace neon::test {

void set_update_golden(bool on);
bool update_golden();

/// Source tree root (tests read their inputs from it and write goldens back to it).
std::filesystem::path source_dir();

/// Compares `actual` with the golden file at `rel` (relative to tests/golden). With
/// --update-golden, rewrites it. Returns "" when equal, else a readable difference.
std::string check_golden(const std::string& rel, const std::string& actual);

/// Compares a whole tree {relative path -> bytes} with the golden folder `rel`; with
/// --update-golden rewrites it and deletes stale files. Returns "" when equal.
std::string check_golden_tree(const std::string& rel, const std::map<std::string, std::string>& files);

/// A line-by-line unified-style difference (for messages).
std::string line_diff(const std::string& want, const std::string& got);

}  // namespace neon::test
