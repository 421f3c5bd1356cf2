#include "generators/layout.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>
#include <set>

#include "generators/dev_extras.hpp"
#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/network_policy.hpp"
#include "generators/proxy.hpp"
#include "generators/registry.hpp"
#include "generators/stages.hpp"

namespace neon::gen {
namespace {

constexpr const char* k_kustomize_api = "kustomize.config.k8s.io/v1beta1";
constexpr const char* k_component_api = "kustomize.config.k8s.io/v1alpha1";
constexpr const char* k_overlay_root = "overlays/components/";
constexpr const char* k_wave_annotation = "argocd.argoproj.io/sync-wave";

/// Shipped kustomize Components, the spec switch that turns each on, and what the stage's
/// kustomization sets from the spec in its objects (nullptr: nothing), and the files built from
/// the spec in C++ after the shipped ones (nullptr: none). Their stage comes from the stage table
/// (generators/stages.hpp).
struct Feature {
  const char* name;
  bool (*enabled)(const ClusterSpec&);
  void (*transformers)(const ClusterSpec&, Transformers&);
  std::vector<GeneratedFile> (*generated)(const ClusterSpec&);
};

/// components/monitoring's files built from the spec: the metrics NetworkPolicies, and the proxy's
/// ServiceMonitor when spec.proxy is on (the shipped ones cover the components every cluster has).
std::vector<GeneratedFile> monitoring_files(const ClusterSpec& s) {
  std::vector<GeneratedFile> out = metrics_policy_files(s);
  if (Json monitor = proxy_service_monitor(s); !monitor.is_null()) {
    out.push_back({"servicemonitor-proxy.yaml",
                   "# The proxy's /metrics, through its ClusterIP metrics Service (the public one leaves port\n"
                   "# 7001 off the load balancer).\n",
                   {std::move(monitor)}});
  }
  return out;
}

const std::array<Feature, 4>& features() {
  static const std::array<Feature, 4> k_features = {
      Feature{"dev-minio", [](const ClusterSpec& s) { return s.object_storage.minio; }, &dev_minio_transformers,
              nullptr},
      Feature{"dev-postgres",
              [](const ClusterSpec& s) { return s.storage_controller.database == DatabaseMode::in_cluster; },
              &dev_postgres_transformers, nullptr},
      Feature{"network-policy", [](const ClusterSpec& s) { return s.network_policies; }, nullptr,
              &network_policy_files},
      Feature{"monitoring", [](const ClusterSpec& s) { return s.monitoring; }, nullptr, &monitoring_files},
  };
  return k_features;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string generated(const Json& doc) { return std::string(k_generated_header) + to_yaml(doc); }

/// A plain Kustomization: no `namespace:`, `images:` or `patches:`. The generator writes every
/// value into the objects once, so kustomize only gathers them: a transformer costs every build
/// (each Argo CD or Flux sync) about as much again as reading the objects.
Json kustomization() { return Json{{"apiVersion", k_kustomize_api}, {"kind", "Kustomization"}}; }

}  // namespace

Json namespace_manifest(const ClusterSpec& s) {
  Json labels = common_labels(s.namespace_, "namespace");
  // Every pod of the tree (dev services too) meets the restricted profile: non-root, seccomp, no
  // capabilities, no privilege escalation. Anything else added to the namespace must as well.
  labels["pod-security.kubernetes.io/enforce"] = "restricted";
  labels["pod-security.kubernetes.io/warn"] = "restricted";
  // In the first wave: Argo CD applies Namespaces before every other kind of the same wave.
  return Json{{"apiVersion", "v1"},
              {"kind", "Namespace"},
              {"metadata", Json{{"name", s.namespace_},
                                {"labels", labels},
                                // Deleting the Namespace deletes every PVC in it: no sync may.
                                {"annotations", Json{{k_wave_annotation, std::to_string(stages().front().wave)},
                                                     {k_argocd_sync_options, "Prune=false,Delete=false"},
                                                     {k_flux_prune, "Disabled"}}}}}};
}

namespace {

std::string local_component_text(const std::string& what, const std::string& ns) {
  return "# Your changes to " + what +
         ": add patches and resources here.\n"
         "# kubectl neon generate created this file once and never overwrites it; everything outside\n"
         "# local/ is regenerated, so edit this kustomize Component instead of the generated files.\n"
         "# The generated objects carry `namespace: " +
         ns +
         "`: a patch without `target:` names it in its metadata, and a\n"
         "# resource you add here sets it too.\n"
         "apiVersion: " +
         k_component_api +
         "\n"
         "kind: Component\n"
         "resources: []\n"
         "patches: []\n";
}

/// The stage of a component folder or feature; one the table forgot goes with the computes.
const Stage& stage_for(const std::string& component) {
  const Stage* s = stage_of(component);
  return s != nullptr ? *s : *stage_of("compute");
}

/// Features on in this spec that ship a Component, in table order.
std::vector<Feature> active_features(const ClusterSpec& s) {
  std::vector<Feature> out;
  for (const auto& f : features()) {
    if (f.enabled(s) && !embedded_under(std::string(k_overlay_root) + f.name + "/").empty()) {
      out.push_back(f);
    }
  }
  return out;
}
bool is_cluster_scoped(const std::string& kind) {
  static const std::set<std::string> k_kinds = {"Namespace",
                                                "ClusterRole",
                                                "ClusterRoleBinding",
                                                "CustomResourceDefinition",
                                                "StorageClass",
                                                "PersistentVolume",
                                                "PriorityClass",
                                                "MutatingWebhookConfiguration",
                                                "ValidatingWebhookConfiguration"};
  return k_kinds.count(kind) > 0;
}

/// Writes the cluster's namespace into a namespaced object, right after its name: the work
/// kustomize's namespace transformer would otherwise redo over every object at every sync.
void set_namespace(Json& o, const std::string& ns) {
  if (is_cluster_scoped(o.value("kind", "")) || !o.contains("metadata") || !o["metadata"].is_object()) {
    return;
  }
  const Json& old = o["metadata"];
  Json meta = Json::object();
  if (old.contains("name")) {
    meta["name"] = old["name"];
  }
  meta["namespace"] = ns;
  for (const auto& [key, value] : old.items()) {
    if (key != "name" && key != "namespace") {
      meta[key] = value;
    }
  }
  o["metadata"] = std::move(meta);
}

/// Kinds whose CRDs the cluster may lack (the Prometheus Operator's): Argo CD skips their dry run
/// while the CRD is missing instead of failing the whole sync.
bool needs_optional_crd(const std::string& kind) { return kind == "ServiceMonitor" || kind == "PodMonitor"; }

/// `options` with `option` added (comma-joined, as Argo CD reads the annotation), unless present.
std::string with_sync_option(const std::string& options, const std::string& option) {
  if (options.empty()) {
    return option;
  }
  return ("," + options + ",").find("," + option + ",") != std::string::npos ? options : options + "," + option;
}

/// The comment lines a shipped file starts with, its generated header left out.
std::string leading_comments(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == '#') {
    const auto nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::string_view line = text.substr(pos, end - pos);
    if (line != k_generated_header) {
      out += line;
      if (line.back() != '\n') {
        out += '\n';
      }
    }
    pos = end;
  }
  return out;
}

/// One file of a shipped Component as the tree holds it.
struct FeatureFile {
  std::string name;      ///< file name in components/<feature>/
  std::string comments;  ///< the shipped file's leading comments
  std::vector<Json> objects;
};

/// A shipped Component's files with the spec applied once, here, instead of by kustomize at every
/// build: the spec's images and names (the feature's transformers), the stage's sync wave,
/// SkipDryRunOnMissingResource on objects of optional CRDs (their other sync options kept), and
/// the namespace. The Component's own kustomization.yaml comes first, its objects empty.
std::vector<FeatureFile> feature_files(const ClusterSpec& s, const Feature& f) {
  const std::string root = std::string(k_overlay_root) + f.name + "/";
  std::vector<FeatureFile> out;
  const auto kz = embedded(root + "kustomization.yaml");
  if (!kz) {
    return out;
  }
  out.push_back(FeatureFile{"kustomization.yaml", leading_comments(*kz), {}});
  auto docs = parse_yaml_stream(*kz);
  if (!docs || docs->empty() || !(*docs)[0].contains("resources")) {
    return out;
  }
  Transformers tx;
  if (f.transformers != nullptr) {
    f.transformers(s, tx);
  }
  const std::string wave = std::to_string(stage_for(f.name).wave);
  auto finish = [&](std::vector<Json>& objects) {
    for (auto& o : objects) {
      Json& annotations = o["metadata"]["annotations"];
      annotations[k_wave_annotation] = wave;
      if (needs_optional_crd(o.value("kind", ""))) {
        annotations[k_argocd_sync_options] =
            with_sync_option(annotations.value(k_argocd_sync_options, ""), "SkipDryRunOnMissingResource=true");
      }
      set_namespace(o, s.namespace_);
    }
  };
  for (const auto& file : (*docs)[0]["resources"]) {
    const std::string name = file.get<std::string>();
    const auto text = embedded(root + name);
    if (!text) {
      continue;
    }
    auto objects = parse_yaml_stream(*text);
    if (!objects) {
      continue;
    }
    apply_transformers(*objects, tx);
    finish(*objects);
    out.push_back(FeatureFile{name, leading_comments(*text), std::move(*objects)});
  }
  if (f.generated != nullptr) {
    for (auto& g : f.generated(s)) {
      finish(g.objects);
      out.push_back(FeatureFile{g.name, g.comments, std::move(g.objects)});
    }
  }
  return out;
}

std::string feature_file_text(const FeatureFile& f) {
  std::string out = std::string(k_generated_header) + f.comments;
  if (f.objects.size() == 1) {
    return out + to_yaml(f.objects.front());
  }
  return out + to_yaml_stream(f.objects);
}

struct Components {
  /// component folder -> file name -> object, in registry order of first appearance.
  std::vector<std::pair<std::string, std::map<std::string, Json>>> folders;
};

constexpr const char* k_projects = "projects";

bool is_project_folder(const std::string& folder) { return folder.rfind(std::string(k_projects) + "/", 0) == 0; }

/// Every generator's objects by component folder (a project's in its project folder when split),
/// each with its stage's sync wave and the cluster's namespace.
Components collect(const ValidSpec& spec) {
  Components out;
  const bool split = split_by_project(spec);
  for (const auto& g : generators()) {
    for (auto& r : g.fn(spec)) {
      const std::string folder = split && !r.project.empty() ? project_folder(r.project) : r.component;
      auto it = std::find_if(out.folders.begin(), out.folders.end(), [&](const auto& f) { return f.first == folder; });
      if (it == out.folders.end()) {
        out.folders.emplace_back(folder, std::map<std::string, Json>{});
        it = std::prev(out.folders.end());
      }
      const std::string file = lower(r.kind()) + "-" + r.name() + ".yaml";
      r.body["metadata"]["annotations"][k_wave_annotation] = std::to_string(stage_for(r.component).wave);
      set_namespace(r.body, spec->namespace_);
      it->second[file] = std::move(r.body);
    }
  }
  return out;
}

}  // namespace

bool split_by_project(const ValidSpec& spec) { return spec->gitops.split == GitopsSplit::project; }

std::string project_folder(const std::string& project) { return std::string(k_projects) + "/" + project; }

std::string cluster_path(const ValidSpec& spec) {
  std::string path = spec->gitops.path.empty() ? "clusters/" + spec->name : spec->gitops.path;
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

std::vector<std::string> stage_folders() {
  std::vector<std::string> out;
  for (const auto& st : stages()) {
    out.emplace_back(st.name);
  }
  return out;
}

std::vector<std::string> user_owned_paths(const ValidSpec& spec) {
  std::vector<std::string> out;
  for (const auto& st : stages()) {
    out.push_back(cluster_path(spec) + "/local/" + st.name + "/kustomization.yaml");
  }
  if (split_by_project(spec)) {
    for (const auto& p : spec->projects) {
      out.push_back(cluster_path(spec) + "/local/" + project_folder(p.name) + "/kustomization.yaml");
    }
  }
  return out;
}

bool is_generated(const std::string& file_content) {
  const std::string_view header(k_generated_header);
  return file_content.compare(0, header.size(), header) == 0;
}

FileTree generate_tree(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  const std::string root = cluster_path(spec) + "/";
  FileTree tree;
  const Components comps = collect(spec);

  for (const auto& [folder, files] : comps.folders) {
    Json list = Json::array();
    for (const auto& [file, body] : files) {
      tree[root + folder + "/" + file] = generated(body);
      list.push_back(file);
    }
    if (folder == stage_for(folder).name) {
      continue;  // the stage folder itself lists these files
    }
    Json k = kustomization();
    k["resources"] = list;
    if (is_project_folder(folder)) {
      // The project's own Component: the compute stage's local/compute no longer reaches it.
      k["components"] = Json::array({"../../local/" + folder});
      tree[root + "local/" + folder + "/kustomization.yaml"] =
          local_component_text("project " + folder.substr(folder.find('/') + 1) + "'s objects", s.namespace_);
    }
    tree[root + folder + "/kustomization.yaml"] = generated(k);
  }

  const std::vector<Feature> on = active_features(s);
  for (const auto& f : on) {
    Json resources = Json::array();
    for (const auto& file : feature_files(s, f)) {
      if (file.name == "kustomization.yaml") {
        continue;
      }
      tree[root + "components/" + f.name + "/" + file.name] = feature_file_text(file);
      resources.push_back(file.name);
    }
    Json k{{"apiVersion", k_component_api}, {"kind", "Component"}, {"resources", resources}};
    const auto shipped = embedded(std::string(k_overlay_root) + f.name + "/kustomization.yaml");
    tree[root + "components/" + f.name + "/kustomization.yaml"] =
        std::string(k_generated_header) + leading_comments(shipped ? *shipped : std::string_view()) + to_yaml(k);
  }

  Json folders = Json::array();
  for (const auto& st : stages()) {
    const std::string name = st.name;
    Json resources = Json::array();
    if (&stage_for("namespace") == &st) {
      tree[root + name + "/namespace.yaml"] = generated(namespace_manifest(s));
      resources.push_back("namespace.yaml");
    }
    for (const auto& [folder, files] : comps.folders) {
      if (&stage_for(folder) != &st || is_project_folder(folder)) {
        continue;
      }
      if (folder == name) {
        // A component named like its stage (compute) lives in the stage folder itself.
        for (const auto& entry : files) {
          resources.push_back(entry.first);
        }
      } else {
        resources.push_back("../" + folder);
      }
    }
    Json components = Json::array();
    for (const auto& f : on) {
      if (&stage_for(f.name) == &st) {
        components.push_back(std::string("../components/") + f.name);
      }
    }
    components.push_back("../local/" + name);
    Json k = kustomization();
    k["resources"] = resources;
    k["components"] = components;
    tree[root + name + "/kustomization.yaml"] = generated(k);
    tree[root + "local/" + name + "/kustomization.yaml"] = local_component_text("the " + name + " stage", s.namespace_);
    folders.push_back(name);
    if (split_by_project(spec) && name == std::string("compute")) {
      // Every project folder, so the root still builds the whole cluster (render, kubectl apply -k).
      Json projects = Json::array();
      for (const auto& p : s.projects) {
        projects.push_back(p.name);
      }
      Json pk = kustomization();
      pk["resources"] = projects;
      tree[root + k_projects + "/kustomization.yaml"] = generated(pk);
      folders.push_back(k_projects);
    }
  }

  Json k = kustomization();
  k["resources"] = folders;
  tree[root + "kustomization.yaml"] = generated(k);
  return tree;
}

std::vector<std::vector<Json>> stage_objects(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  const Components comps = collect(spec);
  const std::vector<Feature> on = active_features(s);
  std::vector<std::vector<Json>> out;
  // Stage by stage, as each stage's kustomization builds: its resources, then its Components'
  // objects (every value already in the files: the tree has no transformer).
  for (const auto& st : stages()) {
    std::vector<Json> objects;
    if (&stage_for("namespace") == &st) {
      objects.push_back(namespace_manifest(s));
    }
    for (const auto& [folder, files] : comps.folders) {
      if (&stage_for(folder) == &st && !is_project_folder(folder)) {
        for (const auto& entry : files) {
          objects.push_back(entry.second);
        }
      }
    }
    for (const auto& f : on) {
      if (&stage_for(f.name) == &st) {
        for (auto& file : feature_files(s, f)) {
          for (auto& o : file.objects) {
            objects.push_back(std::move(o));
          }
        }
      }
    }
    out.push_back(std::move(objects));
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<Json>>> project_objects(const ValidSpec& spec) {
  std::vector<std::pair<std::string, std::vector<Json>>> out;
  Components comps = collect(spec);
  for (auto& [folder, files] : comps.folders) {
    if (is_project_folder(folder)) {
      out.emplace_back(folder.substr(folder.find('/') + 1), std::vector<Json>{});
      for (auto& entry : files) {
        out.back().second.push_back(std::move(entry.second));
      }
    }
  }
  return out;
}

std::string render_stream(const ValidSpec& spec) {
  std::vector<Json> objects;
  for (auto& stage : stage_objects(spec)) {
    objects.insert(objects.end(), std::make_move_iterator(stage.begin()), std::make_move_iterator(stage.end()));
  }
  for (auto& project : project_objects(spec)) {
    objects.insert(objects.end(), std::make_move_iterator(project.second.begin()),
                   std::make_move_iterator(project.second.end()));
  }
  sort_for_output(objects);
  return to_yaml_stream(objects);
}

}  // namespace neon::gen
