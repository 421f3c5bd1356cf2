#pragma once
// Picking objects out of a generator's ResourceSet in tests.
#include <string>
#include <vector>

#include "generators/resource.hpp"

namespace neon::test {

/// The bodies of the objects of `kind` in `set`, in order.
inline std::vector<gen::Json> of_kind(const gen::ResourceSet& set, const std::string& kind) {
  std::vector<gen::Json> out;
  for (const auto& r : set) {
    if (r.kind() == kind) {
      out.push_back(r.body);
    }
  }
  return out;
}

}  // namespace neon::test
