// spec.gitops.split: project: one folder per project under the cluster folder, one Argo CD
// Application (from an ApplicationSet) or Flux Kustomization each; the root still builds the whole
// cluster; generate moves files both ways and leaves none behind; a change to one branch touches
// one project's folder.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "generators/emit.hpp"
#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "generators/stages.hpp"
#include "generators/validate.hpp"
#include "plugin/gitops/diff_report.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/same_objects.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::gen::FileTree;
using neon::gen::Json;
using neon::gen::ValidSpec;
using neon::test::run_process;
using neon::test::ScratchDir;

namespace {

const char* k_example = "schemas/examples/dev-fleet-split.yaml";

std::string example_text() { return neon::test::read_text(neon::test::source_dir() / k_example); }

/// `text` with `from` replaced once by `to`.
std::string edited(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, from);
  return text.replace(pos, from.size(), to);
}

std::string unsplit_text() { return edited(example_text(), "    split: project\n", ""); }

ValidSpec load(const std::string& text) {
  auto loaded = neon::gen::load_spec(text, "neon.yaml");
  REQUIRE_MESSAGE(loaded.diagnostics.empty(), (loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].message));
  REQUIRE(loaded.spec);
  return *loaded.spec;
}

ValidSpec with_target(const ValidSpec& spec, neon::gen::GitopsTarget target) {
  neon::gen::ClusterSpec s = spec.spec();
  s.gitops.target = target;
  auto r = neon::gen::validate(s);
  REQUIRE(r.spec);
  return *r.spec;
}

std::map<std::string, std::string> relative(const FileTree& tree, const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& [path, data] : tree) {
    if (path.rfind(root + "/", 0) == 0) {
      out[path.substr(root.size() + 1)] = data;
    }
  }
  return out;
}

void write_all(const FileTree& tree, const fs::path& dir) {
  for (const auto& [path, data] : tree) {
    neon::test::write_text(dir / path, data);
  }
}

Json parse_one(const std::string& text) {
  auto docs = neon::gen::parse_yaml_stream(text);
  REQUIRE(docs);
  REQUIRE(docs->size() == 1);
  return docs->front();
}

/// Paths (relative to the cluster folder) whose bytes differ between two trees, or that only one has.
std::set<std::string> changed_paths(const FileTree& a, const FileTree& b, const std::string& root) {
  std::set<std::string> out;
  const auto ra = relative(a, root);
  const auto rb = relative(b, root);
  for (const auto& [p, data] : ra) {
    if (rb.count(p) == 0 || rb.at(p) != data) {
      out.insert(p);
    }
  }
  for (const auto& [p, data] : rb) {
    if (ra.count(p) == 0) {
      out.insert(p);
    }
  }
  return out;
}

std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().string().find("/.git/") == std::string::npos) {
      out.insert(e.path().lexically_relative(dir).generic_string());
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("generate") {
  TEST_CASE("split: a folder per project with its own kustomization and a once-created local Component") {
    const ValidSpec spec = load(example_text());
    REQUIRE(neon::gen::split_by_project(spec));
    const auto tree = relative(neon::gen::generate_tree(spec), "clusters/fleet");

    CHECK(parse_one(tree.at("kustomization.yaml"))["resources"] ==
          Json::array({"base", "control", "storage", "compute", "projects", "monitoring"}));
    CHECK(parse_one(tree.at("projects/kustomization.yaml"))["resources"] == Json::array({"billing", "search"}));
    const Json billing = parse_one(tree.at("projects/billing/kustomization.yaml"));
    CHECK(billing["components"] == Json::array({"../../local/projects/billing"}));
    CHECK(billing["resources"].size() == 7);  // main, preview and its replica: Deployments and Services, -ro
    CHECK(!billing.contains("namespace"));    // no transformer
    CHECK(tree.count("projects/billing/deployment-compute-billing-preview-ro-0.yaml") == 1);
    CHECK(tree.count("projects/search/service-compute-search-main.yaml") == 1);
    // The compute stage keeps only what the cluster shares: no project's objects.
    for (const auto& [path, data] : tree) {
      CHECK_MESSAGE((path.rfind("compute/", 0) != 0 || path == "compute/kustomization.yaml"), path);
    }
    CHECK(parse_one(tree.at("compute/kustomization.yaml"))["resources"] == Json::array());

    // local/projects/<project>/ is user-owned: created once, never overwritten, no generated header.
    const auto owned = neon::gen::user_owned_paths(spec);
    for (const std::string p : {"billing", "search"}) {
      const std::string local = "clusters/fleet/local/projects/" + p + "/kustomization.yaml";
      CHECK(std::find(owned.begin(), owned.end(), local) != owned.end());
      CHECK_FALSE(neon::gen::is_generated(tree.at("local/projects/" + p + "/kustomization.yaml")));
    }
    CHECK(owned.size() == neon::gen::stage_folders().size() + 2);

    // Each object is in exactly one unit, and the project units hold exactly the project folders' objects.
    const auto units = neon::gen::object_units(spec);
    std::size_t in_billing = 0;
    for (const auto& [id, unit] : units) {
      in_billing += unit == "projects/billing" ? 1 : 0;
    }
    CHECK(in_billing == 7);
    CHECK(units.at("Deployment/neon-fleet/compute-search-main") == "projects/search");
    CHECK(units.at("ConfigMap/neon-fleet/compute-hook-computes") == "control");

    const auto golden = neon::test::check_golden_tree("trees/examples-dev-fleet-split",
                                                      relative(neon::gen::generate_tree(spec), "clusters/fleet"));
    CHECK_MESSAGE(golden.empty(), golden);
  }

  TEST_CASE("split: the same objects in both layouts; split none leaves the tree as it was") {
    const ValidSpec split = load(example_text());
    const ValidSpec flat = load(unsplit_text());
    CHECK(neon::gen::render_stream(split) == neon::gen::render_stream(flat));
    CHECK(neon::gen::project_objects(flat).empty());
    const auto tree = relative(neon::gen::generate_tree(flat), "clusters/fleet");
    for (const auto& [path, data] : tree) {
      CHECK_MESSAGE(path.find("projects") == std::string::npos, path);
    }
    CHECK(load(edited(example_text(), "    split: project\n", "    split: none\n")).spec().gitops.split ==
          neon::gen::GitopsSplit::none);
  }

  TEST_CASE("split: golden bootstrap objects for Argo CD and Flux; no object in two units") {
    const ValidSpec spec = load(example_text());
    const auto argo = neon::gen::bootstrap_tree(with_target(spec, neon::gen::GitopsTarget::argocd));
    const auto flux = neon::gen::bootstrap_tree(with_target(spec, neon::gen::GitopsTarget::flux));
    std::string diff = neon::test::check_golden_tree("trees/bootstrap-split-argocd", relative(argo, "bootstrap/fleet"));
    CHECK_MESSAGE(diff.empty(), diff);
    diff = neon::test::check_golden_tree("trees/bootstrap-split-flux", relative(flux, "bootstrap/fleet"));
    CHECK_MESSAGE(diff.empty(), diff);

    // Argo CD: one Application per stage folder, the ApplicationSet over projects/*, no
    // Application at the cluster folder itself (it would apply everything a second time).
    std::multiset<std::string> paths;
    for (const auto& [path, data] : argo) {
      const Json o = parse_one(data);
      if (o["kind"] == "Application" && o["metadata"]["name"] != "neon-fleet-bootstrap") {
        paths.insert(o["spec"]["source"]["path"].get<std::string>());
        CHECK_FALSE(o["metadata"].contains("finalizers"));
      }
      if (o["kind"] == "ApplicationSet") {
        const Json& s = o["spec"];
        CHECK(s["generators"][0]["git"]["directories"][0]["path"] == "clusters/fleet/projects/*");
        CHECK(s["syncPolicy"]["preserveResourcesOnDeletion"] == true);
        CHECK(s["template"]["metadata"]["finalizers"] == Json::array({"resources-finalizer.argocd.argoproj.io"}));
        CHECK(s["template"]["spec"]["source"]["path"] == "{{.path.path}}");
        CHECK(s["template"]["metadata"]["name"] == "neon-fleet-project-{{.path.basename}}");
        // After storage (2) and control (1), and after the compute stage (3).
        CHECK(o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "4");
      }
      if (o["kind"] == "AppProject" && o["metadata"]["name"] == "neon-fleet-bootstrap") {
        CHECK(o["spec"]["namespaceResourceWhitelist"].dump().find("ApplicationSet") != std::string::npos);
      }
    }
    std::multiset<std::string> stages;
    for (const auto& st : neon::gen::stage_folders()) {
      stages.insert("clusters/fleet/" + st);
    }
    CHECK(paths == stages);
    CHECK(argo.count("bootstrap/fleet/application-neon-fleet.yaml") == 0);
    CHECK(argo.count("bootstrap/fleet/application-neon-fleet-storage.yaml") == 1);
    CHECK(argo.count("bootstrap/fleet/application-neon-fleet-control.yaml") == 1);

    // Flux: the stage chain as before, plus one Kustomization per project after the compute stage.
    const Json billing = parse_one(flux.at("bootstrap/fleet/kustomization-neon-fleet-project-billing.yaml"));
    CHECK(billing["spec"]["path"] == "./clusters/fleet/projects/billing");
    CHECK(billing["spec"]["dependsOn"] == Json::array({Json{{"name", "neon-fleet-compute"}}}));
    CHECK(billing["spec"]["prune"] == true);
    CHECK(billing["spec"]["wait"] == true);
    const Json compute = parse_one(flux.at("bootstrap/fleet/kustomization-neon-fleet-compute.yaml"));
    CHECK(billing["spec"]["interval"] == compute["spec"]["interval"]);
    CHECK(billing["spec"]["retryInterval"] == compute["spec"]["retryInterval"]);
    CHECK(flux.count("bootstrap/fleet/kustomization-neon-fleet-project-search.yaml") == 1);
  }

  TEST_CASE("split: each project's unit comes after every stage its computes need at start") {
    const ValidSpec spec = load(example_text());
    // The stages holding what a compute calls at start (stages.hpp start_needs).
    std::set<std::string> needed;
    for (const auto& n : neon::gen::start_needs()) {
      const auto* st = neon::gen::stage_of(n.to);
      if (std::string(n.from) == "compute" && st != nullptr) {
        needed.insert(st->name);
      }
    }
    REQUIRE(needed.count("storage") == 1);
    REQUIRE(needed.count("control") == 1);

    // Flux: follow dependsOn from each project Kustomization to the root.
    std::map<std::string, std::string> depends_on;
    std::map<std::string, std::string> folder_of;
    for (const auto& [path, text] : neon::gen::bootstrap_tree(with_target(spec, neon::gen::GitopsTarget::flux))) {
      const Json o = parse_one(text);
      if (o["kind"] == "Kustomization" && o["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1") {
        const std::string name = o["metadata"]["name"];
        depends_on[name] = o["spec"].contains("dependsOn") ? o["spec"]["dependsOn"][0]["name"].get<std::string>() : "";
        const std::string p = o["spec"]["path"];
        folder_of[name] = p.substr(p.rfind('/') + 1);
      }
    }
    for (const std::string project : {"billing", "search"}) {
      std::set<std::string> before;
      for (std::string at = depends_on.at(neon::gen::project_unit_name("fleet", project)); !at.empty();
           at = depends_on.at(at)) {
        before.insert(folder_of.at(at));
      }
      for (const auto& st : needed) {
        CHECK_MESSAGE(before.count(st) == 1, project << " does not wait for " << st);
      }
    }

    // Argo CD: the ApplicationSet's wave is after the wave of every needed stage's Application.
    std::map<std::string, int> wave;  // source path's last folder, or "projects"
    for (const auto& [path, text] : neon::gen::bootstrap_tree(spec)) {
      const Json o = parse_one(text);
      if (!o.contains("metadata")) {
        continue;  // the folder's kustomization.yaml
      }
      const Json annotations = o["metadata"].value("annotations", Json::object());
      if (!annotations.contains("argocd.argoproj.io/sync-wave")) {
        continue;
      }
      const int w = std::stoi(annotations["argocd.argoproj.io/sync-wave"].get<std::string>());
      if (o["kind"] == "ApplicationSet") {
        wave["projects"] = w;
      } else {
        const std::string p = o["spec"]["source"]["path"];
        wave[p.substr(p.rfind('/') + 1)] = w;
      }
    }
    REQUIRE(wave.count("projects") == 1);
    for (const auto& st : needed) {
      CHECK(wave.at(st) < wave.at("projects"));
    }
  }

  TEST_CASE("split: a change to one branch rewrites one project's folder") {
    const ValidSpec before = load(example_text());
    // The preview branch gets a bigger compute: its Deployments change, nothing else.
    const std::string bigger = edited(example_text(), "          parent: main\n          compute:\n",
                                      "          parent: main\n          compute:\n            size: 2\n");
    auto changed =
        changed_paths(neon::gen::generate_tree(before), neon::gen::generate_tree(load(bigger)), "clusters/fleet");
    REQUIRE(!changed.empty());
    for (const auto& p : changed) {
      CHECK_MESSAGE(p.rfind("projects/billing/", 0) == 0, p);
    }
    // A new branch adds its files to the project's folder and its compute to the hook's computes
    // ConfigMap (the hook serves every compute's spec from it), whose digest the hook's pod
    // template carries (compute_hook.cpp).
    const std::string added = edited(example_text(), "    - name: search\n",
                                     "        - name: hotfix\n"
                                     "          timelineId: 3d4e5f60718293a4b5c6d7e8f90a1b2c\n"
                                     "          parent: main\n"
                                     "    - name: search\n");
    changed = changed_paths(neon::gen::generate_tree(before), neon::gen::generate_tree(load(added)), "clusters/fleet");
    for (const auto& p : changed) {
      CHECK_MESSAGE((p.rfind("projects/billing/", 0) == 0 || p == "compute-hook/configmap-compute-hook-computes.yaml" ||
                     p == "compute-hook/deployment-compute-hook.yaml"),
                    p);
    }
    CHECK(changed.count("projects/billing/deployment-compute-billing-hotfix.yaml") == 1);
  }

  TEST_CASE("split: diff groups changes by the project folder (the Application or Kustomization) they sync in") {
    const ValidSpec before = load(example_text());
    const ValidSpec after = load(edited(example_text(), "          parent: main\n          compute:\n",
                                        "          parent: main\n          compute:\n            size: 2\n"));
    auto report = neon::cli::diff_specs(before, after);
    REQUIRE(report);
    REQUIRE(!report->changes.empty());
    for (const auto& c : report->changes) {
      CHECK_MESSAGE(c.unit == "projects/billing", c.id());
    }
    const std::string text = neon::cli::render_text(*report, {"clusters/fleet", "HEAD", "working tree"});
    CHECK(text.find("By folder (1 to sync") != std::string::npos);
    CHECK(text.find("\n  projects/billing (2)\n    ± Deployment/neon-fleet/compute-billing-preview\n") !=
          std::string::npos);
    CHECK(neon::cli::render_json(*report, {"clusters/fleet", "HEAD", "working tree"})
              .find("\"unit\": \"projects/billing\"") != std::string::npos);

    // The flat layout reports as before: no units, no extra section.
    auto flat = neon::cli::diff_specs(
        load(unsplit_text()), load(edited(unsplit_text(), "          parent: main\n          compute:\n",
                                          "          parent: main\n          compute:\n            size: 2\n")));
    REQUIRE(flat);
    CHECK(neon::cli::render_text(*flat, {"clusters/fleet", "HEAD", "working tree"}).find("By folder") ==
          std::string::npos);

    // Switching split changes no object, and says that the objects change hands.
    auto switched = neon::cli::diff_specs(load(unsplit_text()), before);
    REQUIRE(switched);
    CHECK(switched->changes.empty());
    REQUIRE(switched->warnings.size() == 1);
    CHECK(switched->warnings[0].find("spec.gitops.split changes (none -> project)") != std::string::npos);
  }

  TEST_CASE("split: a project name that makes a unit name over 63 characters is refused") {
    const std::string text = edited(example_text(), "    - name: search\n", "    - name: search-discovery-tools\n");
    std::string long_cluster = edited(text, "  name: fleet\n", "  name: fleet-of-many-projects-in-region-eu\n");
    auto loaded = neon::gen::load_spec(long_cluster, "neon.yaml");
    REQUIRE(!loaded.diagnostics.empty());
    CHECK(loaded.diagnostics.front().path == "spec.projects[1].name");
    CHECK(loaded.diagnostics.front().message.find("63") != std::string::npos);
    // Without split the same names are fine.
    CHECK(neon::gen::load_spec(edited(long_cluster, "    split: project\n", ""), "neon.yaml").diagnostics.empty());
  }

  TEST_CASE("split: kubectl kustomize builds each project folder and the whole tree, as render prints it" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("kubectl");
    for (const bool split : {true, false}) {
      CAPTURE(split);
      const ValidSpec spec = load(split ? example_text() : unsplit_text());
      ScratchDir dir(split ? "split-kustomize" : "split-kustomize-flat");
      write_all(neon::gen::generate_tree(spec), dir.path());
      const auto whole = run_process({"kubectl", "kustomize", "clusters/fleet"}, dir.path());
      REQUIRE_MESSAGE(whole.exit == 0, whole.err);
      CHECK_MESSAGE(whole.err.empty(), whole.err);
      neon::test::check_same_objects(neon::test::parse_objects(neon::gen::render_stream(spec)),
                                     neon::test::parse_objects(whole.out));
      for (const auto& [project, objects] : neon::gen::project_objects(spec)) {
        CAPTURE(project);
        const auto built =
            run_process({"kubectl", "kustomize", "clusters/fleet/" + neon::gen::project_folder(project)}, dir.path());
        REQUIRE_MESSAGE(built.exit == 0, built.err);
        neon::test::check_same_objects(objects, neon::test::parse_objects(built.out));
      }
      // Through the binary: render prints what kustomize builds.
      neon::test::write_text(dir / "neon.yaml", split ? example_text() : unsplit_text());
      const auto rendered = run_process({NEON_BINARY, "render", "-f", (dir / "neon.yaml").string()}, dir.path());
      REQUIRE_MESSAGE(rendered.exit == 0, rendered.err);
      neon::test::check_same_objects(neon::test::parse_objects(rendered.out), neon::test::parse_objects(whole.out));
    }
  }

  TEST_CASE("split: generate moves files on and off and leaves none behind; local/projects is kept" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("split-switch");
    const auto repo = dir / "repo";
    const auto spec = dir / "neon.yaml";
    auto generate = [&](const std::string& text) {
      neon::test::write_text(spec, text);
      std::vector<std::string> argv{NEON_BINARY, "generate", "--repo", repo.string(), "-f", spec.string()};
      auto r = run_process(argv, dir.path(), neon::test::k_git_env);
      REQUIRE_MESSAGE(r.exit == 0, r.err);
      CHECK(neon::test::git(repo, {"status", "--porcelain"}).out.empty());
    };
    auto expected = [&](const std::string& text, const std::set<std::string>& kept) {
      const ValidSpec s = load(text);
      std::set<std::string> want = kept;
      for (const auto& [path, data] : neon::gen::generate_tree(s)) {
        want.insert(path);
      }
      for (const auto& [path, data] : neon::gen::bootstrap_tree(s)) {
        want.insert(path);
      }
      want.insert("clusters/fleet/neon.yaml");
      want.insert("clusters/fleet/kubectl-neon.sum");
      return want;
    };

    generate(unsplit_text());
    CHECK(files_under(repo) == expected(unsplit_text(), {}));
    generate(example_text());
    CHECK(files_under(repo) == expected(example_text(), {}));
    CHECK_FALSE(fs::exists(repo / "clusters/fleet/compute/deployment-compute-billing-main.yaml"));
    CHECK_FALSE(fs::exists(repo / "bootstrap/fleet/application-neon-fleet.yaml"));

    // The user edits a project's Component; switching off keeps it (user-owned, never deleted),
    // and switching on again finds it as they left it.
    const std::string local = "clusters/fleet/local/projects/billing/kustomization.yaml";
    const std::string mine = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches: []\n";
    neon::test::write_text(repo / local, mine);
    neon::test::git(repo, {"commit", "-qam", "my patch"});
    generate(unsplit_text());
    CHECK(files_under(repo) ==
          expected(unsplit_text(), {local, "clusters/fleet/local/projects/search/kustomization.yaml"}));
    CHECK_FALSE(fs::exists(repo / "clusters/fleet/projects"));
    CHECK(neon::test::read_text(repo / local) == mine);
    generate(example_text());
    CHECK(files_under(repo) == expected(example_text(), {}));
    CHECK(neon::test::read_text(repo / local) == mine);

    // A committed hand edit in a project folder is reverted, pointing at the project's Component.
    const auto target = repo / "clusters/fleet/projects/search/deployment-compute-search-main.yaml";
    const std::string generated = neon::test::read_text(target);
    neon::test::write_text(target, generated + "# tuned by hand\n");
    neon::test::git(repo, {"commit", "-qam", "tune a compute"});
    neon::test::write_text(spec, example_text());
    auto r = run_process({NEON_BINARY, "generate", "--repo", repo.string(), "-f", spec.string()}, dir.path(),
                         neon::test::k_git_env);
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK_MESSAGE(
        r.err.find("put such changes in clusters/fleet/local/projects/search/kustomization.yaml") != std::string::npos,
        r.err);
    CHECK(neon::test::read_text(target) == generated);
  }
}
