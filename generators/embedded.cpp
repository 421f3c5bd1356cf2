#include "generators/embedded.hpp"

#include <algorithm>

namespace neon::gen {

std::optional<std::string_view> embedded(std::string_view path) {
  const auto& files = embedded_files();
  auto it = std::lower_bound(files.begin(), files.end(), path,
                             [](const EmbeddedFile& f, std::string_view p) { return f.path < p; });
  if (it != files.end() && it->path == path) {
    return it->data;
  }
  return std::nullopt;
}

std::vector<EmbeddedFile> embedded_under(std::string_view prefix) {
  std::vector<EmbeddedFile> out;
  for (const auto& f : embedded_files()) {
    if (f.path.substr(0, prefix.size()) == prefix) {
      out.push_back(f);
    }
  }
  return out;
}

}  // namespace neon::gen
