#pragma once
// The large spec benchmarks and scale tests share: prod, 3 zones, auth on, `projects` x `branches`
// with IDs from a counter.
#include <string>

#include <fmt/format.h>

namespace neon::test {

/// A prod spec with 3 zones, auth on and `projects` x `branches`; IDs from a counter.
inline std::string big_spec(int projects = 200, int branches = 5) {
  std::string s = R"(apiVersion: kubectl-neon.io/v1alpha1
kind: NeonCluster
metadata:
  name: bench
  namespace: neon
spec:
  profile: prod
  images:
    storage: docker.io/neondatabase/neon:8463
    compute:
      "17": docker.io/neondatabase/compute-node-v17:8463
    hook: ghcr.io/kubectl-neon/kubectl-neon:v0.1.0
  objectStorage:
    bucket: bench
    region: eu-west-1
    credentials:
      secretRef:
        name: neon-s3-credentials
  storageController:
    database:
      secretRef:
        name: neon-storage-controller-db
    auth:
      enabled: true
      keySecret: neon-auth-public-key
      tokenSecret: neon-auth-tokens
      computeSigningSecret: neon-compute-hook-key
  pageservers:
    count: 6
    zones: [a, b, c]
    storage:
      size: 1Ti
  safekeepers:
    count: 3
    zones: [a, b, c]
    storage:
      size: 100Gi
  storageBroker:
    replicas: 1
  projects:
)";
  unsigned id = 0;
  for (int p = 0; p < projects; ++p) {
    s += fmt::format("    - name: p{}\n      tenantId: {:032x}\n      branches:\n", p, ++id);
    for (int b = 0; b < branches; ++b) {
      s += fmt::format("        - name: b{}\n          timelineId: {:032x}\n", b, ++id);
      if (b > 0) {
        s += "          parent: b0\n";
      }
    }
  }
  return s;
}

}  // namespace neon::test
