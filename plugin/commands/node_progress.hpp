#pragma once
// What `drain`, `fill` and `node pageserver delete` show while they wait: a pageserver's
// scheduling policy and the shards still attached to it. Implemented in cmd_node.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "plugin/clients/storcon.hpp"

namespace neon::cli {

struct Progress {
  std::string scheduling;
  std::size_t attached = 0;
  bool moving = false;  ///< a shard attached to the node is reconciling
  std::vector<std::string> left;
};

/// The node and its attached shards, both from routes the controller forwards to its leader
/// (the per-node shard list is not forwarded: storage_controller/src/http.rs:1093-1102).
storcon::Expected<std::pair<storcon::Node, Progress>> read_progress(storcon::Client& client, std::uint64_t node);

/// The first five ids, "and N more".
std::string first_ids_text(const std::vector<std::string>& ids);

/// "42s", "3m05s".
std::string elapsed_text(std::chrono::steady_clock::duration d);

}  // namespace neon::cli
