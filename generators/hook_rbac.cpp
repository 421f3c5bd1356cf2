#include "generators/hook_rbac.hpp"

#include "generators/names.hpp"
#include "generators/proxy.hpp"

namespace neon::gen {

namespace {
constexpr const char* k_component = "compute-hook";
}  // namespace

bool scales_computes(const ClusterSpec& spec) { return !suspendable_computes(spec).empty(); }

std::vector<Json> hook_rbac(const ClusterSpec& spec) {
  const std::vector<std::string> computes = suspendable_computes(spec);
  if (computes.empty()) {
    return {};
  }
  const std::string name = names::k_hook;
  Json account{
      {"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", object_meta(name, k_component, Wave::hook)}};
  // Named Deployments only: a Role with resourceNames cannot list or watch, and cannot create
  // (the name is unknown before), so the hook reads and scales these computes and nothing else.
  // The scale subresource changes replicas alone, never the pod template.
  Json role{{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "Role"},
            {"metadata", object_meta(name, k_component, Wave::hook)},
            {"rules", Json::array({Json{{"apiGroups", Json::array({"apps"})},
                                        {"resources", Json::array({"deployments/scale"})},
                                        {"resourceNames", computes},
                                        {"verbs", Json::array({"get", "patch"})}},
                                   Json{{"apiGroups", Json::array({"apps"})},
                                        {"resources", Json::array({"deployments"})},
                                        {"resourceNames", computes},
                                        {"verbs", Json::array({"get"})}}})}};
  Json binding{
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "RoleBinding"},
      {"metadata", object_meta(name, k_component, Wave::hook)},
      {"roleRef", Json{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", name}}},
      {"subjects", Json::array({Json{{"kind", "ServiceAccount"}, {"name", name}, {"namespace", spec.namespace_}}})}};
  return {std::move(account), std::move(role), std::move(binding)};
}

}  // namespace neon::gen
