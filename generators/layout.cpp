#include "generators/layout.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>
#include <set>

#include "generators/dev_extras.hpp"
#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/registry.hpp"

namespace neon::gen {
namespace {

constexpr const char* k_kustomize_api = "kustomize.config.k8s.io/v1beta1";
constexpr const char* k_component_api = "kustomize.config.k8s.io/v1alpha1";
constexpr const char* k_overlay_root = "overlays/components/";
constexpr std::array<Tier, 3> k_tiers = {Tier::storage, Tier::control, Tier::compute};

/// Shipped kustomize Components, the spec switch that turns each on, and what the tier's
/// kustomization sets from the spec in its objects (nullptr: nothing).
struct Feature {
  const char* name;
  Tier tier;
  bool (*enabled)(const ClusterSpec&);
  void (*transformers)(const ClusterSpec&, Transformers&);
};

const std::array<Feature, 4>& features() {
  static const std::array<Feature, 4> k_features = {
      Feature{"dev-minio", Tier::storage, [](const ClusterSpec& s) { return s.object_storage.minio; },
              &dev_minio_transformers},
      Feature{"dev-postgres", Tier::storage,
              [](const ClusterSpec& s) { return s.storage_controller.database == DatabaseMode::in_cluster; },
              &dev_postgres_transformers},
      Feature{"network-policy", Tier::storage, [](const ClusterSpec& s) { return s.network_policies; },
              nullptr},
      Feature{"monitoring", Tier::control, [](const ClusterSpec& s) { return s.monitoring; }, nullptr},
  };
  return k_features;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string generated(const Json& doc) { return std::string(k_generated_header) + to_yaml(doc); }

Json kustomization(const std::string& ns) {
  Json k{{"apiVersion", k_kustomize_api}, {"kind", "Kustomization"}};
  if (!ns.empty()) {
    k["namespace"] = ns;
  }
  return k;
}

Json namespace_object(const ClusterSpec& s) {
  Json labels = common_labels(s.namespace_, "namespace");
  // Dev services and the neon components all run as non-root with seccomp; warn on anything else.
  labels["pod-security.kubernetes.io/enforce"] = "baseline";
  labels["pod-security.kubernetes.io/warn"] = "restricted";
  return Json{{"apiVersion", "v1"},
              {"kind", "Namespace"},
              {"metadata", Json{{"name", s.namespace_},
                                {"labels", labels},
                                // Deleting the Namespace deletes every PVC in it: no sync may.
                                {"annotations", Json{{"argocd.argoproj.io/sync-wave", "-1"},
                                                     {k_argocd_sync_options, "Prune=false,Delete=false"},
                                                     {k_flux_prune, "Disabled"}}}}}};
}

std::string local_component_text(Tier tier) {
  return std::string("# Your changes to the ") + tier_name(tier) +
         " tier: add patches and resources here.\n"
         "# kubectl neon generate created this file once and never overwrites it; everything outside\n"
         "# local/ is regenerated, so edit this kustomize Component instead of the generated files.\n"
         "apiVersion: " + k_component_api + "\n"
         "kind: Component\n"
         "resources: []\n"
         "patches: []\n";
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

/// The `images:` and `patches:` of tier `t`'s kustomization, from its active features.
Transformers tier_transformers(const ClusterSpec& s, Tier t, const std::vector<Feature>& on) {
  Transformers out;
  for (const auto& f : on) {
    if (f.tier == t && f.transformers != nullptr) {
      f.transformers(s, out);
    }
  }
  return out;
}

struct Components {
  /// component folder -> file name -> object, in registry order of first appearance.
  std::vector<std::pair<std::string, std::map<std::string, Json>>> folders;
  std::map<std::string, Tier> tiers;
};

Components collect(const ValidSpec& spec) {
  Components out;
  for (const auto& g : generators()) {
    for (auto& r : g.fn(spec)) {
      auto it = std::find_if(out.folders.begin(), out.folders.end(),
                             [&](const auto& f) { return f.first == r.component; });
      if (it == out.folders.end()) {
        out.folders.emplace_back(r.component, std::map<std::string, Json>{});
        out.tiers.emplace(r.component, g.tier);
        it = std::prev(out.folders.end());
      }
      const std::string file = lower(r.kind()) + "-" + r.name() + ".yaml";
      it->second[file] = std::move(r.body);
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

/// The objects a shipped Component adds: the files its kustomization lists under `resources:`.
std::vector<Json> feature_objects(const Feature& f) {
  const std::string root = std::string(k_overlay_root) + f.name + "/";
  std::vector<Json> out;
  const auto kz = embedded(root + "kustomization.yaml");
  if (!kz) {
    return out;
  }
  auto docs = parse_yaml_stream(*kz);
  if (!docs || docs->empty() || !(*docs)[0].contains("resources")) {
    return out;
  }
  for (const auto& file : (*docs)[0]["resources"]) {
    const auto text = embedded(root + file.get<std::string>());
    if (!text) {
      continue;
    }
    auto objects = parse_yaml_stream(*text);
    if (objects) {
      out.insert(out.end(), objects->begin(), objects->end());
    }
  }
  return out;
}

}  // namespace

std::string cluster_path(const ValidSpec& spec) {
  std::string path = spec->gitops.path.empty() ? "clusters/" + spec->name : spec->gitops.path;
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

std::vector<std::string> user_owned_paths(const ValidSpec& spec) {
  std::vector<std::string> out;
  for (Tier t : k_tiers) {
    out.push_back(cluster_path(spec) + "/local/" + tier_name(t) + "/kustomization.yaml");
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
    if (folder == tier_name(comps.tiers.at(folder))) {
      continue;  // the tier folder itself lists these files
    }
    Json k = kustomization("");
    k["resources"] = list;
    tree[root + folder + "/kustomization.yaml"] = generated(k);
  }

  const std::vector<Feature> on = active_features(s);
  for (const auto& f : on) {
    const std::string prefix = std::string(k_overlay_root) + f.name + "/";
    for (const auto& file : embedded_under(prefix)) {
      tree[root + "components/" + f.name + "/" + std::string(file.path.substr(prefix.size()))] =
          std::string(file.data);
    }
  }

  Json tiers = Json::array();
  for (Tier t : k_tiers) {
    const std::string name = tier_name(t);
    Json resources = Json::array();
    if (t == Tier::storage) {
      tree[root + "storage/namespace.yaml"] = generated(namespace_object(s));
      resources.push_back("namespace.yaml");
    }
    for (const auto& [folder, files] : comps.folders) {
      if (comps.tiers.at(folder) != t) {
        continue;
      }
      if (folder == name) {
        // A component named like its tier (compute) lives in the tier folder itself.
        for (const auto& entry : files) {
          resources.push_back(entry.first);
        }
      } else {
        resources.push_back("../" + folder);
      }
    }
    Json components = Json::array();
    for (const auto& f : on) {
      if (f.tier == t) {
        components.push_back(std::string("../components/") + f.name);
      }
    }
    components.push_back("../local/" + name);
    Json k = kustomization(s.namespace_);
    k["resources"] = resources;
    k["components"] = components;
    const Transformers tx = tier_transformers(s, t, on);
    if (!tx.images.empty()) {
      k["images"] = tx.images;
    }
    if (!tx.patches.empty()) {
      Json patches = Json::array();
      for (const auto& p : tx.patches) {
        patches.push_back(patch_entry(p));
      }
      k["patches"] = patches;
    }
    tree[root + name + "/kustomization.yaml"] = generated(k);
    tree[root + "local/" + name + "/kustomization.yaml"] = local_component_text(t);
    tiers.push_back(name);
  }

  Json k = kustomization(s.namespace_);
  k["resources"] = tiers;
  tree[root + "kustomization.yaml"] = generated(k);
  return tree;
}

std::string render_stream(const ValidSpec& spec) {
  const ClusterSpec& s = spec.spec();
  const Components comps = collect(spec);
  const std::vector<Feature> on = active_features(s);
  std::vector<Json> objects;
  // Tier by tier, as each tier's kustomization builds: its resources, its Components' objects,
  // then its own transformers over all of them.
  for (Tier t : k_tiers) {
    std::vector<Json> tier_objects;
    if (t == Tier::storage) {
      tier_objects.push_back(namespace_object(s));
    }
    for (const auto& [folder, files] : comps.folders) {
      if (comps.tiers.at(folder) == t) {
        for (const auto& entry : files) {
          tier_objects.push_back(entry.second);
        }
      }
    }
    for (const auto& f : on) {
      if (f.tier == t) {
        for (auto& o : feature_objects(f)) {
          tier_objects.push_back(std::move(o));
        }
      }
    }
    apply_transformers(tier_objects, tier_transformers(s, t, on));
    objects.insert(objects.end(), std::make_move_iterator(tier_objects.begin()),
                   std::make_move_iterator(tier_objects.end()));
  }
  for (auto& o : objects) {
    if (!is_cluster_scoped(o.value("kind", "")) && o.contains("metadata")) {
      o["metadata"]["namespace"] = s.namespace_;
    }
  }
  sort_for_output(objects);
  return to_yaml_stream(objects);
}

}  // namespace neon::gen
