#pragma once
// Safekeepers: one StatefulSet per zone (or one without zones), headless Service and
// PodDisruptionBudget; each pod registers itself with the storage controller in an init container.
// Every Resource has component "safekeeper".

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_safekeepers(const ValidSpec& spec);

}  // namespace neon::gen
