#include "generators/resource.hpp"

namespace neon::gen {

Json common_labels(const std::string& name, const std::string& component) {
  return Json{{"app.kubernetes.io/name", name},
              {"app.kubernetes.io/component", component},
              {"app.kubernetes.io/part-of", "neon"},
              {"app.kubernetes.io/managed-by", "kubectl-neon"}};
}

Json selector_labels(const std::string& name, const std::string& component) {
  return Json{{"app.kubernetes.io/name", name}, {"app.kubernetes.io/component", component}};
}

Json object_meta(const std::string& name, const std::string& component, Wave wave) {
  return Json{{"name", name},
              {"labels", common_labels(name, component)},
              {"annotations", Json{{"argocd.argoproj.io/sync-wave", std::to_string(static_cast<int>(wave))}}}};
}

Json data_object_meta(const std::string& name, const std::string& component, Wave wave) {
  Json meta = object_meta(name, component, wave);
  meta["annotations"][k_argocd_sync_options] = "Prune=false,Delete=false";
  meta["annotations"][k_flux_prune] = "Disabled";
  return meta;
}

Json pod_security_context(int uid) {
  return Json{{"runAsNonRoot", true},
              {"runAsUser", uid},
              {"runAsGroup", uid},
              {"fsGroup", uid},
              {"seccompProfile", Json{{"type", "RuntimeDefault"}}}};
}

Json container_security_context() {
  return Json{{"allowPrivilegeEscalation", false},
              {"readOnlyRootFilesystem", true},
              {"capabilities", Json{{"drop", Json::array({"ALL"})}}},
              {"seccompProfile", Json{{"type", "RuntimeDefault"}}}};
}

Json resources_json(const Resources& spec_resources, const Resources& defaults) {
  Json out = Json::object();
  for (const auto* part : {"requests", "limits"}) {
    const bool req = std::string(part) == "requests";
    std::map<std::string, std::string> merged = req ? defaults.requests : defaults.limits;
    for (const auto& [k, v] : req ? spec_resources.requests : spec_resources.limits) {
      merged[k] = v;
    }
    if (!merged.empty()) {
      Json m = Json::object();
      for (const auto& [k, v] : merged) {
        m[k] = v;
      }
      out[part] = m;
    }
  }
  return out;
}

Json service_port(const std::string& name, int port) {
  return Json{{"name", name}, {"port", port}, {"targetPort", name}, {"protocol", "TCP"}};
}

}  // namespace neon::gen
