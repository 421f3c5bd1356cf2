#pragma once
// Every generator with its name, one-line summary and the tier its component folders belong to.
// layout.cpp builds the cluster tree from this table; `kubectl neon generate --help` lists it.

#include <string>
#include <vector>

#include "generators/resource.hpp"

namespace neon::gen {

/// The three tier folders; Flux points one Kustomization at each, in this order.
enum class Tier { storage, control, compute };

/// `storage`, `control` or `compute`.
const char* tier_name(Tier tier);

struct Generator {
  const char* name;  ///< also the component folder of what it returns (unless empty)
  const char* summary;
  Tier tier;
  ResourceSet (*fn)(const ValidSpec&);
};

/// All generators in tree order: storage tier first, then control, then compute.
const std::vector<Generator>& generators();

}  // namespace neon::gen
