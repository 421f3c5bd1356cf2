#pragma once
// A cluster for `kubectl neon logs` and `report` tests: the rollout Rig (fake Kubernetes API and
// storage controller, pageservers pageserver-a-N with node ids 10+N, safekeepers likewise), plus
// the pods of the other components as generators/ label them, canned log lines for each main
// container (fake_pod_logs.hpp), and the hook's /metrics behind the API server's service proxy.

#include <httplib.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/rollout_rig.hpp"

namespace neon::test {

/// A plain-HTTP stand-in for the hook's metrics port.
struct MetricsServer {
  httplib::Server server;
  std::thread thread;
  int port = -1;

  explicit MetricsServer(std::string body) {
    server.Get("/metrics", [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "text/plain; version=0.0.4");
    });
    port = server.bind_to_any_port("127.0.0.1");
    if (port > 0) {
      thread = std::thread([this] { server.listen_after_bind(); });
      while (!server.is_running()) {
        std::this_thread::yield();
      }
    }
  }
  ~MetricsServer() {
    server.stop();
    if (thread.joinable()) {
      thread.join();
    }
  }
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

/// Pod labels as generators/ set them: name, component, part-of (common_labels in resource.cpp).
inline Labels pod_labels(const std::string& name, const std::string& component) {
  return {{"app.kubernetes.io/name", name},
          {"app.kubernetes.io/component", component},
          {"app.kubernetes.io/part-of", "neon"},
          {"app.kubernetes.io/managed-by", "kubectl-neon"}};
}

inline const std::string k_tenant_a = "3aa8fcc61f6d357410b7de754b1d9001";
inline const std::string k_tenant_b = "5bb8fcc61f6d357410b7de754b1d9002";
inline const std::string k_timeline_a = "de200bd42b49cc1814412c7e592dd6e9";

/// A log line as Neon prints one inside a tenant's span.
inline std::string neon_line(const std::string& what, const std::string& tenant, const std::string& timeline = "") {
  return fmt::format("2026-01-01T00:00:00.000000Z  INFO {}{{tenant_id={} shard_id=0000{}}}: {}",
                     timeline.empty() ? "attach" : "wal_receiver", tenant,
                     timeline.empty() ? "" : " timeline_id=" + timeline, what);
}

/// The rollout Rig with 2 pageservers and 2 safekeepers, one pod each for the storage controller,
/// the broker and the hook, and the compute pods of app/main (primary and one read replica) and
/// app/dev; every main container has log lines naming its pod.
struct LogsRig : Rig {
  explicit LogsRig(const std::string& name) : Rig(name, 2, 2, 2, 1) {
    if (!error.empty()) {
      return;
    }
    auto& w = kube.workloads();
    w.add_pod("neon", "storage-controller-7d9f-x1", pod_labels("storage-controller", "storage-controller"), "Running",
              true);
    w.add_pod("neon", "storage-broker-5c6d-y2", pod_labels("storage-broker", "storage-broker"), "Running", true);
    w.add_pod("neon", "compute-hook-6b7c-z3", pod_labels("compute-hook", "compute-hook"), "Running", true);
    w.add_pod("neon", "compute-app-main-8f8f-a1", pod_labels("compute-app-main", "compute"), "Running", true);
    Labels replica = pod_labels("compute-app-main-ro-0", "compute");
    replica["kubectl-neon.io/read-replicas-of"] = "compute-app-main-ro";
    w.add_pod("neon", "compute-app-main-ro-0-9a9a-b2", replica, "Running", true);
    w.add_pod("neon", "compute-app-dev-7e7e-c3", pod_labels("compute-app-dev", "compute"), "Running", true);
    auto& logs = kube.pod_logs();
    logs.set("neon", "pageserver-a-0", "pageserver",
             {neon_line("attached", k_tenant_a), neon_line("attached", k_tenant_b),
              neon_line("ingesting", k_tenant_a, k_timeline_a)});
    logs.set("neon", "pageserver-a-1", "pageserver", {neon_line("secondary download", k_tenant_a), "no tenant here"});
    logs.set("neon", "safekeeper-a-0", "safekeeper", {neon_line("timeline active", k_tenant_a, k_timeline_a)});
    logs.set("neon", "safekeeper-a-1", "safekeeper", {"safekeeper-a-1 started"});
    logs.set("neon", "storage-controller-7d9f-x1", "storage-controller", {"controller: reconciled"});
    logs.set("neon", "storage-broker-5c6d-y2", "storage-broker", {"broker: listening"});
    logs.set("neon", "compute-hook-6b7c-z3", "hook", {"hook: serving"});
    logs.set("neon", "compute-app-main-8f8f-a1", "compute", {"primary of app/main"});
    logs.set("neon", "compute-app-main-8f8f-a1", "pooler", {"pgbouncer sidecar"});
    logs.set("neon", "compute-app-main-ro-0-9a9a-b2", "compute", {"replica of app/main"});
    logs.set("neon", "compute-app-dev-7e7e-c3", "compute", {"primary of app/dev"});
  }

  /// The log requests the API server saw, "pod?query", sorted (pods are read in parallel).
  std::vector<std::string> log_requests() const {
    std::vector<std::string> out;
    for (const auto& r : kube.requests()) {
      const auto at = r.target.find("/pods/");
      const auto log = r.target.find("/log");
      if (at != std::string::npos && log != std::string::npos) {
        out.push_back(r.target.substr(at + 6, log - at - 6) + r.target.substr(log + 4));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  CliResult logs(std::vector<std::string> args) {
    args.insert(args.begin(), "logs");
    return run_cli(args, "", env);
  }
};

}  // namespace neon::test
