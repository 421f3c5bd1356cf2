#pragma once
#include <string>

namespace neon::cli {

/// The Examples text of `command`'s --help (`{prog}` to be replaced), or null when it has none.
const std::string* help_examples(const std::string& command);

}  // namespace neon::cli
