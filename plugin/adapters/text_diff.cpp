#include "plugin/adapters/text_diff.hpp"

#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <git2.h>

namespace neon::cli {

namespace {

/// libgit2 initialised for the lifetime of one diff (reference-counted by libgit2, so this nests
/// inside git::Library and works without it).
class GitInit {
public:
  GitInit() { git_libgit2_init(); }
  ~GitInit() { git_libgit2_shutdown(); }
  GitInit(const GitInit&) = delete;
  GitInit& operator=(const GitInit&) = delete;
};

struct PatchFree {
  void operator()(git_patch* p) const { git_patch_free(p); }
};
using Patch = std::unique_ptr<git_patch, PatchFree>;

Patch make_patch(const std::string& a, const std::string& b, int context) {
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  opts.context_lines = static_cast<std::uint32_t>(context);
  opts.interhunk_lines = 0;
  opts.flags = GIT_DIFF_FORCE_TEXT;
  git_patch* raw = nullptr;
  if (git_patch_from_buffers(&raw, a.data(), a.size(), nullptr, b.data(), b.size(), nullptr, &opts) != 0) {
    const git_error* e = git_error_last();
    throw std::runtime_error(fmt::format("line diff failed: {}", e != nullptr ? e->message : "libgit2 error"));
  }
  return Patch(raw);
}

}  // namespace

std::string unified_diff(const std::string& a, const std::string& b, const std::string& label_a,
                         const std::string& label_b, int context) {
  if (a == b) {
    return {};
  }
  GitInit init;
  const Patch patch = make_patch(a, b, context);
  std::string out;
  const std::size_t hunks = git_patch_num_hunks(patch.get());
  for (std::size_t h = 0; h < hunks; ++h) {
    const git_diff_hunk* hunk = nullptr;
    std::size_t lines = 0;
    if (git_patch_get_hunk(&hunk, &lines, patch.get(), h) != 0) {
      throw std::runtime_error("line diff failed: no hunk");
    }
    if (out.empty()) {
      out += fmt::format("--- {}\n+++ {}\n", label_a, label_b);
    }
    // The header is written here: libgit2's carries git's function context after the second @@.
    out += fmt::format("@@ -{},{} +{},{} @@\n", hunk->old_start, hunk->old_lines, hunk->new_start, hunk->new_lines);
    for (std::size_t l = 0; l < lines; ++l) {
      const git_diff_line* line = nullptr;
      if (git_patch_get_line_in_hunk(&line, patch.get(), h, l) != 0) {
        throw std::runtime_error("line diff failed: no line");
      }
      if (line->origin != GIT_DIFF_LINE_CONTEXT && line->origin != GIT_DIFF_LINE_ADDITION &&
          line->origin != GIT_DIFF_LINE_DELETION) {
        continue;  // "\ No newline at end of file" markers
      }
      out += line->origin;
      std::size_t len = line->content_len;
      if (len > 0 && line->content[len - 1] == '\n') {
        --len;
      }
      out.append(line->content, len);
      out += '\n';
    }
  }
  return out;
}

}  // namespace neon::cli
