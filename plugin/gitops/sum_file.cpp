#include "plugin/gitops/sum_file.hpp"

#include <sstream>

#include "generators/layout.hpp"

namespace neon::cli {

Sums parse_sums(const std::string& text) {
  Sums out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (line.empty() || line[0] == '#' || space != 40) {
      continue;
    }
    out[line.substr(space + 1)] = line.substr(0, space);
  }
  return out;
}

std::string sums_text(const Sums& sums) {
  std::string out = std::string(gen::k_generated_header) +
                    "# The Git blob id of every file kubectl-neon last wrote for this cluster (git hash-object):\n"
                    "# how it tells its own output from edits. Put your changes in local/<stage>/ instead.\n";
  for (const auto& [path, id] : sums) {
    out += id + " " + path + "\n";
  }
  return out;
}

}  // namespace neon::cli
