#include "generators/registry.hpp"

#include "generators/compute.hpp"
#include "generators/compute_hook.hpp"
#include "generators/pageserver.hpp"
#include "generators/proxy.hpp"
#include "generators/safekeeper.hpp"
#include "generators/storage_broker.hpp"
#include "generators/storage_controller.hpp"

namespace neon::gen {

const char* tier_name(Tier tier) {
  switch (tier) {
    case Tier::storage:
      return "storage";
    case Tier::control:
      return "control";
    case Tier::compute:
      return "compute";
  }
  return "storage";
}

const std::vector<Generator>& generators() {
  static const std::vector<Generator> k_generators = {
      {"storage-broker", "storage broker Deployment, Service and PodDisruptionBudget", Tier::storage,
       &generate_storage_broker},
      {"pageserver", "pageserver StatefulSets per zone, pageserver.toml, headless Services", Tier::storage,
       &generate_pageservers},
      {"safekeeper", "safekeeper StatefulSets per zone with WAL offload, headless Services", Tier::storage,
       &generate_safekeepers},
      {"storage-controller", "storage controller Deployment and Service (HA: candidates, PDB)", Tier::control,
       &generate_storage_controller},
      {"compute-hook", "compute hook Deployment, Service, computes.json ConfigMap, spec.sync's CronJob", Tier::control,
       &generate_compute_hook},
      {"compute", "per-branch compute Deployments and Services, read replicas", Tier::compute, &generate_computes},
      {"proxy", "Neon's proxy (spec.proxy): Deployment, Services, PodDisruptionBudget, Certificate", Tier::compute,
       &generate_proxy},
  };
  return k_generators;
}

}  // namespace neon::gen
