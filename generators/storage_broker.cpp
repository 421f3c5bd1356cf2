#include "generators/storage_broker.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"

namespace neon::gen {

Json spread_constraints(const Json& selector) {
  return Json::array({Json{{"maxSkew", 1},
                           {"topologyKey", "topology.kubernetes.io/zone"},
                           {"whenUnsatisfiable", "ScheduleAnyway"},
                           {"labelSelector", Json{{"matchLabels", selector}}}},
                      Json{{"maxSkew", 1},
                           {"topologyKey", "kubernetes.io/hostname"},
                           {"whenUnsatisfiable", "ScheduleAnyway"},
                           {"labelSelector", Json{{"matchLabels", selector}}}}});
}

Json preferred_anti_affinity(const Json& selector) {
  return Json{
      {"podAntiAffinity",
       Json{{"preferredDuringSchedulingIgnoredDuringExecution",
             Json::array({Json{{"weight", 100},
                               {"podAffinityTerm", Json{{"topologyKey", "kubernetes.io/hostname"},
                                                        {"labelSelector", Json{{"matchLabels", selector}}}}}}})}}}};
}

Json env_from_secret(const std::string& var, const std::string& secret, const std::string& key) {
  return Json{{"name", var}, {"valueFrom", Json{{"secretKeyRef", Json{{"name", secret}, {"key", key}}}}}};
}

Json http_probe(const std::string& path, const std::string& port, int period_seconds, int failure_threshold) {
  return Json{{"httpGet", Json{{"path", path}, {"port", port}}},
              {"periodSeconds", period_seconds},
              {"timeoutSeconds", 3},
              {"failureThreshold", failure_threshold}};
}

namespace {

constexpr const char* k_component = "storage-broker";

Json broker_container(const ClusterSpec& s) {
  const Resources defaults{{{"cpu", "100m"}, {"memory", "128Mi"}}, {{"memory", "512Mi"}}};
  Json security = container_security_context();
  security["readOnlyRootFilesystem"] = true;
  return Json{
      {"name", "storage-broker"},
      {"image", s.images.storage},
      // The neon image's CMD starts a pageserver; the broker must be named explicitly.
      {"command", Json::array({"storage_broker"})},
      {"args", Json::array({"--listen-addr=" + names::listen_any(s, names::k_broker_port)})},
      {"ports", Json::array({Json{{"name", "grpc"}, {"containerPort", names::k_broker_port}, {"protocol", "TCP"}}})},
      // gRPC and HTTP/1 share the port; GET /status answers 200.
      {"readinessProbe", http_probe("/status", "grpc", 5, 3)},
      {"livenessProbe", http_probe("/status", "grpc", 10, 6)},
      {"resources", resources_json(s.storage_broker.resources, defaults)},
      {"securityContext", security}};
}

}  // namespace

ResourceSet generate_storage_broker(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  const std::string name = names::k_broker;
  const Json selector = selector_labels(name, k_component);

  Json pod_spec{{"automountServiceAccountToken", false},
                {"securityContext", pod_security_context(k_neon_uid)},
                {"affinity", preferred_anti_affinity(selector)},
                {"topologySpreadConstraints", spread_constraints(selector)},
                {"containers", Json::array({broker_container(s)})}};
  Json deployment{
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", object_meta(name, k_component, Wave::storage)},
      // Exactly one broker: it keeps its pub/sub registry in one process and has no
      // replication (docs/storage_broker.md:13-16, storage_broker/src/bin/storage_broker.rs:356-361),
      // so two pods behind one Service would split publishers from subscribers.
      // Recreate keeps a rollout from running two for a moment; the Deployment restarts it.
      {"spec",
       Json{{"replicas", 1},
            {"revisionHistoryLimit", 3},
            {"strategy", Json{{"type", "Recreate"}}},
            {"selector", Json{{"matchLabels", selector}}},
            {"template", Json{{"metadata", Json{{"labels", common_labels(name, k_component)}}}, {"spec", pod_spec}}}}}};

  Json service{{"apiVersion", "v1"},
               {"kind", "Service"},
               {"metadata", object_meta(name, k_component, Wave::storage)},
               {"spec", Json{{"type", "ClusterIP"},
                             {"selector", selector},
                             {"ports", Json::array({service_port("grpc", names::k_broker_port)})}}}};

  // maxUnavailable rather than minAvailable: the single broker must not block node drains.
  Json pdb{{"apiVersion", "policy/v1"},
           {"kind", "PodDisruptionBudget"},
           {"metadata", object_meta(name, k_component, Wave::storage)},
           {"spec", Json{{"maxUnavailable", 1}, {"selector", Json{{"matchLabels", selector}}}}}};

  return {Resource{k_component, std::move(deployment)}, Resource{k_component, std::move(service)},
          Resource{k_component, std::move(pdb)}};
}

}  // namespace neon::gen
