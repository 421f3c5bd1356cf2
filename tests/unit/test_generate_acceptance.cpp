// Acceptance of the generated trees for the default spec, the starters and every example: the real
// `kubectl kustomize` builds the cluster folder and each tier folder, the offline schema validator
// accepts the objects and the GitOps bootstrap objects, render_stream agrees with kustomize, and
// the objects are wired together (addresses resolve to Services with that port, selectors select
// pods, node IDs are unique, no secret material, pinned images). Every wiring rule is also shown to
// reject a deliberately broken object list.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "generators/names.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/same_objects.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::gen::FileTree;
using neon::gen::Json;
using neon::gen::ValidSpec;
using Problems = std::vector<std::string>;

namespace {

struct SpecCase {
  std::string name;
  ValidSpec spec;
};

ValidSpec load_text(const std::string& text, const std::string& file) {
  auto loaded = neon::gen::load_spec(text, file);
  REQUIRE_MESSAGE(loaded.diagnostics.empty(), file);
  REQUIRE(loaded.spec);
  return *loaded.spec;
}

/// The default spec (what `-f` falls back to), the prod starter and every example, by name.
std::vector<SpecCase> acceptance_specs() {
  std::vector<SpecCase> out;
  out.push_back({"default", load_text(std::string(*neon::gen::embedded("schemas/starters/dev.yaml")), "dev.yaml")});
  out.push_back({"prod", load_text(std::string(*neon::gen::embedded("schemas/starters/prod.yaml")), "prod.yaml")});
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(neon::test::source_dir() / "schemas/examples")) {
    if (e.path().extension() == ".yaml") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    out.push_back({"examples-" + f.stem().string(), load_text(neon::test::read_text(f), f.string())});
  }
  return out;
}

std::map<std::string, std::string> relative(const FileTree& tree, const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& [path, data] : tree) {
    out[path.substr(root.size() + 1)] = data;
  }
  return out;
}

void write_all(const FileTree& tree, const fs::path& dir) {
  for (const auto& [path, data] : tree) {
    neon::test::write_text(dir / path, data);
  }
}

std::vector<Json> parse_stream(const std::string& text) {
  auto docs = neon::gen::parse_yaml_stream(text);
  REQUIRE(docs);
  return *docs;
}

std::string str(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

/// The pod template of a workload, or nullptr.
const Json* pod_template(const Json& obj) {
  static const std::set<std::string> k_direct = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"};
  const std::string kind = str(obj, "kind");
  if (k_direct.count(kind) != 0) {
    return &obj["spec"]["template"];
  }
  if (kind == "CronJob") {
    return &obj["spec"]["jobTemplate"]["spec"]["template"];
  }
  return nullptr;
}

std::vector<const Json*> containers(const Json& tmpl) {
  std::vector<const Json*> out;
  for (const char* key : {"initContainers", "containers"}) {
    if (tmpl["spec"].contains(key)) {
      for (const auto& c : tmpl["spec"][key]) {
        out.push_back(&c);
      }
    }
  }
  return out;
}

std::string where(const Json& obj) { return str(obj, "kind") + "/" + str(obj["metadata"], "name"); }

bool labels_match(const Json& selector, const Json& labels) {
  if (!selector.is_object() || selector.empty() || !labels.is_object()) {
    return false;
  }
  for (const auto& [k, v] : selector.items()) {
    if (!labels.contains(k) || labels[k] != v) {
      return false;
    }
  }
  return true;
}

const Json* find_object(const std::vector<Json>& objs, const std::string& kind, const std::string& name) {
  for (const auto& o : objs) {
    if (str(o, "kind") == kind && str(o["metadata"], "name") == name) {
      return &o;
    }
  }
  return nullptr;
}

/// Resolves one `host:port` to a Service of the output; "" when it does.
std::string resolve(const std::vector<Json>& objs, const std::string& host, int port) {
  const std::string suffix = ".svc.cluster.local";
  std::vector<std::string> parts;
  std::string rest = host;
  if (rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0) {
    rest.resize(rest.size() - suffix.size());
  }
  for (std::size_t start = 0;;) {
    const auto dot = rest.find('.', start);
    parts.push_back(rest.substr(start, dot - start));
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  const bool qualified = rest.size() != host.size();
  if (qualified && parts.size() != 2 && parts.size() != 3) {
    return "unrecognised service address";
  }
  const std::string svc_name = qualified ? parts[parts.size() - 2] : parts.back();
  const Json* svc = find_object(objs, "Service", svc_name);
  if (svc == nullptr) {
    return "no Service " + svc_name;
  }
  if (qualified && str((*svc)["metadata"], "namespace") != parts.back()) {
    return "Service " + svc_name + " is not in namespace " + parts.back();
  }
  bool has_port = false;
  for (const auto& p : (*svc)["spec"].value("ports", Json::array())) {
    has_port = has_port || p.value("port", 0) == port;
  }
  if (!has_port) {
    return fmt::format("Service {} has no port {}", svc_name, port);
  }
  if (parts.size() == 3) {
    if (str((*svc)["spec"], "clusterIP") != "None") {
      return "per-pod name through Service " + svc_name + ", which is not headless";
    }
    const std::string& pod = parts[0];
    for (const auto& o : objs) {
      if (str(o, "kind") != "StatefulSet" || str(o["spec"], "serviceName") != svc_name) {
        continue;
      }
      const int replicas = o["spec"].value("replicas", 1);
      if (pod.rfind("$(", 0) == 0 && replicas > 0) {
        return "";
      }
      const std::string set = str(o["metadata"], "name");
      if (pod.size() > set.size() + 1 && pod.compare(0, set.size() + 1, set + "-") == 0) {
        const std::string ord = pod.substr(set.size() + 1);
        if (std::all_of(ord.begin(), ord.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
            std::stoi(ord) < replicas) {
          return "";
        }
      }
    }
    return "no StatefulSet behind " + svc_name + " has a pod " + pod;
  }
  return "";
}

/// The namespace the objects live in.
std::string namespace_of(const std::vector<Json>& objs) {
  for (const auto& o : objs) {
    if (str(o, "kind") == "Namespace") {
      return str(o["metadata"], "name");
    }
  }
  return objs.empty() ? "" : str(objs.front()["metadata"], "namespace");
}

/// Every `host:port` in `text` that names a Service of the objects' namespace (or a bare Service
/// name), checked. Other namespaces hold user-provided services (an S3 endpoint), not ours.
void check_addresses(const std::vector<Json>& objs, const std::string& text, const std::string& at, Problems& out) {
  const std::string own = ".svc.cluster.local";
  static const std::regex k_addr(R"(([A-Za-z0-9$()_.-]+):([0-9]{1,5})(?![0-9]))");
  static const std::regex k_label(R"([a-z]([-a-z0-9]*[a-z0-9])?)");
  for (std::sregex_iterator it(text.begin(), text.end(), k_addr), end; it != end; ++it) {
    const std::string host = (*it)[1];
    const bool in_cluster = host.find(".svc.cluster.local") != std::string::npos;
    if (!in_cluster && (!std::regex_match(host, k_label) || host == "localhost")) {
      continue;
    }
    const std::string ns_suffix = "." + namespace_of(objs) + own;
    if (in_cluster && (host.size() < ns_suffix.size() ||
                       host.compare(host.size() - ns_suffix.size(), ns_suffix.size(), ns_suffix) != 0)) {
      continue;
    }
    const std::string why = resolve(objs, host, std::stoi((*it)[2]));
    if (!why.empty()) {
      out.push_back(fmt::format("{}: {}: {}", at, it->str(), why));
    }
  }
}

Problems wiring_problems(const std::vector<Json>& objs) {
  Problems out;
  for (const auto& o : objs) {
    if (str(o, "kind") == "ConfigMap") {
      const Json data = o.value("data", Json::object());
      for (const auto& [key, value] : data.items()) {
        check_addresses(objs, value.get<std::string>(), where(o) + " " + key, out);
      }
    }
    const Json* tmpl = pod_template(o);
    if (tmpl == nullptr) {
      continue;
    }
    for (const Json* c : containers(*tmpl)) {
      const std::string at = where(o) + " container " + str(*c, "name");
      for (const char* key : {"command", "args"}) {
        for (const auto& a : c->value(key, Json::array())) {
          check_addresses(objs, a.get<std::string>(), at, out);
        }
      }
      for (const auto& e : c->value("env", Json::array())) {
        check_addresses(objs, str(e, "value"), at + " env " + str(e, "name"), out);
      }
    }
  }
  return out;
}

/// Every Service and PodDisruptionBudget selects some workload's pods; Service target ports exist.
Problems selector_problems(const std::vector<Json>& objs) {
  Problems out;
  for (const auto& o : objs) {
    const std::string kind = str(o, "kind");
    if (kind != "Service" && kind != "PodDisruptionBudget") {
      continue;
    }
    const Json selector = kind == "Service"
                              ? o["spec"].value("selector", Json::object())
                              : o["spec"].value("selector", Json::object()).value("matchLabels", Json::object());
    std::vector<const Json*> pods;
    for (const auto& w : objs) {
      const Json* tmpl = pod_template(w);
      if (tmpl != nullptr &&
          labels_match(selector, tmpl->value("metadata", Json::object()).value("labels", Json::object()))) {
        pods.push_back(tmpl);
      }
    }
    if (pods.empty()) {
      out.push_back(where(o) + " selects no workload's pods");
      continue;
    }
    if (kind != "Service") {
      continue;
    }
    for (const auto& p : o["spec"].value("ports", Json::array())) {
      const Json target = p.contains("targetPort") ? p["targetPort"] : p["port"];
      bool found = false;
      for (const Json* tmpl : pods) {
        for (const Json* c : containers(*tmpl)) {
          for (const auto& cp : c->value("ports", Json::array())) {
            found = found || (target.is_string() ? cp.value("name", "") == target.get<std::string>()
                                                 : cp.value("containerPort", 0) == target.get<int>());
          }
        }
      }
      if (!found) {
        out.push_back(fmt::format("{} port {} targets {}, which no selected container exposes", where(o),
                                  p.value("name", ""), target.dump()));
      }
    }
  }
  return out;
}

/// Pageserver and safekeeper node IDs for every replica (zone number from `--zone-number`,
/// ordinal from the replica count), unique per component; NODE_ID env values follow the scheme.
Problems node_id_problems(const std::vector<Json>& objs) {
  Problems out;
  std::map<std::string, std::map<std::uint64_t, std::string>> seen;
  for (const auto& o : objs) {
    const Json* tmpl = pod_template(o);
    const std::string component = tmpl == nullptr
                                      ? ""
                                      : str(tmpl->value("metadata", Json::object()).value("labels", Json::object()),
                                            "app.kubernetes.io/component");
    if (str(o, "kind") != "StatefulSet" || (component != "pageserver" && component != "safekeeper")) {
      continue;
    }
    int zone = 0;
    for (const Json* c : containers(*tmpl)) {
      const auto args = c->value("args", Json::array());
      for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--zone-number" && i + 1 < args.size()) {
          zone = std::stoi(args[i + 1].get<std::string>());
        }
        // The bootstrap step writes the id (identity.toml, safekeeper.id) from the pod name; an
        // --id flag could disagree with it, and the pod-index label needs Kubernetes 1.28.
        if (args[i].is_string() && args[i].get<std::string>().rfind("--id", 0) == 0) {
          out.push_back(fmt::format("{} passes {}", where(o), args[i].get<std::string>()));
        }
      }
    }
    if (tmpl->dump().find("apps.kubernetes.io/pod-index") != std::string::npos) {
      out.push_back(where(o) + " depends on the pod-index label (Kubernetes 1.28+)");
    }
    if (zone < 1 || zone > neon::gen::names::k_max_zones) {
      out.push_back(where(o) + " has no valid --zone-number");
      continue;
    }
    for (int ord = 0; ord < o["spec"].value("replicas", 1); ++ord) {
      const auto id = neon::gen::names::node_id(zone, ord);
      const std::string pod = fmt::format("{}-{}", str(o["metadata"], "name"), ord);
      auto [it, inserted] = seen[component].emplace(id, pod);
      if (!inserted) {
        out.push_back(fmt::format("{} node ID {} of {} is also {}'s", component, id, pod, it->second));
      }
    }
  }
  return out;
}

void for_each_string(const Json& j, const std::function<void(const std::string&)>& f) {
  if (j.is_string()) {
    f(j.get<std::string>());
  } else if (j.is_structured()) {
    for (const auto& v : j) {
      for_each_string(v, f);
    }
  }
}

/// Objects that hold data or make it reachable must survive every sync: the Namespace (deleting
/// it deletes every PVC), PVCs, and StatefulSets with volumes. Argo CD: Prune=false,Delete=false;
/// Flux: kustomize.toolkit.fluxcd.io/prune: Disabled.
Problems data_problems(const std::vector<Json>& objs) {
  Problems out;
  for (const auto& o : objs) {
    const std::string kind = str(o, "kind");
    const bool holds_data = kind == "Namespace" || kind == "PersistentVolumeClaim" ||
                            (kind == "StatefulSet" && !o["spec"].value("volumeClaimTemplates", Json::array()).empty());
    if (!holds_data) {
      continue;
    }
    const Json annotations = o["metadata"].value("annotations", Json::object());
    const std::string argo = str(annotations, "argocd.argoproj.io/sync-options");
    if (argo.find("Prune=false") == std::string::npos || argo.find("Delete=false") == std::string::npos) {
      out.push_back(where(o) + " may be pruned or deleted by Argo CD");
    }
    if (str(annotations, "kustomize.toolkit.fluxcd.io/prune") != "Disabled") {
      out.push_back(where(o) + " may be pruned by Flux");
    }
  }
  return out;
}

Problems secret_problems(const std::vector<Json>& objs) {
  static const std::regex k_jwt(R"(eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)");
  Problems out;
  for (const auto& o : objs) {
    if (str(o, "kind") == "Secret") {
      out.push_back(where(o) + " is a Secret in the tree");
    }
    for_each_string(o, [&](const std::string& s) {
      if (s.find("-----BEGIN") != std::string::npos) {
        out.push_back(where(o) + " holds a PEM block");
      }
      if (std::regex_search(s, k_jwt)) {
        out.push_back(where(o) + " holds a JWT");
      }
    });
    const Json* tmpl = pod_template(o);
    for (const Json* c : tmpl == nullptr ? std::vector<const Json*>{} : containers(*tmpl)) {
      for (const auto& e : c->value("env", Json::array())) {
        std::string name = str(e, "name");
        std::transform(name.begin(), name.end(), name.begin(),
                       [](char ch) { return static_cast<char>(std::toupper(static_cast<unsigned char>(ch))); });
        const bool secretish = name.find("PASSWORD") != std::string::npos || name.find("TOKEN") != std::string::npos ||
                               name.find("SECRET") != std::string::npos || name.find("KEY") != std::string::npos;
        // A path names a file mounted from a Secret (NEON_HOOK_SIGNING_KEY_FILE), not the material.
        const std::string value = str(e, "value");
        if (secretish && !value.empty() && value.front() != '/') {
          out.push_back(fmt::format("{} env {} has a literal value", where(o), str(e, "name")));
        }
      }
    }
  }
  return out;
}

Problems image_problems(const std::vector<Json>& objs) {
  static const std::regex k_digest(R"(.+@sha256:[0-9a-f]{64})");
  Problems out;
  for (const auto& o : objs) {
    const Json* tmpl = pod_template(o);
    for (const Json* c : tmpl == nullptr ? std::vector<const Json*>{} : containers(*tmpl)) {
      const std::string image = str(*c, "image");
      const auto colon = image.rfind(':');
      const auto slash = image.rfind('/');
      const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash) &&
                          colon + 1 < image.size() && image.substr(colon + 1) != "latest";
      const bool pinned = image.find('@') != std::string::npos ? std::regex_match(image, k_digest) : tagged;
      if (!pinned) {
        out.push_back(fmt::format("{} container {} image \"{}\" is not pinned", where(o), str(*c, "name"), image));
      }
    }
  }
  return out;
}

std::string joined(const Problems& p) {
  std::string s;
  for (const auto& x : p) {
    s += x + "\n";
  }
  return s;
}

/// The bootstrap objects of `spec` retargeted at Argo CD and Flux.
std::map<std::string, FileTree> bootstrap_variants(const ValidSpec& spec) {
  std::map<std::string, FileTree> out;
  const std::vector<std::pair<std::string, neon::gen::GitopsTarget>> targets = {
      {"argocd", neon::gen::GitopsTarget::argocd}, {"flux", neon::gen::GitopsTarget::flux}};
  for (const auto& [name, target] : targets) {
    neon::gen::ClusterSpec s = spec.spec();
    s.gitops.target = target;
    if (s.gitops.repo_url.empty()) {
      s.gitops.repo_url = "https://git.example.com/platform/neon-gitops.git";
    }
    auto r = neon::gen::validate(s);
    REQUIRE(r.spec);
    out[name] = neon::gen::bootstrap_tree(*r.spec);
  }
  return out;
}

}  // namespace

TEST_SUITE("acceptance") {
  TEST_CASE("acceptance: the examples include prod, 3 zones, auth and 2 sharded projects with 10 branches") {
    bool found = false;
    for (const auto& c : acceptance_specs()) {
      const auto& s = c.spec.spec();
      std::size_t branches = 0;
      int sharded = 0;
      for (const auto& p : s.projects) {
        branches += p.branches.size();
        sharded += p.shard_count > 1 ? 1 : 0;
      }
      found = found ||
              (s.profile == neon::gen::Profile::prod && s.pageservers.zones.size() == 3 &&
               s.safekeepers.zones.size() == 3 && s.storage_controller.auth.enabled && sharded == 2 && branches == 10);
    }
    CHECK(found);
  }

  TEST_CASE("acceptance: kustomize builds, schemas, render agreement and wiring for every spec" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("kubectl");
    NEON_REQUIRE_TOOL("node");
    const fs::path checker = neon::test::source_dir() / "tests/schema-check";
    REQUIRE_MESSAGE(fs::exists(checker / "node_modules/kubernetes-models"),
                    "run 'npm ci --prefix tests/schema-check' first (tests/run.sh does)");
    for (const auto& c : acceptance_specs()) {
      CAPTURE(c.name);
      neon::test::ScratchDir dir("acceptance-" + c.name);
      write_all(neon::gen::generate_tree(c.spec), dir.path());
      const std::string root = neon::gen::cluster_path(c.spec);

      // 1. The cluster folder builds, and so does each stage alone (Flux applies them one by one),
      //    giving the objects stage_objects says (what the Flux timeouts are computed from).
      const auto built = neon::test::run_process({"kubectl", "kustomize", root}, dir.path());
      REQUIRE_MESSAGE(built.exit == 0, built.err);
      CHECK_MESSAGE(built.err.empty(), built.err);
      const auto objs = parse_stream(built.out);
      REQUIRE(!objs.empty());
      std::map<std::string, int> in_tiers;  // each object in exactly one unit (no double apply)
      const auto folders = neon::gen::stage_folders();
      const auto staged = neon::gen::stage_objects(c.spec);
      REQUIRE(staged.size() == folders.size());
      for (std::size_t i = 0; i < folders.size(); ++i) {
        const std::string& tier = folders[i];
        CAPTURE(tier);
        const auto t = neon::test::run_process({"kubectl", "kustomize", root + "/" + tier}, dir.path());
        REQUIRE_MESSAGE(t.exit == 0, t.err);
        CHECK_MESSAGE(t.err.empty(), t.err);
        const auto tier_objs = t.out.empty() ? std::vector<Json>{} : parse_stream(t.out);
        neon::test::check_same_objects(staged[i], tier_objs);
        for (const auto& o : tier_objs) {
          ++in_tiers[where(o)];
        }
      }
      // With spec.gitops.split: project, each project folder builds alone too (its own Application
      // or Kustomization), giving the objects project_objects says.
      for (const auto& [project, project_objs] : neon::gen::project_objects(c.spec)) {
        CAPTURE(project);
        const auto t = neon::test::run_process(
            {"kubectl", "kustomize", root + "/" + neon::gen::project_folder(project)}, dir.path());
        REQUIRE_MESSAGE(t.exit == 0, t.err);
        CHECK_MESSAGE(t.err.empty(), t.err);
        const auto built_objs = parse_stream(t.out);
        neon::test::check_same_objects(project_objs, built_objs);
        for (const auto& o : built_objs) {
          ++in_tiers[where(o)];
        }
      }
      for (const auto& o : objs) {
        if (str(o, "kind") != "Namespace") {
          CHECK_MESSAGE(in_tiers[where(o)] == 1, where(o) << " is in " << in_tiers[where(o)] << " units, not 1");
        }
      }

      // 2. One validator run: the built objects on stdin, the bootstrap objects as folders.
      std::vector<std::string> argv = {"node", (checker / "check-manifests.mjs").string(), "--fail-on-unchecked", "-"};
      for (const auto& [variant, tree] : bootstrap_variants(c.spec)) {
        REQUIRE(!tree.empty());
        write_all(tree, dir / ("boot-" + variant));
        argv.push_back((dir / ("boot-" + variant)).string());
      }
      const auto checked = neon::test::run_process(argv, dir.path(), {}, built.out);
      CHECK_MESSAGE(checked.exit == 0, checked.out << checked.err);
      const std::string lines = "\n" + checked.out;
      CHECK_MESSAGE(lines.find("\nerror ") == std::string::npos, checked.out);
      CHECK_MESSAGE(lines.find("\nunchecked ") == std::string::npos, checked.out);
      std::size_t stdin_ok = 0;
      for (std::size_t pos = 0; (pos = checked.out.find("ok <stdin>#", pos)) != std::string::npos; ++pos) {
        ++stdin_ok;
      }
      CHECK(stdin_ok == objs.size());
      CHECK(checked.out.find("Application") != std::string::npos);
      CHECK(checked.out.find("GitRepository") != std::string::npos);

      // 3. render_stream gives the same objects.
      neon::test::check_same_objects(parse_stream(neon::gen::render_stream(c.spec)), objs);

      // 4. Wiring.
      CHECK_MESSAGE(wiring_problems(objs).empty(), joined(wiring_problems(objs)));
      CHECK_MESSAGE(selector_problems(objs).empty(), joined(selector_problems(objs)));
      CHECK_MESSAGE(node_id_problems(objs).empty(), joined(node_id_problems(objs)));
      CHECK_MESSAGE(secret_problems(objs).empty(), joined(secret_problems(objs)));
      CHECK_MESSAGE(image_problems(objs).empty(), joined(image_problems(objs)));
      CHECK_MESSAGE(data_problems(objs).empty(), joined(data_problems(objs)));
    }
  }

  TEST_CASE("acceptance: every wiring rule rejects a broken object list") {
    const auto objs = parse_stream(neon::gen::render_stream(acceptance_specs().at(0).spec));
    REQUIRE(wiring_problems(objs).empty());
    auto mutate = [&](const std::string& kind, const std::string& name, const std::function<void(Json&)>& f) {
      auto copy = objs;
      bool hit = false;
      for (auto& o : copy) {
        if (str(o, "kind") == kind && (name.empty() || str(o["metadata"], "name") == name)) {
          f(o);
          hit = true;
          break;
        }
      }
      REQUIRE_MESSAGE(hit, kind << "/" << name);
      return copy;
    };
    auto pageserver_config = [](Json& o) {
      for (auto& [k, v] : o["data"].items()) {
        if (k == "pageserver.toml") {
          v = "broker_endpoint = \"http://storage-broker.neon.svc.cluster.local:50052\"\n";
        }
      }
    };
    const std::string ps_config = neon::gen::names::pageserver_set("") + "-config";
    CHECK(!wiring_problems(mutate("ConfigMap", ps_config, pageserver_config)).empty());
    CHECK(!wiring_problems(mutate("Service", neon::gen::names::k_broker, [](Json& o) {
             o["metadata"]["name"] = "x";
           })).empty());
    CHECK(!wiring_problems(mutate("Service", "safekeeper", [](Json& o) { o["spec"].erase("clusterIP"); })).empty());
    CHECK(!wiring_problems(mutate("StatefulSet", "safekeeper", [](Json& o) { o["spec"]["replicas"] = 2; })).empty());
    CHECK(!wiring_problems(mutate("StatefulSet", "safekeeper", [](Json& o) {
             o["spec"]["template"]["spec"]["containers"][0]["env"].push_back(
                 Json{{"name", "BROKER"}, {"value", "storage-broker:1"}});
           })).empty());

    CHECK(selector_problems(objs).empty());
    CHECK(!selector_problems(mutate("Service", neon::gen::names::k_broker, [](Json& o) {
             o["spec"]["selector"]["app.kubernetes.io/name"] = "nobody";
           })).empty());
    CHECK(!selector_problems(mutate("Service", neon::gen::names::k_broker, [](Json& o) {
             o["spec"]["ports"][0]["targetPort"] = 1;
           })).empty());
    auto pdb = objs;
    pdb.push_back(Json::parse(R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"p"},
        "spec":{"maxUnavailable":1,"selector":{"matchLabels":{"app.kubernetes.io/name":"nobody"}}}})"));
    CHECK(!selector_problems(pdb).empty());

    CHECK(node_id_problems(objs).empty());
    auto twin = mutate("StatefulSet", "safekeeper", [](Json&) {});
    twin.push_back(*find_object(twin, "StatefulSet", "safekeeper"));
    twin.back()["metadata"]["name"] = "safekeeper-b";
    CHECK(!node_id_problems(twin).empty());
    CHECK(!node_id_problems(mutate("StatefulSet", "safekeeper", [](Json& o) {
             o["spec"]["template"]["spec"]["containers"][0]["args"].push_back("--id=$(NODE_ID)");
           })).empty());
    CHECK(!node_id_problems(mutate("StatefulSet", "safekeeper", [](Json& o) {
             o["spec"]["template"]["spec"]["containers"][0]["env"].push_back(Json{
                 {"name", "POD_INDEX"},
                 {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels['apps.kubernetes.io/pod-index']"}}}}}});
           })).empty());

    CHECK(data_problems(objs).empty());
    CHECK(!data_problems(mutate("StatefulSet", "safekeeper", [](Json& o) {
             o["metadata"]["annotations"].erase("kustomize.toolkit.fluxcd.io/prune");
           })).empty());
    CHECK(!data_problems(mutate("Namespace", "", [](Json& o) {
             o["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] = "Delete=false";
           })).empty());

    CHECK(secret_problems(objs).empty());
    auto with_secret = objs;
    with_secret.push_back(Json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}})"));
    CHECK(!secret_problems(with_secret).empty());
    CHECK(!secret_problems(mutate("ConfigMap", ps_config, [](Json& o) {
             o["data"]["k"] = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n";
           })).empty());
    CHECK(!secret_problems(mutate("ConfigMap", ps_config, [](Json& o) {
             o["data"]["t"] = "token=eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6ImFkbWluIn0.c2ln";
           })).empty());
    CHECK(!secret_problems(mutate("StatefulSet", "safekeeper", [](Json& o) {
             o["spec"]["template"]["spec"]["containers"][0]["env"].push_back(
                 Json{{"name", "NEON_TOKEN"}, {"value", "$(OTHER)"}});
           })).empty());
    CHECK(!secret_problems(mutate("StatefulSet", "safekeeper", [](Json& o) {
             o["spec"]["template"]["spec"]["containers"][0]["env"].push_back(
                 Json{{"name", "aws_secret_access_key"}, {"value", "wJalrXUtnFEMI"}});
           })).empty());

    CHECK(image_problems(objs).empty());
    for (const std::string image : {"docker.io/neondatabase/neon", "docker.io/neondatabase/neon:latest",
                                    "localhost:5000/neon", "neon@sha256:abc"}) {
      CAPTURE(image);
      CHECK(!image_problems(mutate("StatefulSet", "safekeeper", [&](Json& o) {
               o["spec"]["template"]["spec"]["containers"][0]["image"] = image;
             })).empty());
    }
  }

  TEST_CASE("acceptance: golden trees for the examples, byte-identical when generated twice") {
    for (const auto& c : acceptance_specs()) {
      CAPTURE(c.name);
      const FileTree a = neon::gen::generate_tree(c.spec);
      if (c.name.rfind("examples-", 0) == 0) {
        const std::string diff =
            neon::test::check_golden_tree("trees/" + c.name, relative(a, neon::gen::cluster_path(c.spec)));
        CHECK_MESSAGE(diff.empty(), diff);
      }
    }
    // A fresh parse of the same text gives the same bytes, file by file.
    const auto first = acceptance_specs();
    const auto second = acceptance_specs();
    REQUIRE(first.size() == second.size());
    for (std::size_t i = 0; i < first.size(); ++i) {
      CAPTURE(first[i].name);
      const FileTree a = neon::gen::generate_tree(first[i].spec);
      const FileTree b = neon::gen::generate_tree(second[i].spec);
      CHECK(a == b);
      CHECK(neon::gen::render_stream(first[i].spec) == neon::gen::render_stream(second[i].spec));
    }
  }
}
