#pragma once
// Data files compiled into the binary: the JSON Schema, the starter specs and the overlay
// components. Paths are relative to the repository root, e.g. "schemas/neon-cluster.schema.json".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace neon::gen {

struct EmbeddedFile {
  std::string_view path;
  std::string_view data;
};

/// Every embedded file, sorted by path.
const std::vector<EmbeddedFile>& embedded_files();

/// The contents of the embedded file at `path`, or nullopt.
std::optional<std::string_view> embedded(std::string_view path);

/// Files whose path starts with `prefix`, sorted by path.
std::vector<EmbeddedFile> embedded_under(std::string_view prefix);

}  // namespace neon::gen
