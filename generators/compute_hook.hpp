#pragma once
// The compute hook: `kubectl-neon hook serve` Deployment, Service and the computes.json
// ConfigMap it, the compute bootstrap steps and spec.sync's CronJob (sync_job.hpp) read.
// Every Resource has component "compute-hook".

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_compute_hook(const ValidSpec& spec);

}  // namespace neon::gen
