#pragma once
// A unified line diff of two texts through libgit2's xdiff (git_patch_from_buffers): linear memory
// and near-linear time for the usual few-changes case, unlike a table over every pair of lines.

#include <string>

namespace neon::cli {

/// A line diff with `context` lines around changes, `---`/`+++` headers and `@@ -a,n +b,m @@` hunks
/// (counts always written, as GNU diff -u does for n != 1 and this tool always did). Empty when the
/// texts are equal. A missing final newline is not reported.
std::string unified_diff(const std::string& a, const std::string& b, const std::string& label_a,
                         const std::string& label_b, int context = 3);

}  // namespace neon::cli
