#pragma once
// Computes: per branch a Deployment running compute_ctl and a Service, plus a `-ro` Deployment and
// Service for read replicas. An init container creates the tenant and timeline first.
// Every Resource has component "compute" and its project (Resource::project).

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_computes(const ValidSpec& spec);

}  // namespace neon::gen
