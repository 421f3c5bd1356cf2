#pragma once
// The order a first install must follow, in one table. Both GitOps engines take their order from
// it, so they cannot drift apart:
//   - each stage is one tier folder under the cluster path and one Flux Kustomization that
//     dependsOn the stage before it (wait: true), so a stage is applied only when the one before
//     is healthy;
//   - each stage is one Argo CD sync wave, set on every object of the stage (layout.cpp), and Argo
//     CD moves to the next wave only when the current one is healthy.
// A stage may only need stages before it. start_needs() lists what each component calls when it
// starts (the edges the order must respect, with the Neon source that shows them); later_calls()
// lists the calls a component makes only once running, which need no order. The order test walks
// the generated Flux chain and waves against both lists and against every address it finds in
// the generated objects.

#include <string>
#include <vector>

#include "generators/resource.hpp"

namespace neon::gen {

struct Stage {
  const char* name;                  ///< tier folder; the Flux Kustomization is neon-<cluster>-<name>
  int wave;                          ///< Argo CD sync wave of every object in the stage
  std::vector<const char*> members;  ///< component folders (generators) and shipped features
  const char* retry_interval;        ///< Flux retryInterval after a failed reconciliation
  const char* why;                   ///< what it waits for
};

/// Every stage in install order; a spec uses those with at least one member turned on.
const std::vector<Stage>& stages();

/// The stage holding `component` (a generator folder, a shipped feature or "namespace"); nullptr
/// when the table does not list it.
const Stage* stage_of(const std::string& component);

/// One dependency between components.
struct Call {
  const char* from;
  const char* to;
  const char* why;
};

/// What a component calls when it starts and cannot become ready without.
const std::vector<Call>& start_needs();

/// What a component calls only once it runs (retried, or on demand): no order needed.
const std::vector<Call>& later_calls();

/// Seconds a workload (Deployment or StatefulSet) may take to roll out completely: pods replaced
/// one at a time (StatefulSets, Recreate Deployments: all at once), each allowed its graceful
/// shutdown and its startup probe's whole budget (or a minute without one). 0 for other kinds.
long rollout_seconds(const Json& object);

}  // namespace neon::gen
