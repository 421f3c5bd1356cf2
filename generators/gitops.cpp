#include "generators/gitops.hpp"

#include <algorithm>

#include "generators/emit.hpp"
#include "generators/resource.hpp"

namespace neon::gen {

namespace {

// Fields the API server fills in on StatefulSet volumeClaimTemplates; Argo CD would report the
// StatefulSet OutOfSync forever without these (argo-cd#11143, #4126).
Json statefulset_ignore_differences() {
  return Json::array({Json{{"group", "apps"},
                           {"kind", "StatefulSet"},
                           {"jqPathExpressions", Json::array({".spec.volumeClaimTemplates[]?.metadata.creationTimestamp",
                                                              ".spec.volumeClaimTemplates[]?.status"})}}});
}

Json sync_policy() {
  return Json{{"automated", Json{{"prune", true}, {"selfHeal", true}}},
              {"syncOptions", Json::array({"ServerSideApply=true", "CreateNamespace=true", "PruneLast=true"})}};
}

Json app_spec(const ValidSpec& spec, const std::string& path) {
  return Json{{"project", "default"},
              {"source", Json{{"repoURL", spec->gitops.repo_url}, {"targetRevision", spec->gitops.revision},
                              {"path", path}}},
              {"destination", Json{{"server", "https://kubernetes.default.svc"}, {"namespace", spec->namespace_}}},
              {"syncPolicy", sync_policy()},
              {"ignoreDifferences", statefulset_ignore_differences()}};
}

Json meta(const std::string& name, const std::string& ns) {
  return Json{{"name", name},
              {"namespace", ns},
              {"labels", Json{{"app.kubernetes.io/part-of", "neon"}, {"app.kubernetes.io/managed-by", "kubectl-neon"}}}};
}

Json application(const ValidSpec& spec) {
  return Json{{"apiVersion", "argoproj.io/v1alpha1"},
              {"kind", "Application"},
              {"metadata", meta("neon-" + spec->name, k_argocd_namespace)},
              {"spec", app_spec(spec, cluster_path(spec))}};
}

Json application_set(const ValidSpec& spec, std::vector<std::string> paths) {
  std::sort(paths.begin(), paths.end());
  Json dirs = Json::array();
  for (const auto& p : paths) {
    dirs.push_back(Json{{"path", p}});
  }
  Json tmpl_meta{{"name", "neon-{{.path.basename}}"},
                 {"labels", Json{{"app.kubernetes.io/part-of", "neon"}, {"app.kubernetes.io/managed-by", "kubectl-neon"}}}};
  return Json{
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "ApplicationSet"},
      {"metadata", meta("neon", k_argocd_namespace)},
      {"spec",
       Json{{"goTemplate", true},
            {"goTemplateOptions", Json::array({"missingkey=error"})},
            {"generators", Json::array({Json{{"git", Json{{"repoURL", spec->gitops.repo_url},
                                                          {"revision", spec->gitops.revision},
                                                          {"directories", dirs}}}}})},
            {"template", Json{{"metadata", tmpl_meta}, {"spec", app_spec(spec, "{{.path.path}}")}}}}}};
}

Json git_repository(const ValidSpec& spec) {
  const std::string url = flux_git_url(spec->gitops.repo_url);
  Json s{{"interval", "1m"}, {"url", url}, {"ref", Json{{"branch", spec->gitops.revision}}}};
  // SSH needs an identity; a public HTTPS repository needs nothing, so no Secret is assumed there.
  if (url.rfind("ssh://", 0) == 0) {
    s["secretRef"] = Json{{"name", "neon-" + spec->name + "-git"}};
  }
  return Json{{"apiVersion", "source.toolkit.fluxcd.io/v1"},
              {"kind", "GitRepository"},
              {"metadata", meta("neon-" + spec->name, k_flux_namespace)},
              {"spec", s}};
}

Json flux_kustomization(const ValidSpec& spec, const std::string& tier, const std::string& previous) {
  Json s{{"interval", "10m"},
         {"retryInterval", "2m"},
         {"timeout", "5m"},
         {"sourceRef", Json{{"kind", "GitRepository"}, {"name", "neon-" + spec->name}}},
         {"path", "./" + cluster_path(spec) + "/" + tier},
         {"prune", true},
         {"wait", true}};
  if (!previous.empty()) {
    s["dependsOn"] = Json::array({Json{{"name", "neon-" + spec->name + "-" + previous}}});
  }
  return Json{{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
              {"kind", "Kustomization"},
              {"metadata", meta("neon-" + spec->name + "-" + tier, k_flux_namespace)},
              {"spec", s}};
}

std::string file(const Json& object) { return std::string(k_generated_header) + to_yaml(object); }

}  // namespace

const std::vector<std::string>& gitops_tiers() {
  static const std::vector<std::string> k_tiers{"storage", "control", "compute"};
  return k_tiers;
}

std::string bootstrap_path(const ValidSpec& spec) { return "bootstrap/" + spec->name; }

std::string flux_git_url(const std::string& url) {
  if (url.find("://") != std::string::npos) {
    return url;
  }
  const auto colon = url.find(':');
  const auto at = url.find('@');
  if (colon == std::string::npos || at == std::string::npos || at > colon) {
    return url;
  }
  std::string path = url.substr(colon + 1);
  if (!path.empty() && path.front() == '/') {
    path.erase(0, 1);
  }
  return "ssh://" + url.substr(0, colon) + "/" + path;
}

FileTree bootstrap_tree(const ValidSpec& spec, const std::vector<std::string>& cluster_paths) {
  FileTree tree;
  const std::string dir = bootstrap_path(spec) + "/";
  std::vector<std::string> resources;
  auto add = [&](const std::string& name, const Json& object) {
    tree[dir + name] = file(object);
    resources.push_back(name);
  };
  switch (spec->gitops.target) {
    case GitopsTarget::none:
      return tree;
    case GitopsTarget::argocd:
      if (cluster_paths.size() > 1) {
        add("applicationset-neon.yaml", application_set(spec, cluster_paths));
      } else {
        add("application-neon-" + spec->name + ".yaml", application(spec));
      }
      break;
    case GitopsTarget::flux: {
      add("gitrepository-neon-" + spec->name + ".yaml", git_repository(spec));
      std::string previous;
      for (const auto& tier : gitops_tiers()) {
        add("kustomization-neon-" + spec->name + "-" + tier + ".yaml", flux_kustomization(spec, tier, previous));
        previous = tier;
      }
      break;
    }
  }
  tree[dir + "kustomization.yaml"] = file(Json{{"apiVersion", "kustomize.config.k8s.io/v1beta1"},
                                               {"kind", "Kustomization"},
                                               {"resources", resources}});
  return tree;
}

}  // namespace neon::gen
