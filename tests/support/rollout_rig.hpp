#pragma once
// A Neon cluster for `kubectl neon rollout` tests and benches: the fake Kubernetes API
// (fake_workloads.hpp re-creates deleted StatefulSet pods at updateRevision) and the fake storage
// controller, linked so that deleting a pageserver pod takes its node Offline and the new pod, once
// Ready, re-attaches (storage_controller/src/service.rs:2503-2520: scheduling back to Active,
// availability WarmingUp until the first heartbeats).

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "plugin/adapters/base64.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/run.hpp"

namespace neon::test {

using Labels = std::map<std::string, std::string>;
using Json = nlohmann::json;

inline Labels labels(const std::string& set, const std::string& component, const std::string& revision = "") {
  Labels l{{"app.kubernetes.io/name", set},
           {"app.kubernetes.io/component", component},
           {"app.kubernetes.io/part-of", "neon"}};
  if (!revision.empty()) {
    l["controller-revision-hash"] = revision;
  }
  return l;
}

inline std::string tenant_id(int i) { return fmt::format("{:032x}", 0xa000 + i); }

/// A cluster as the prod starter renders it, in namespace neon: pageservers and safekeepers in zone
/// a (StatefulSets pageserver-a and safekeeper-a, OnDelete, node ids 10, 11, ... as
/// generators/names.cpp numbers them), a storage controller Deployment and one compute Deployment;
/// every pod at revision v1. new_image() moves both StatefulSets to v2, as a synced image bump does.
/// Deleting a pageserver pod takes its node Offline; its replacement re-attaches when Ready.
struct Rig {
  // The Kubernetes fake's callbacks use the controller fake, `mu` and `events`: it is declared
  // after them, so it stops first.
  ScratchDir dir;
  TestPki pki;
  FakeStorcon storcon;
  std::mutex mu;
  std::vector<std::string> events;  ///< "delete <pod> <scheduling> <attached>" at each pod deletion
  FakeKubeApi kube;
  std::map<std::string, std::string> env;
  int pageservers;
  int safekeepers;
  std::string error;  ///< set when the fakes could not start

  Rig(const std::string& name, int pageservers_, int safekeepers_, int tenants, int secondaries)
      : dir(name),
        pki(dir.path()),
        kube(pki, FakeKubeOptions{"kube-token", false, ""}),
        pageservers(pageservers_),
        safekeepers(safekeepers_) {
    if (!pki.ok || !kube.running()) {
      error = pki.ok ? "the fake Kubernetes API did not start" : pki.error;
      return;
    }
    auto& w = kube.workloads();
    w.set_restart_lists(1, 1);
    w.add_statefulset("neon", "pageserver-a", labels("pageserver-a", "pageserver"), "OnDelete", "v1");
    w.add_statefulset("neon", "safekeeper-a", labels("safekeeper-a", "safekeeper"), "OnDelete", "v1");
    for (int i = 0; i < pageservers; ++i) {
      const auto id = static_cast<std::uint64_t>(10 + i);
      storcon.add_node(id, "az-a");
      storcon.set_node_host(id, fmt::format("pageserver-a-{}.pageserver-a.neon.svc.cluster.local", i));
      w.add_pod("neon", fmt::format("pageserver-a-{}", i), labels("pageserver-a", "pageserver", "v1"), "Running", true);
    }
    for (int i = 0; i < safekeepers; ++i) {
      const auto id = static_cast<std::uint64_t>(10 + i);
      storcon.add_safekeeper(id, "az-a");
      storcon.set_safekeeper_host(id, fmt::format("safekeeper-a-{}.safekeeper-a.neon.svc.cluster.local", i));
      w.add_pod("neon", fmt::format("safekeeper-a-{}", i), labels("safekeeper-a", "safekeeper", "v1"), "Running", true);
    }
    for (int t = 0; t < tenants; ++t) {
      storcon.add_tenant(tenant_id(t), 1, secondaries);
    }
    w.add_deployment("neon", "storage-controller", labels("storage-controller", "storage-controller"), 1, 1, 1);
    w.add_deployment("neon", "compute-app-main", labels("compute-app-main", "compute"), 1, 1, 1);
    w.on_deleted([this](const std::string&, const std::string& pod) {
      std::string line = "delete " + pod;
      if (pod.rfind("pageserver-a-", 0) == 0) {
        const auto id = 10 + std::stoull(pod.substr(13));
        const Json n = storcon.node(id);
        line += fmt::format(" {} {}", n["scheduling"].get<std::string>(), attached(id));
        storcon.set_node(id, "Offline", n["scheduling"]);
      }
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(line);
    });
    w.on_ready([this](const std::string&, const std::string& pod) {
      if (pod.rfind("pageserver-a-", 0) == 0) {
        storcon.reattach_node(10 + std::stoull(pod.substr(13)), 2);
      }
    });
    write_text(dir / "kubeconfig",
               fmt::format("apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: c\n  cluster:\n"
                           "    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n"
                           "    token: kube-token\ncontexts:\n- name: k\n  context:\n    cluster: c\n    user: u\n"
                           "    namespace: neon\n",
                           kube.url(), neon::cli::base64_encode(read_text(pki.ca_crt))));
    env = {{"KUBECONFIG", (dir / "kubeconfig").string()}};
  }

  void new_image() {
    kube.workloads().set_update_revision("neon", "pageserver-a", "v2");
    kube.workloads().set_update_revision("neon", "safekeeper-a", "v2");
  }

  std::size_t attached(std::uint64_t node) const {
    std::size_t n = 0;
    for (int t = 0;; ++t) {
      const Json tenant = storcon.tenant(tenant_id(t));
      if (tenant.is_null()) {
        return n;
      }
      for (const auto& s : tenant["shards"]) {
        n += s["node_attached"] == node ? 1 : 0;
      }
    }
  }

  CliResult rollout(std::vector<std::string> args) {
    args.insert(args.begin(), "rollout");
    for (const char* a : {"--storage-controller", "", "--interval", "20ms"}) {
      args.emplace_back(*a != 0 ? a : storcon.url().c_str());
    }
    return run_cli(args, "", env);
  }

  /// The pods' revisions, "pageserver-a-0=v2 ...", from the API server.
  std::string revisions() {
    const Json pods = kube.workloads().list("PodList", "neon", "app.kubernetes.io/part-of=neon")["items"];
    std::string out;
    for (const auto& p : pods) {
      out += fmt::format("{}{}={}", out.empty() ? "" : " ", p["metadata"]["name"].get<std::string>(),
                         p["metadata"]["labels"]["controller-revision-hash"].get<std::string>());
    }
    return out;
  }

  std::vector<std::string> storcon_calls(const std::string& method) const {
    std::vector<std::string> out;
    for (const auto& r : storcon.requests()) {
      if (r.method == method) {
        out.push_back(r.path);
      }
    }
    return out;
  }
};

}  // namespace neon::test
