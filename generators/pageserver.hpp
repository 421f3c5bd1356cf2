#pragma once
// Pageservers: one StatefulSet per zone (or one without zones), its pageserver.toml ConfigMap,
// headless Service, PodDisruptionBudget and, with workload identity, a ServiceAccount.
// Every Resource has component "pageserver".
//
// With auth on, the pageserver's upcalls to the storage controller need `control_plane_api_token`
// inside pageserver.toml, and the pageserver reads it from nowhere else. The ConfigMap stays free
// of secrets: the bootstrap init container gets the token as env NEON_CONTROL_PLANE_API_TOKEN
// (token Secret key "generations") and adds it to its copy of pageserver.toml on the data volume.

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_pageservers(const ValidSpec& spec);

}  // namespace neon::gen
