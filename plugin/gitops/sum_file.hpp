#pragma once
// kubectl-neon.sum: the Git blob id of every file kubectl-neon last wrote for a cluster (see
// generate_run.hpp).

#include <map>
#include <string>

namespace neon::cli {

using Sums = std::map<std::string, std::string>;  ///< path -> blob id

/// The ids a kubectl-neon.sum text records; lines that are no record are skipped.
Sums parse_sums(const std::string& text);

/// The text of kubectl-neon.sum recording `sums`.
std::string sums_text(const Sums& sums);

}  // namespace neon::cli
