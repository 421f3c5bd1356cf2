#pragma once
// What `diff` advises before a pageserver or safekeeper StatefulSet shrinks: the storage
// controller must let go of the nodes whose pods go away (diff_report.cpp uses it).

#include <string>

#include "generators/resource.hpp"

namespace neon::cli {

/// For a pageserver or safekeeper StatefulSet going from `before` to `after` with fewer replicas:
/// the commands to run first, one per removed node, naming its node id (`<zone number><ordinal>`,
/// generators/names.hpp node_id; the zone number from the init container's --zone-number).
/// Empty when nothing is removed or the object is neither.
std::string removed_node_advice(const gen::Json& before, const gen::Json& after);

}  // namespace neon::cli
