#include "generators/gitops.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "generators/emit.hpp"
#include "generators/proxy.hpp"
#include "generators/resource.hpp"
#include "generators/stages.hpp"

namespace neon::gen {

namespace {

// Fields the API server fills in on StatefulSet volumeClaimTemplates; Argo CD would report the
// StatefulSet OutOfSync forever without these (argo-cd#11143, #4126).
Json statefulset_ignore_differences() {
  return Json::array(
      {Json{{"group", "apps"},
            {"kind", "StatefulSet"},
            {"jqPathExpressions", Json::array({".spec.volumeClaimTemplates[]?.metadata.creationTimestamp",
                                               ".spec.volumeClaimTemplates[]?.status"})}}});
}

/// compute.suspendAfter: the hook owns replicas of these Deployments and the rendered objects have
/// none (generators/compute.cpp). Argo CD ignores /spec/replicas on exactly them, and with
/// RespectIgnoreDifferences=true a sync leaves the live value alone too, so it never wakes a
/// sleeping compute. Nothing changes for a spec without suspendable computes.
void ignore_suspendable_replicas(const ValidSpec& spec, Json& app) {
  const std::vector<std::string> computes = suspendable_computes(spec.spec());
  if (computes.empty()) {
    return;
  }
  if (!app.contains("ignoreDifferences")) {
    app["ignoreDifferences"] = Json::array();
  }
  for (const auto& name : computes) {
    app["ignoreDifferences"].push_back(Json{{"group", "apps"},
                                            {"kind", "Deployment"},
                                            {"name", name},
                                            {"namespace", spec->namespace_},
                                            {"jsonPointers", Json::array({"/spec/replicas"})}});
  }
  app["syncPolicy"]["syncOptions"].push_back("RespectIgnoreDifferences=true");
}

// A failed sync (a wave that did not become healthy in time, a webhook not ready yet) is retried
// with backoff instead of waiting for the next change in Git: 30 s, 1 m, 2 m, 4 m, then every 5 m.
Json sync_policy() {
  return Json{
      {"automated", Json{{"prune", true}, {"selfHeal", true}}},
      {"syncOptions", Json::array({"ServerSideApply=true", "CreateNamespace=true", "PruneLast=true"})},
      {"retry", Json{{"limit", 10}, {"backoff", Json{{"duration", "30s"}, {"factor", 2}, {"maxDuration", "5m"}}}}}};
}

Json meta(const std::string& name, const std::string& ns) {
  return Json{
      {"name", name},
      {"namespace", ns},
      {"labels", Json{{"app.kubernetes.io/part-of", "neon"}, {"app.kubernetes.io/managed-by", "kubectl-neon"}}}};
}

constexpr const char* k_wave = "argocd.argoproj.io/sync-wave";

std::string in_cluster() { return "https://kubernetes.default.svc"; }

Json app_spec(const ValidSpec& spec, const std::string& project, const std::string& path, const std::string& ns,
              Json sync) {
  return Json{
      {"project", project},
      {"source", Json{{"repoURL", spec->gitops.repo_url}, {"targetRevision", spec->gitops.revision}, {"path", path}}},
      {"destination", Json{{"server", in_cluster()}, {"namespace", ns}}},
      {"syncPolicy", std::move(sync)}};
}

/// The cluster's Application: its folder, into its namespace, in its own AppProject.
Json application(const ValidSpec& spec) {
  Json s = app_spec(spec, argocd_project(spec), cluster_path(spec), spec->namespace_, sync_policy());
  s["ignoreDifferences"] = statefulset_ignore_differences();
  ignore_suspendable_replicas(spec, s);
  return Json{{"apiVersion", "argoproj.io/v1alpha1"},
              {"kind", "Application"},
              {"metadata", meta("neon-" + spec->name, spec->gitops.argocd_namespace)},
              {"spec", s}};
}

/// The cluster's AppProject: this repository only, into the cluster's namespace only, and of the
/// cluster-scoped kinds only the Namespace (the one the tree has).
Json app_project(const ValidSpec& spec) {
  return Json{
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "AppProject"},
      {"metadata", meta(argocd_project(spec), spec->gitops.argocd_namespace)},
      {"spec", Json{{"sourceRepos", Json::array({spec->gitops.repo_url})},
                    {"destinations", Json::array({Json{{"server", in_cluster()}, {"namespace", spec->namespace_}}})},
                    {"clusterResourceWhitelist", Json::array({Json{{"group", ""}, {"kind", "Namespace"}}})}}}};
}

/// What the bootstrap folder may hold: Applications and AppProjects, and the projects'
/// ApplicationSet when split.
Json bootstrap_kinds(const ValidSpec& spec) {
  Json kinds = Json::array({Json{{"group", "argoproj.io"}, {"kind", "Application"}},
                            Json{{"group", "argoproj.io"}, {"kind", "AppProject"}}});
  if (split_by_project(spec)) {
    kinds.push_back(Json{{"group", "argoproj.io"}, {"kind", "ApplicationSet"}});
  }
  return kinds;
}

/// The bootstrap folder's own project: the Argo CD namespace only, and only Applications and
/// AppProjects there, so the folder can manage nothing but these pointers.
Json bootstrap_project(const ValidSpec& spec) {
  return Json{
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "AppProject"},
      {"metadata", meta(argocd_project(spec) + "-bootstrap", spec->gitops.argocd_namespace)},
      {"spec", Json{{"sourceRepos", Json::array({spec->gitops.repo_url})},
                    {"destinations",
                     Json::array({Json{{"server", in_cluster()}, {"namespace", spec->gitops.argocd_namespace}}})},
                    {"clusterResourceWhitelist", Json::array()},
                    {"namespaceResourceWhitelist", bootstrap_kinds(spec)}}}};
}

/// App of apps: applied once by hand, it then keeps bootstrap/<name>/ (itself included) as Git
/// says, so a change to spec.gitops reaches Argo CD without another kubectl apply.
Json bootstrap_application(const ValidSpec& spec) {
  Json sync{{"automated", Json{{"prune", true}, {"selfHeal", true}}}, {"retry", sync_policy()["retry"]}};
  return Json{{"apiVersion", "argoproj.io/v1alpha1"},
              {"kind", "Application"},
              {"metadata", meta("neon-" + spec->name + "-bootstrap", spec->gitops.argocd_namespace)},
              {"spec", app_spec(spec, argocd_project(spec) + "-bootstrap", bootstrap_path(spec),
                                spec->gitops.argocd_namespace, sync)}};
}

Json git_repository(const ValidSpec& spec) {
  const std::string url = flux_git_url(spec->gitops.repo_url);
  Json s{{"interval", "1m"}, {"url", url}, {"ref", Json{{"branch", spec->gitops.revision}}}};
  if (const std::string secret = flux_git_secret(spec); !secret.empty()) {
    s["secretRef"] = Json{{"name", secret}};
  }
  return Json{{"apiVersion", "source.toolkit.fluxcd.io/v1"},
              {"kind", "GitRepository"},
              {"metadata", meta("neon-" + spec->name, spec->gitops.flux_namespace)},
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

/// A Kustomization at `folder` (under the cluster path), named `name`, after `depends_on` (empty:
/// none). `retry` comes from the stage table.
Json flux_kustomization(const ValidSpec& spec, const std::string& name, const std::string& folder, const char* retry,
                        const std::vector<Json>& objects, const std::string& depends_on) {
  Json s{{"interval", "10m"},
         {"retryInterval", retry},
         {"timeout", minutes(stage_timeout_seconds(objects))},
         {"sourceRef", Json{{"kind", "GitRepository"}, {"name", "neon-" + spec->name}}},
         {"path", "./" + cluster_path(spec) + "/" + folder},
         {"prune", true},
         {"wait", true}};
  if (!depends_on.empty()) {
    s["dependsOn"] = Json::array({Json{{"name", depends_on}}});
  }
  if (!spec->gitops.sops_secret.empty()) {
    s["decryption"] = Json{{"provider", "sops"}, {"secretRef", Json{{"name", spec->gitops.sops_secret}}}};
  }
  return Json{{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
              {"kind", "Kustomization"},
              {"metadata", meta(name, spec->gitops.flux_namespace)},
              {"spec", s}};
}

/// Flux's pointer at the bootstrap folder itself (as `flux bootstrap`'s flux-system Kustomization
/// does): applied once by hand, it then keeps the GitRepository and the stage Kustomizations as Git
/// says.
Json flux_bootstrap(const ValidSpec& spec) {
  return Json{{"apiVersion", "kustomize.toolkit.fluxcd.io/v1"},
              {"kind", "Kustomization"},
              {"metadata", meta("neon-" + spec->name + "-bootstrap", spec->gitops.flux_namespace)},
              {"spec", Json{{"interval", "10m"},
                            {"retryInterval", "1m"},
                            {"timeout", "2m"},
                            {"sourceRef", Json{{"kind", "GitRepository"}, {"name", "neon-" + spec->name}}},
                            {"path", "./" + bootstrap_path(spec)},
                            {"prune", true},
                            {"wait", true}}}};
}

/// Split by project: the Application of one stage, in the bootstrap app of apps' sync wave of
/// the stage, so the stages converge in their order (given Argo CD's Application health check).
Json stage_application(const ValidSpec& spec, const Stage& stage) {
  Json s = app_spec(spec, argocd_project(spec), cluster_path(spec) + "/" + stage.name, spec->namespace_, sync_policy());
  s["ignoreDifferences"] = statefulset_ignore_differences();
  Json m = meta("neon-" + spec->name + "-" + stage.name, spec->gitops.argocd_namespace);
  m["annotations"] = Json{{k_wave, std::to_string(stage.wave)}};
  return Json{{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Application"}, {"metadata", m}, {"spec", s}};
}

/// Split by project: one Application per folder under projects/ (a Git directory generator), in a
/// wave after the compute stage's Application, so after storage and control too. The
/// Applications carry the resources finalizer: a project gone from the spec takes its computes
/// (stateless; its data stays in storage) with it. preserveResourcesOnDeletion: deleting the
/// ApplicationSet itself deletes nothing in the cluster.
Json projects_application_set(const ValidSpec& spec) {
  const Stage& compute = *stage_of("compute");
  Json app_meta = meta(project_unit_name(spec->name, "{{.path.basename}}"), spec->gitops.argocd_namespace);
  app_meta["finalizers"] = Json::array({"resources-finalizer.argocd.argoproj.io"});
  Json m = meta("neon-" + spec->name + "-projects", spec->gitops.argocd_namespace);
  m["annotations"] = Json{{k_wave, std::to_string(compute.wave + 1)}};
  // One template for every project's Application: each ignores the replicas of every suspendable
  // compute, its own among them (the others' names match nothing in it).
  Json app = app_spec(spec, argocd_project(spec), "{{.path.path}}", spec->namespace_, sync_policy());
  ignore_suspendable_replicas(spec, app);
  return Json{
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "ApplicationSet"},
      {"metadata", m},
      {"spec",
       Json{{"goTemplate", true},
            {"goTemplateOptions", Json::array({"missingkey=error"})},
            {"generators",
             Json::array({Json{
                 {"git", Json{{"repoURL", spec->gitops.repo_url},
                              {"revision", spec->gitops.revision},
                              {"directories", Json::array({Json{{"path", cluster_path(spec) + "/projects/*"}}})}}}}})},
            {"syncPolicy", Json{{"preserveResourcesOnDeletion", true}}},
            {"template", Json{{"metadata", app_meta}, {"spec", std::move(app)}}}}}};
}

std::string file(const Json& object) { return std::string(k_generated_header) + to_yaml(object); }

}  // namespace

std::string project_unit_name(const std::string& cluster, const std::string& project) {
  return "neon-" + cluster + "-project-" + project;
}

std::string bootstrap_path(const ValidSpec& spec) { return "bootstrap/" + spec->name; }

std::string argocd_project(const ValidSpec& spec) { return "neon-" + spec->name; }

std::string flux_git_secret(const ValidSpec& spec) {
  if (spec->gitops.target != GitopsTarget::flux) {
    return "";
  }
  if (!spec->gitops.secret_ref.empty()) {
    return spec->gitops.secret_ref;
  }
  // SSH needs an identity; a public HTTPS repository needs nothing, so no Secret is assumed there.
  return flux_git_url(spec->gitops.repo_url).rfind("ssh://", 0) == 0 ? "neon-" + spec->name + "-git" : "";
}

std::vector<Diagnostic> prerequisite_warnings(const ValidSpec& spec) {
  std::vector<Diagnostic> out;
  if (spec->monitoring) {
    Diagnostic d;
    d.file = spec->file;
    d.mark = spec->mark_of("spec.monitoring.enabled");
    d.path = "spec.monitoring.enabled";
    d.message =
        "the ServiceMonitors need the Prometheus Operator's CRDs (servicemonitors.monitoring.coreos.com) in "
        "the cluster; without them only the monitoring stage fails to sync";
    d.warning = true;
    out.push_back(std::move(d));
  }
  if (spec->tls.enabled && !spec->tls.issuer_name.empty()) {
    Diagnostic d;
    d.file = spec->file;
    d.mark = spec->mark_of("spec.tls.issuerRef.name");
    d.path = "spec.tls.issuerRef.name";
    d.message = fmt::format(
        "the Certificates need cert-manager (certificates.cert-manager.io) and the {} {} in the cluster; until "
        "it issues them the storage controller and the compute hook wait for their TLS Secrets",
        spec->tls.issuer_kind, spec->tls.issuer_name);
    d.warning = true;
    out.push_back(std::move(d));
  }
  return out;
}

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
      add("appproject-neon-" + spec->name + ".yaml", app_project(spec));
      add("appproject-neon-" + spec->name + "-bootstrap.yaml", bootstrap_project(spec));
      if (split_by_project(spec)) {
        for (const auto& stage : stages()) {
          add("application-neon-" + spec->name + "-" + stage.name + ".yaml", stage_application(spec, stage));
        }
        add("applicationset-neon-" + spec->name + "-projects.yaml", projects_application_set(spec));
      } else {
        add("application-neon-" + spec->name + ".yaml", application(spec));
      }
      add("application-neon-" + spec->name + "-bootstrap.yaml", bootstrap_application(spec));
      break;
    case GitopsTarget::flux: {
      add("gitrepository-neon-" + spec->name + ".yaml", git_repository(spec));
      add("kustomization-neon-" + spec->name + "-bootstrap.yaml", flux_bootstrap(spec));
      const auto objects = stage_objects(spec);
      std::string previous;
      for (std::size_t i = 0; i < stages().size(); ++i) {
        const Stage& stage = stages()[i];
        const std::string name = "neon-" + spec->name + "-" + stage.name;
        add("kustomization-" + name + ".yaml",
            flux_kustomization(spec, name, stage.name, stage.retry_interval, objects.at(i), previous));
        previous = name;
      }
      // One per project, side by side, each after the compute stage (and so after every stage
      // its computes need at start: control, storage; stages.hpp start_needs).
      const Stage& compute = *stage_of("compute");
      for (const auto& [project, project_objs] : project_objects(spec)) {
        const std::string name = project_unit_name(spec->name, project);
        add("kustomization-" + name + ".yaml",
            flux_kustomization(spec, name, project_folder(project), compute.retry_interval, project_objs,
                               "neon-" + spec->name + "-" + compute.name));
      }
      break;
    }
  }
  tree[dir + "kustomization.yaml"] = file(
      Json{{"apiVersion", "kustomize.config.k8s.io/v1beta1"}, {"kind", "Kustomization"}, {"resources", resources}});
  return tree;
}

}  // namespace neon::gen
