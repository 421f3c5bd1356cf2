#pragma once
// Loading the cluster spec for a command: `-f FILE`, `-f -` (stdin) or the embedded default.

#include <optional>
#include <string>
#include <vector>

#include "generators/diagnostics.hpp"
#include "generators/spec.hpp"
#include "plugin/context.hpp"

namespace neon::cli {

inline constexpr const char* k_default_spec_name = "<embedded default spec>";

struct SpecText {
  std::string text;
  std::string name;  ///< for diagnostics: the path, "<stdin>" or the embedded default
};

/// Reads the spec text named by `file` ("" = the embedded dev default, "-" = stdin).
/// Prints an error and returns nullopt on failure.
std::optional<SpecText> read_spec_text(Context& ctx, const std::string& file);

/// Reads, parses and validates. Prints every diagnostic and returns nullopt if there is one.
std::optional<gen::ValidSpec> load_valid_spec(Context& ctx, const std::string& file);

void print_diagnostics(Context& ctx, const std::vector<gen::Diagnostic>& diags);

}  // namespace neon::cli
