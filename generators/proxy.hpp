#pragma once
// spec.proxy: Neon's proxy (the `proxy` binary of the storage image) as the one TLS endpoint of
// every branch, with the compute hook as its control plane (neon-connect.md §4-5). A Deployment,
// the public Service, a ClusterIP Service for /metrics, a PodDisruptionBudget and, with
// tls.issuerRef, the cert-manager Certificate. Component "proxy"; nothing without proxy.enabled.

#include <string>
#include <vector>

#include "generators/resource.hpp"

namespace neon::gen {

ResourceSet generate_proxy(const ValidSpec& spec);

/// The Service Prometheus scrapes the proxy's /metrics through: the public Service leaves port
/// 7001 (/metrics, /profile/*) off the load balancer.
inline constexpr const char* k_proxy_metrics_service = "neon-proxy-metrics";

/// The proxy's ServiceMonitor (components/monitoring), with proxy.enabled; null otherwise.
Json proxy_service_monitor(const ClusterSpec& spec);

/// The compute Deployments whose replicas the hook owns (compute.suspendAfter): their names
/// (names::compute_name), in spec order. Empty when no branch is suspendable.
std::vector<std::string> suspendable_computes(const ClusterSpec& spec);

}  // namespace neon::gen
