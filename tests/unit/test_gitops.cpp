// generators/gitops.hpp: the Argo CD and Flux objects that point at the cluster tree.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "generators/stages.hpp"
#include "generators/validate.hpp"
#include "tests/support/run.hpp"

using namespace neon::gen;

namespace {

std::string dev_text() { return std::string(*embedded("schemas/starters/dev.yaml")); }

std::string with_gitops(const std::string& target, const std::string& url) {
  std::string text = dev_text();
  const std::string from = "  gitops:\n    target: none\n";
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(),
               "  gitops:\n    target: " + target + "\n    repoURL: " + url + "\n    revision: main\n");
  return text;
}

ValidSpec load(const std::string& text) {
  auto r = load_spec(text, "test.yaml");
  REQUIRE_MESSAGE(r.spec, (r.diagnostics.empty() ? "" : format_diagnostic(r.diagnostics.front())));
  return *r.spec;
}

Json parse_one(const std::string& text) {
  auto docs = parse_yaml_stream(text);
  REQUIRE(docs);
  REQUIRE(docs->size() == 1);
  return docs->front();
}

/// The component a generated object belongs to.
std::string component_of(const Json& o) {
  const Json::json_pointer p("/metadata/labels/app.kubernetes.io~1component");
  return o.contains(p) ? o.at(p).get<std::string>() : std::string();
}

/// Every `host:port` naming a Service of the cluster's namespace (or a bare Service name) in `text`,
/// as the Service's name.
std::set<std::string> services_named(const std::string& text, const std::string& ns) {
  static const std::regex k_addr(R"(([A-Za-z0-9$()_.-]+):([0-9]{1,5})(?![0-9]))");
  static const std::regex k_label(R"([a-z]([-a-z0-9]*[a-z0-9])?)");
  const std::string suffix = "." + ns + ".svc.cluster.local";
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), k_addr), end; it != end; ++it) {
    std::string host = (*it)[1];
    if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
      host.resize(host.size() - suffix.size());
      out.insert(host.substr(host.rfind('.') + 1));  // pod.service or service
    } else if (std::regex_match(host, k_label) && host != "localhost") {
      out.insert(host);
    }
  }
  return out;
}

/// Who calls whom, found in the objects: each workload's args, env values and mounted
/// ConfigMaps, resolved to the component of the Service they name.
std::set<std::pair<std::string, std::string>> calls_in(const std::vector<Json>& objects, const std::string& ns) {
  std::map<std::string, std::string> service_component;
  std::map<std::string, std::string> config_text;
  for (const auto& o : objects) {
    const std::string name = o["metadata"].value("name", "");
    if (o["kind"] == "Service") {
      service_component[name] = component_of(o);
    } else if (o["kind"] == "ConfigMap") {
      const Json data = o.value("data", Json::object());
      for (const auto& [k, v] : data.items()) {
        config_text[name] += v.get<std::string>() + "\n";
      }
    }
  }
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& o : objects) {
    if (o["kind"] != "Deployment" && o["kind"] != "StatefulSet" && o["kind"] != "Job") {
      continue;
    }
    const Json& pod = o["spec"]["template"]["spec"];
    std::string text;
    for (const char* list : {"initContainers", "containers"}) {
      for (const auto& c : pod.value(list, Json::array())) {
        for (const char* key : {"command", "args"}) {
          for (const auto& a : c.value(key, Json::array())) {
            text += a.get<std::string>() + "\n";
          }
        }
        for (const auto& e : c.value("env", Json::array())) {
          text += e.value("value", "") + "\n";
        }
      }
    }
    for (const auto& v : pod.value("volumes", Json::array())) {
      if (v.contains("configMap")) {
        text += config_text[v["configMap"].value("name", "")];
      }
    }
    const std::string from = component_of(o);
    for (const auto& svc : services_named(text, ns)) {
      const auto it = service_component.find(svc);
      if (it != service_component.end() && it->second != from) {
        out.insert({from, it->second});
      }
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("gitops") {
  TEST_CASE("gitops: scp-style URLs become ssh:// for Flux") {
    CHECK(flux_git_url("git@github.com:org/repo.git") == "ssh://git@github.com/org/repo.git");
    CHECK(flux_git_url("git@host:/abs/repo") == "ssh://git@host/abs/repo");
    CHECK(flux_git_url("https://github.com/org/repo.git") == "https://github.com/org/repo.git");
    CHECK(flux_git_url("ssh://git@github.com/org/repo") == "ssh://git@github.com/org/repo");
  }

  TEST_CASE("gitops: target none writes nothing") { CHECK(bootstrap_tree(load(dev_text())).empty()); }

  TEST_CASE("gitops: Argo CD Application at the cluster folder, retried, no cascade-delete finalizer") {
    const auto spec = load(with_gitops("argocd", "https://git.example.com/org/gitops.git"));
    const auto tree = bootstrap_tree(spec);
    REQUIRE(tree.size() == 5);
    const auto kust = parse_one(tree.at("bootstrap/dev/kustomization.yaml"));
    CHECK(kust["resources"] == Json::array({"appproject-neon-dev.yaml", "appproject-neon-dev-bootstrap.yaml",
                                            "application-neon-dev.yaml", "application-neon-dev-bootstrap.yaml"}));
    const std::string text = tree.at("bootstrap/dev/application-neon-dev.yaml");
    CHECK(text.rfind(k_generated_header, 0) == 0);
    const auto app = parse_one(text);
    CHECK(app["apiVersion"] == "argoproj.io/v1alpha1");
    CHECK(app["kind"] == "Application");
    CHECK(app["metadata"]["name"] == "neon-dev");
    CHECK(app["metadata"]["namespace"] == "argocd");
    CHECK_FALSE(app["metadata"].contains("finalizers"));
    CHECK(app["spec"]["source"]["repoURL"] == "https://git.example.com/org/gitops.git");
    CHECK(app["spec"]["source"]["targetRevision"] == "main");
    CHECK(app["spec"]["source"]["path"] == "clusters/dev");
    CHECK(app["spec"]["destination"]["namespace"] == "neon");
    CHECK(app["spec"]["syncPolicy"]["automated"]["prune"] == true);
    CHECK(app["spec"]["syncPolicy"]["automated"]["selfHeal"] == true);
    const auto& opts = app["spec"]["syncPolicy"]["syncOptions"];
    for (const char* o : {"ServerSideApply=true", "CreateNamespace=true", "PruneLast=true"}) {
      CHECK(std::find(opts.begin(), opts.end(), Json(o)) != opts.end());
    }
    const auto& retry = app["spec"]["syncPolicy"]["retry"];
    CHECK(retry["limit"].get<int>() > 0);
    CHECK(retry["backoff"]["duration"] == "30s");
    CHECK(retry["backoff"]["factor"] == 2);
    CHECK(retry["backoff"]["maxDuration"] == "5m");
    const auto& ignore = app["spec"]["ignoreDifferences"];
    REQUIRE(ignore.size() == 1);
    CHECK(ignore[0]["kind"] == "StatefulSet");
    CHECK(ignore[0]["group"] == "apps");
    CHECK(ignore[0]["jqPathExpressions"][0].get<std::string>().find("volumeClaimTemplates") != std::string::npos);
  }

  TEST_CASE("gitops: clusters sharing a repository each get their own objects, touching only their own folder") {
    // Two Argo CD clusters, a Flux one and an unmanaged one: Argo CD is given exactly its two
    // folders, and no two bootstrap folders define the same object.
    auto named = [](const std::string& target, const std::string& name) {
      std::string text = with_gitops(target, "https://git.example.com/org/gitops.git");
      const auto pos = text.find("  name: dev\n");
      REQUIRE(pos != std::string::npos);
      text.replace(pos, 12, "  name: " + name + "\n");
      return load(text);
    };
    const std::vector<ValidSpec> clusters = {named("argocd", "eu-west"), named("argocd", "us-east"),
                                             named("flux", "edge"), load(dev_text())};
    std::set<std::string> objects;
    std::set<std::string> argo_paths;
    for (const auto& spec : clusters) {
      CAPTURE(spec->name);
      for (const auto& [path, text] : bootstrap_tree(spec)) {
        CHECK(path.rfind("bootstrap/" + spec->name + "/", 0) == 0);
        const auto doc = parse_one(text);
        if (doc["kind"] == "Kustomization" && doc["apiVersion"] == "kustomize.config.k8s.io/v1beta1") {
          continue;  // kustomize's own file, no object
        }
        const std::string id = doc["apiVersion"].get<std::string>() + "/" + doc["kind"].get<std::string>() + "/" +
                               doc["metadata"]["namespace"].get<std::string>() + "/" +
                               doc["metadata"]["name"].get<std::string>();
        CHECK_MESSAGE(objects.insert(id).second, id << " is defined twice");
        CHECK(doc["kind"] != "ApplicationSet");
        CHECK_FALSE(doc["metadata"].contains("finalizers"));
        if (doc["kind"] == "Application") {
          const std::string source = doc["spec"]["source"]["path"];
          if (doc["metadata"]["name"] == "neon-" + spec->name) {
            CHECK(source == cluster_path(spec));
          } else {
            CHECK(doc["metadata"]["name"] == "neon-" + spec->name + "-bootstrap");
            CHECK(source == bootstrap_path(spec));
          }
          argo_paths.insert(source);
        } else if (doc["apiVersion"].get<std::string>().rfind("argoproj.io/", 0) == 0) {
          CHECK(doc["kind"] == "AppProject");
        }
      }
    }
    CHECK(argo_paths ==
          std::set<std::string>{"clusters/eu-west", "clusters/us-east", "bootstrap/eu-west", "bootstrap/us-east"});
  }

  TEST_CASE("gitops: Flux GitRepository and one Kustomization per stage, chained in table order") {
    const auto spec = load(with_gitops("flux", "git@github.com:org/gitops.git"));
    const auto tree = bootstrap_tree(spec);
    REQUIRE(tree.size() == 3 + stages().size());
    const auto repo = parse_one(tree.at("bootstrap/dev/gitrepository-neon-dev.yaml"));
    CHECK(repo["apiVersion"] == "source.toolkit.fluxcd.io/v1");
    CHECK(repo["metadata"]["namespace"] == "flux-system");
    CHECK(repo["spec"]["url"] == "ssh://git@github.com/org/gitops.git");
    CHECK(repo["spec"]["ref"]["branch"] == "main");
    CHECK(repo["spec"]["secretRef"]["name"] == "neon-dev-git");

    std::string previous;
    for (const auto& stage : stages()) {
      const std::string tier = stage.name;
      CAPTURE(tier);
      const auto k = parse_one(tree.at("bootstrap/dev/kustomization-neon-dev-" + tier + ".yaml"));
      CHECK(k["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1");
      CHECK(k["kind"] == "Kustomization");
      CHECK(k["metadata"]["name"] == "neon-dev-" + tier);
      CHECK(k["spec"]["path"] == "./clusters/dev/" + tier);
      CHECK(k["spec"]["prune"] == true);
      CHECK(k["spec"]["wait"] == true);
      CHECK(k["spec"]["retryInterval"] == stage.retry_interval);
      CHECK(k["spec"]["sourceRef"]["name"] == "neon-dev");
      CHECK_FALSE(k["spec"].contains("healthChecks"));
      if (previous.empty()) {
        CHECK_FALSE(k["spec"].contains("dependsOn"));
      } else {
        CHECK(k["spec"]["dependsOn"] == Json::array({Json{{"name", "neon-dev-" + previous}}}));
      }
      previous = tier;
    }
  }

  TEST_CASE("gitops: Flux timeouts follow the spec: pod start, graceful shutdown, one pod at a time per zone") {
    auto storage_timeout = [](const std::string& text) {
      const auto tree = bootstrap_tree(load(text));
      const auto k = parse_one(tree.at("bootstrap/dev/kustomization-neon-dev-storage.yaml"));
      const std::string t = k["spec"]["timeout"].get<std::string>();
      REQUIRE(t.back() == 'm');
      return std::stoi(t.substr(0, t.size() - 1));
    };
    const std::string one = with_gitops("flux", "https://git.example.com/org/gitops.git");
    std::string three = one;
    const std::string from = "  pageservers:\n    count: 1\n";
    const auto pos = three.find(from);
    REQUIRE(pos != std::string::npos);
    three.replace(pos, from.size(), "  pageservers:\n    count: 3\n");
    // A pageserver may take its 120 s graceful shutdown, a minute to pull and register, and its
    // startup probe's 10 x 60 s: 13 minutes a pod, the pods of one StatefulSet one after another. A
    // safekeeper: 60 s + 1 min + 5 x 60 s = 7 minutes, three of them in the dev spec's one zone. The
    // stage waits for the slowest StatefulSet, plus a minute.
    CHECK(storage_timeout(one) == 3 * 7 + 1);
    CHECK(storage_timeout(three) == 3 * 13 + 1);
    const auto control =
        parse_one(bootstrap_tree(load(one)).at("bootstrap/dev/kustomization-neon-dev-control.yaml"))["spec"]["timeout"];
    CHECK(control != "5m");
  }

  TEST_CASE("gitops: the Flux chain and the Argo CD waves put every component after what it calls at start") {
    // The dev starter (in-cluster database and MinIO) and the prod starter (monitoring, zones, auth),
    // each for both engines. For each: walk the Flux dependsOn chain from its root, read every
    // object's wave, and check each start dependency (generators/stages.hpp) is in an earlier stage
    // and an earlier wave; and check that every call found in the objects is a declared one.
    for (const char* starter : {"dev", "prod"}) {
      CAPTURE(starter);
      ClusterSpec s = load(std::string(*embedded(std::string("schemas/starters/") + starter + ".yaml"))).spec();
      s.gitops.target = GitopsTarget::flux;
      s.gitops.repo_url = "https://git.example.com/org/gitops.git";
      auto valid = validate(s);
      REQUIRE(valid.spec);
      const ValidSpec& spec = *valid.spec;

      // The Flux chain, walked from the Kustomization that depends on nothing.
      std::map<std::string, std::string> depends_on;  // Kustomization -> the one it waits for
      std::map<std::string, std::string> path_of;
      for (const auto& [path, text] : bootstrap_tree(spec)) {
        const auto doc = parse_one(text);
        if (doc["apiVersion"] != "kustomize.toolkit.fluxcd.io/v1") {
          continue;
        }
        const std::string name = doc["metadata"]["name"];
        if (name == "neon-" + spec->name + "-bootstrap") {
          CHECK(doc["spec"]["path"] == "./" + bootstrap_path(spec));  // the folder itself, not a stage
          continue;
        }
        path_of[name] = doc["spec"]["path"];
        depends_on[name] =
            doc["spec"].contains("dependsOn") ? doc["spec"]["dependsOn"][0]["name"].get<std::string>() : "";
        CHECK(doc["spec"].value("dependsOn", Json::array()).size() <= 1);
      }
      std::vector<std::string> chain;  // stage folders in apply order
      for (std::string at; chain.size() < depends_on.size();) {
        std::string next;
        for (const auto& [k, dep] : depends_on) {
          if (dep == at) {
            CHECK_MESSAGE(next.empty(), "two Kustomizations wait for " << at);
            next = k;
          }
        }
        REQUIRE_MESSAGE(!next.empty(), "the chain breaks after " << at);
        const std::string p = path_of[next];
        chain.push_back(p.substr(p.rfind('/') + 1));
        at = next;
      }
      CHECK(chain == stage_folders());

      // Each component's Flux position and Argo CD wave, from the objects of each stage folder.
      const auto staged = stage_objects(spec);
      REQUIRE(staged.size() == chain.size());
      std::map<std::string, std::size_t> position;
      std::map<std::string, int> wave;
      std::vector<Json> all;
      for (std::size_t i = 0; i < staged.size(); ++i) {
        for (const auto& o : staged[i]) {
          const std::string c = component_of(o);
          CAPTURE(o["kind"]);
          CAPTURE(o["metadata"]["name"]);
          REQUIRE(!c.empty());
          const auto annotations = o["metadata"].value("annotations", Json::object());
          const int w = std::stoi(annotations.value("argocd.argoproj.io/sync-wave", "0"));
          CHECK_MESSAGE(position.emplace(c, i).first->second == i, c << " is split over two stages");
          CHECK_MESSAGE(wave.emplace(c, w).first->second == w, c << " has objects in two waves");
          const Stage* st = stage_of(c);
          if (st != nullptr) {
            CHECK(st->wave == w);
            CHECK(std::string(st->name) == chain[i]);
          }
          all.push_back(o);
        }
      }

      std::set<std::pair<std::string, std::string>> declared;
      for (const auto& n : start_needs()) {
        declared.insert({n.from, n.to});
        if (position.count(n.from) == 0 || position.count(n.to) == 0) {
          continue;  // not in this spec (no in-cluster database in prod)
        }
        CAPTURE(n.from);
        CAPTURE(n.to);
        CHECK(position[n.to] < position[n.from]);
        CHECK(wave[n.to] < wave[n.from]);
      }
      for (const auto& n : later_calls()) {
        declared.insert({n.from, n.to});
      }
      const auto found = calls_in(all, spec->namespace_);
      CHECK(found.size() >= 5);
      for (const auto& call : found) {
        CHECK_MESSAGE(declared.count(call) == 1,
                      call.first << " calls " << call.second << ", which neither start_needs nor later_calls lists");
      }
      // The dependencies the issue names are among those found, so they are checked above.
      for (const auto& want : std::vector<std::pair<std::string, std::string>>{{"pageserver", "storage-controller"},
                                                                               {"safekeeper", "storage-controller"},
                                                                               {"compute", "compute-hook"}}) {
        if (position.count(want.first) > 0) {
          CHECK(found.count(want) == 1);
        }
      }
    }
  }

  TEST_CASE("gitops: Argo CD gets a dedicated AppProject and an app of apps keeping bootstrap/ as Git says") {
    std::string text = with_gitops("argocd", "https://git.example.com/org/gitops.git");
    text.replace(text.find("    revision: main\n"), 0, "    argocdNamespace: gitops\n");
    const auto spec = load(text);
    const auto tree = bootstrap_tree(spec);
    const auto app = parse_one(tree.at("bootstrap/dev/application-neon-dev.yaml"));
    CHECK(app["metadata"]["namespace"] == "gitops");
    CHECK(app["spec"]["project"] == "neon-dev");
    const auto project = parse_one(tree.at("bootstrap/dev/appproject-neon-dev.yaml"));
    CHECK(project["kind"] == "AppProject");
    CHECK(project["metadata"]["namespace"] == "gitops");
    CHECK(project["spec"]["sourceRepos"] == Json::array({"https://git.example.com/org/gitops.git"}));
    CHECK(project["spec"]["destinations"] ==
          Json::array({Json{{"server", "https://kubernetes.default.svc"}, {"namespace", "neon"}}}));
    CHECK(project["spec"]["clusterResourceWhitelist"] == Json::array({Json{{"group", ""}, {"kind", "Namespace"}}}));
    // Every cluster-scoped object of the tree is allowed by the project, and nothing else is.
    for (const auto& stage : stage_objects(spec)) {
      for (const auto& o : stage) {
        if (!o["metadata"].contains("namespace")) {
          CHECK(o["kind"] == "Namespace");
        } else {
          CHECK(o["metadata"]["namespace"] == "neon");
        }
      }
    }
    const auto boot = parse_one(tree.at("bootstrap/dev/application-neon-dev-bootstrap.yaml"));
    CHECK(boot["spec"]["project"] == "neon-dev-bootstrap");
    CHECK(boot["spec"]["source"]["path"] == "bootstrap/dev");
    CHECK(boot["spec"]["source"]["targetRevision"] == "main");
    CHECK(boot["spec"]["destination"]["namespace"] == "gitops");
    CHECK(boot["spec"]["syncPolicy"]["automated"]["selfHeal"] == true);
    CHECK_FALSE(boot["metadata"].contains("finalizers"));
    const auto boot_project = parse_one(tree.at("bootstrap/dev/appproject-neon-dev-bootstrap.yaml"));
    CHECK(boot_project["spec"]["destinations"][0]["namespace"] == "gitops");
    CHECK(boot_project["spec"]["clusterResourceWhitelist"] == Json::array());
    CHECK(boot_project["spec"]["namespaceResourceWhitelist"].size() == 2);
  }

  TEST_CASE("gitops: Flux namespace, bootstrap Kustomization, SOPS decryption and an HTTPS secretRef from the spec") {
    std::string text = with_gitops("flux", "https://git.example.com/org/gitops.git");
    text.replace(text.find("    revision: main\n"), 0,
                 "    fluxNamespace: flux\n    secretRef:\n      name: gitops-token\n"
                 "    sops:\n      secretRef:\n        name: sops-age\n");
    const auto spec = load(text);
    const auto tree = bootstrap_tree(spec);
    const auto repo = parse_one(tree.at("bootstrap/dev/gitrepository-neon-dev.yaml"));
    CHECK(repo["metadata"]["namespace"] == "flux");
    CHECK(repo["spec"]["secretRef"]["name"] == "gitops-token");
    CHECK(flux_git_secret(spec) == "gitops-token");
    const auto boot = parse_one(tree.at("bootstrap/dev/kustomization-neon-dev-bootstrap.yaml"));
    CHECK(boot["metadata"]["namespace"] == "flux");
    CHECK(boot["spec"]["path"] == "./bootstrap/dev");
    CHECK(boot["spec"]["prune"] == true);
    CHECK(boot["spec"]["sourceRef"]["name"] == "neon-dev");
    CHECK_FALSE(boot["spec"].contains("decryption"));
    for (const auto& stage : stages()) {
      CAPTURE(stage.name);
      const auto k = parse_one(tree.at(std::string("bootstrap/dev/kustomization-neon-dev-") + stage.name + ".yaml"));
      CHECK(k["metadata"]["namespace"] == "flux");
      CHECK(k["spec"]["decryption"] == Json{{"provider", "sops"}, {"secretRef", Json{{"name", "sops-age"}}}});
    }
    // Without sops there is no decryption block, and a public HTTPS repository needs no Secret.
    const auto plain = load(with_gitops("flux", "https://git.example.com/org/gitops.git"));
    const auto plain_tree = bootstrap_tree(plain);
    CHECK_FALSE(
        parse_one(plain_tree.at("bootstrap/dev/kustomization-neon-dev-base.yaml"))["spec"].contains("decryption"));
    CHECK_FALSE(parse_one(plain_tree.at("bootstrap/dev/gitrepository-neon-dev.yaml"))["spec"].contains("secretRef"));
    CHECK(flux_git_secret(plain).empty());
    // A bad namespace is an error at its line.
    std::string bad = with_gitops("flux", "https://git.example.com/org/gitops.git");
    bad.replace(bad.find("    revision: main\n"), 0, "    fluxNamespace: Flux_System\n");
    const auto r = load_spec(bad, "bad.yaml");
    REQUIRE_FALSE(r.spec);
    CHECK(format_diagnostic(r.diagnostics.front()).find("spec.gitops.fluxNamespace") != std::string::npos);
  }

  TEST_CASE(
      "gitops: ServiceMonitors are alone in the monitoring stage and skip Argo CD's dry run while the CRD is missing") {
    std::string text = with_gitops("argocd", "https://git.example.com/org/gitops.git");
    const auto at = text.find("  monitoring:\n    enabled: false\n");
    REQUIRE(at != std::string::npos);
    text.replace(at, 32, "  monitoring:\n    enabled: true\n");
    const auto spec = load(text);
    const auto objects = stage_objects(spec);
    int monitors = 0;
    for (std::size_t i = 0; i < stages().size(); ++i) {
      for (const auto& o : objects[i]) {
        const Json annotations = o["metadata"].value("annotations", Json::object());
        const std::string options = annotations.value("argocd.argoproj.io/sync-options", "");
        if (o["kind"] == "ServiceMonitor") {
          ++monitors;
          CHECK(std::string(stages()[i].name) == "monitoring");
          CHECK(options == "SkipDryRunOnMissingResource=true");
          CHECK(annotations.value("argocd.argoproj.io/sync-wave", "") == std::to_string(stages()[i].wave));
        } else {
          CHECK(options.find("SkipDryRun") == std::string::npos);
        }
        // Objects that keep their data keep their own options.
        if (o["kind"] == "Namespace") {
          CHECK(options == "Prune=false,Delete=false");
        }
      }
    }
    CHECK(monitors == 6);
    // The stage is the last, so nothing waits for it.
    CHECK(std::string(stages().back().name) == "monitoring");
    // The same annotations reach the generated tree (through the stage's kustomize patches).
    CHECK(render_stream(spec).find("argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true") !=
          std::string::npos);
    // And validate warns about the CRDs, without making the spec invalid.
    const auto warnings = prerequisite_warnings(spec);
    REQUIRE(warnings.size() == 1);
    CHECK(format_diagnostic(warnings[0]).find("test.yaml:") == 0);
    CHECK(format_diagnostic(warnings[0]).find(": warning: spec.monitoring.enabled: ") != std::string::npos);
  }

  TEST_CASE("gitops: validate warns that monitoring needs the Prometheus Operator's CRDs; the exit status stays 0") {
    neon::test::ScratchDir dir("validate-warning");
    std::string text = dev_text();
    const auto at = text.find("  monitoring:\n    enabled: false\n");
    REQUIRE(at != std::string::npos);
    text.replace(at, 32, "  monitoring:\n    enabled: true\n");
    neon::test::write_text(dir / "neon.yaml", text);
    const auto r = neon::test::run_process({NEON_BINARY, "validate", "-f", "neon.yaml"}, dir.path());
    CHECK(r.exit == 0);
    CHECK(r.out.find("neon.yaml: valid") == 0);
    const auto line = std::count(text.begin(), text.begin() + static_cast<long>(at), '\n') + 2;
    CHECK(r.err.find(fmt::format("neon.yaml:{}:", line)) == 0);
    CHECK(r.err.find(": warning: spec.monitoring.enabled: the ServiceMonitors need the Prometheus Operator's CRDs") !=
          std::string::npos);
    // Off: no warning.
    neon::test::write_text(dir / "neon.yaml", dev_text());
    const auto quiet = neon::test::run_process({NEON_BINARY, "validate", "-f", "neon.yaml"}, dir.path());
    CHECK(quiet.err.empty());
  }
}  // TEST_SUITE
