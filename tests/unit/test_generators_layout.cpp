// The cluster tree: golden trees for the starter specs, determinism, kustomize v5 validity (the
// real `kubectl kustomize` builds the written tree and its output equals render_stream), and
// regeneration with tree_writer keeping user-owned files and deleting stale generated ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "plugin/gitops/tree_writer.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/same_objects.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::gen::FileTree;
using neon::gen::Json;
using neon::gen::ValidSpec;

namespace {

ValidSpec starter(const std::string& name) {
  const auto text = neon::gen::embedded("schemas/starters/" + name + ".yaml");
  REQUIRE(text);
  auto loaded = neon::gen::load_spec(*text, name + ".yaml");
  REQUIRE(loaded.diagnostics.empty());
  REQUIRE(loaded.spec);
  return *loaded.spec;
}

/// The tree relative to the cluster folder, as stored under tests/golden/trees/<case>/.
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

void check_kustomize_matches_render(const ValidSpec& spec, const std::string& name) {
  neon::test::ScratchDir dir("layout-" + name);
  write_all(neon::gen::generate_tree(spec), dir.path());
  const auto built = neon::test::run_process({"kubectl", "kustomize", neon::gen::cluster_path(spec)}, dir.path());
  REQUIRE_MESSAGE(built.exit == 0, built.err);
  // kustomize v5 warns on stderr for deprecated fields; generated files must trigger none.
  CHECK_MESSAGE(built.err.empty(), built.err);
  neon::test::check_same_objects(neon::test::parse_objects(neon::gen::render_stream(spec)),
                                 neon::test::parse_objects(built.out));
}

}  // namespace

TEST_SUITE("generate") {
  TEST_CASE("layout: golden trees for the starter specs") {
    for (const std::string name : {"dev", "prod"}) {
      CAPTURE(name);
      const ValidSpec spec = starter(name);
      const FileTree tree = neon::gen::generate_tree(spec);
      const std::string diff =
          neon::test::check_golden_tree("trees/" + name, relative(tree, neon::gen::cluster_path(spec)));
      CHECK_MESSAGE(diff.empty(), diff);
    }
  }

  TEST_CASE("layout: the tree is deterministic and under the cluster folder") {
    const ValidSpec spec = starter("prod");
    const FileTree a = neon::gen::generate_tree(spec);
    const FileTree b = neon::gen::generate_tree(starter("prod"));
    CHECK(a == b);
    CHECK(neon::gen::render_stream(spec) == neon::gen::render_stream(starter("prod")));
    CHECK(neon::gen::cluster_path(spec) == "clusters/prod");
    for (const auto& [path, data] : a) {
      CHECK(path.rfind("clusters/prod/", 0) == 0);
    }
  }

  TEST_CASE("layout: generated and shipped files carry the header, user-owned files do not") {
    const ValidSpec spec = starter("dev");
    const FileTree tree = neon::gen::generate_tree(spec);
    const auto owned = neon::gen::user_owned_paths(spec);
    REQUIRE(owned.size() == neon::gen::stage_folders().size());
    for (const auto& [path, data] : tree) {
      CAPTURE(path);
      const bool is_owned = std::find(owned.begin(), owned.end(), path) != owned.end();
      CHECK(neon::gen::is_generated(data) == !is_owned);
      // kustomize v5 spelling only.
      for (const char* old : {"commonLabels:", "bases:", "patchesStrategicMerge:", "patchesJson6902:", "vars:"}) {
        CHECK(data.find(old) == std::string::npos);
      }
    }
    for (const auto& p : owned) {
      REQUIRE(tree.count(p) == 1);
      CHECK(tree.at(p).find("kind: Component") != std::string::npos);
    }
    CHECK_FALSE(neon::gen::is_generated("apiVersion: v1\n"));
  }

  TEST_CASE("layout: features pick their tier and their files") {
    const FileTree dev = neon::gen::generate_tree(starter("dev"));
    const FileTree prod = neon::gen::generate_tree(starter("prod"));
    CHECK(dev.count("clusters/dev/components/dev-minio/kustomization.yaml") == 1);
    CHECK(dev.count("clusters/dev/components/dev-postgres/kustomization.yaml") == 1);
    CHECK(dev.count("clusters/dev/dev-minio/kustomization.yaml") == 0);
    CHECK(prod.count("clusters/prod/components/dev-minio/kustomization.yaml") == 0);
    CHECK(prod.count("clusters/prod/components/dev-postgres/kustomization.yaml") == 0);
    CHECK(dev.at("clusters/dev/base/kustomization.yaml").find("../components/dev-minio") != std::string::npos);
    CHECK(dev.count("clusters/dev/components/monitoring/kustomization.yaml") == 0);
    CHECK(prod.count("clusters/prod/components/monitoring/kustomization.yaml") == 1);
    CHECK(prod.at("clusters/prod/monitoring/kustomization.yaml").find("../components/monitoring") != std::string::npos);
    CHECK(prod.at("clusters/prod/base/kustomization.yaml").find("../components/network-policy") != std::string::npos);
    const std::string controller = prod.at("clusters/prod/storage-controller/deployment-storage-controller.yaml");
    CHECK(controller.find("--start-as-candidate") != std::string::npos);
    CHECK(controller.find("--dev") == std::string::npos);
    CHECK(dev.at("clusters/dev/storage-controller/deployment-storage-controller.yaml").find("- --dev") !=
          std::string::npos);
  }

  TEST_CASE("layout: kubectl kustomize builds the tree into what render_stream prints" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("kubectl");
    for (const std::string name : {"dev", "prod"}) {
      CAPTURE(name);
      check_kustomize_matches_render(starter(name), name);
    }
  }

  TEST_CASE("tree_writer: regenerating keeps user files, removes stale generated files only") {
    neon::test::ScratchDir dir("tree-writer");
    const ValidSpec spec = starter("dev");
    const FileTree tree = neon::gen::generate_tree(spec);
    const auto scope = neon::cli::tree_scope(spec);

    auto first = neon::cli::write_tree(tree, dir.path(), scope);
    REQUIRE(first);
    CHECK(first->written.size() == tree.size());
    CHECK(first->removed.empty());

    // The user edits their component, adds their own file, and an old generated file lingers.
    const std::string local = "clusters/dev/local/storage/kustomization.yaml";
    const std::string edited = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [x.yaml]\n";
    neon::test::write_text(dir / local, edited);
    neon::test::write_text(dir / "clusters/dev/notes.md", "mine\n");
    neon::test::write_text(dir / "clusters/dev/old-thing/deployment-x.yaml",
                           std::string(neon::gen::k_generated_header) + "kind: Deployment\n");
    neon::test::write_text(dir / "README.md", "outside\n");

    auto plan = neon::cli::write_tree(tree, dir.path(), scope, neon::cli::WriteMode::dry_run);
    REQUIRE(plan);
    CHECK(plan->written.empty());
    CHECK(plan->removed == std::vector<std::string>{"clusters/dev/old-thing/deployment-x.yaml"});
    CHECK(fs::exists(dir / "clusters/dev/old-thing/deployment-x.yaml"));

    auto second = neon::cli::write_tree(tree, dir.path(), scope);
    REQUIRE(second);
    CHECK(second->written.empty());
    CHECK_FALSE(second->changed() == false);
    CHECK(second->unchanged.size() == tree.size());
    CHECK(neon::test::read_text(dir / local) == edited);
    CHECK(neon::test::read_text(dir / "clusters/dev/notes.md") == "mine\n");
    CHECK(neon::test::read_text(dir / "README.md") == "outside\n");
    CHECK_FALSE(fs::exists(dir / "clusters/dev/old-thing"));

    // A changed generated file is rewritten; no staging file is left behind.
    const std::string some = "clusters/dev/storage-broker/service-storage-broker.yaml";
    neon::test::write_text(dir / some, std::string(neon::gen::k_generated_header) + "changed: true\n");
    auto third = neon::cli::write_tree(tree, dir.path(), scope);
    REQUIRE(third);
    CHECK(third->written == std::vector<std::string>{some});
    CHECK(neon::test::read_text(dir / some) == tree.at(some));
    for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
      CHECK(e.path().string().find("staged") == std::string::npos);
    }
  }

  TEST_CASE("tree_writer: refuses paths outside the cluster folder and writes nothing then") {
    neon::test::ScratchDir dir("tree-writer-refuse");
    const neon::cli::TreeScope scope{"clusters/a", {}};
    FileTree bad{{"clusters/a/ok.yaml", "x\n"}, {"clusters/b/evil.yaml", "x\n"}};
    CHECK_FALSE(neon::cli::write_tree(bad, dir.path(), scope));
    CHECK_FALSE(neon::cli::write_tree(FileTree{{"clusters/a/../../etc/x", "x"}}, dir.path(), scope));
    CHECK_FALSE(fs::exists(dir / "clusters/a/ok.yaml"));

    // A folder where a file should go: the error comes before any file is renamed into place.
    fs::create_directories(dir / "clusters/a/z.yaml");
    FileTree blocked{{"clusters/a/a.yaml", "a\n"}, {"clusters/a/z.yaml", "z\n"}};
    CHECK_FALSE(neon::cli::write_tree(blocked, dir.path(), scope));
    CHECK_FALSE(fs::exists(dir / "clusters/a/a.yaml"));
  }
}
