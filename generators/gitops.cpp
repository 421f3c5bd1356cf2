#include "generators/gitops.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "generators/emit.hpp"
#include "generators/resource.hpp"
#include "generators/stages.hpp"

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

// A failed sync (a wave that did not become healthy in time, a webhook not ready yet) is retried
// with backoff instead of waiting for the next change in Git: 30 s, 1 m, 2 m, 4 m, then every 5 m.
Json sync_policy() {
  return Json{{"automated", Json{{"prune", true}, {"selfHeal", true}}},
              {"syncOptions", Json::array({"ServerSideApply=true", "CreateNamespace=true", "PruneLast=true"})},
              {"retry", Json{{"limit", 10},
                             {"backoff", Json{{"duration", "30s"}, {"factor", 2}, {"maxDuration", "5m"}}}}}};
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

/// A Flux duration in whole minutes.
std::string minutes(long seconds) { return fmt::format("{}m", (seconds + 59) / 60); }

/// How long the stage's objects may take to become healthy: its slowest workload's roll-out
/// (workloads roll out side by side), plus a minute for the apply and the health checks.
long stage_timeout_seconds(const std::vector<Json>& objects) {
  long longest = 0;
  for (const auto& o : objects) {
    longest = std::max(longest, rollout_seconds(o));
  }
  return std::max(120L, longest + 60);
}

Json flux_kustomization(const ValidSpec& spec, const Stage& stage, const std::vector<Json>& objects,
                        const Stage* previous) {
  Json s{{"interval", "10m"},
         {"retryInterval", stage.retry_interval},
         {"timeout", minutes(stage_timeout_seconds(objects))},
         {"sourceRef", Json{{"kind", "GitRepository"}, {"name", "neon-" + spec->name}}},
         {"path", "./" + cluster_path(spec) + "/" + stage.name},
         {"prune", true},
         {"wait", true}};
  if (previous != nullptr) {
    s["dependsOn"] = Json::array({Json{{"name", "neon-" + spec->name + "-" + previous->name}}});
  }
  return Json{{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
              {"kind", "Kustomization"},
              {"metadata", meta("neon-" + spec->name + "-" + stage.name, k_flux_namespace)},
              {"spec", s}};
}

std::string file(const Json& object) { return std::string(k_generated_header) + to_yaml(object); }

}  // namespace

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

FileTree bootstrap_tree(const ValidSpec& spec) {
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
      add("application-neon-" + spec->name + ".yaml", application(spec));
      break;
    case GitopsTarget::flux: {
      add("gitrepository-neon-" + spec->name + ".yaml", git_repository(spec));
      const auto objects = stage_objects(spec);
      const Stage* previous = nullptr;
      for (std::size_t i = 0; i < stages().size(); ++i) {
        const Stage& stage = stages()[i];
        add(std::string("kustomization-neon-") + spec->name + "-" + stage.name + ".yaml",
            flux_kustomization(spec, stage, objects.at(i), previous));
        previous = &stage;
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
