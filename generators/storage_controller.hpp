#pragma once
// The storage controller (neon-api.md §5.4, §3.2, §4.1): Deployment, Service and, with ha, a
// PodDisruptionBudget, component "storage-controller". Its database is either the user's
// (a Secret holding the URL) or the dev Postgres of the shipped dev-postgres Component
// (overlays/components/dev-postgres, see generators/dev_extras.hpp).

#include <string>
#include <vector>

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_storage_controller(const ValidSpec& spec);

/// The controller's command-line arguments (after the program name), in a stable order.
std::vector<std::string> storage_controller_args(const ValidSpec& spec);

/// The URL the controller uses for the in-cluster dev Postgres (trust auth, no password).
std::string dev_database_url(const ClusterSpec& spec);

}  // namespace neon::gen
