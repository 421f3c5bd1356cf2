#pragma once
// Checks on the raw spec text before YAML parsing: size, binary data, UTF-8, tabs in indentation
// and nesting deep enough to exhaust the parser's stack. yaml-cpp accepts some of these silently
// and chokes on others.

#include <string>
#include <string_view>
#include <vector>

#include "generators/diagnostics.hpp"

namespace neon::gen {

/// Appends a diagnostic for every problem found; returns false when the text must not be parsed.
bool prescan_spec_text(std::string_view text, const std::string& file, std::vector<Diagnostic>& diags);

}  // namespace neon::gen
