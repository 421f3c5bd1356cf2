// The shipped dev Components (overlays/components/dev-minio, dev-postgres): valid kustomize and
// schema-valid on their own, holding the dev spec's objects, and set to another spec's values by
// the storage tier's `images:` and `patches:` the same way by kustomize and by render_stream. Also
// kustomize's image reference rules as generators/kustomize.hpp implements them.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/kustomize.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "plugin/gitops/tree_writer.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/run.hpp"
#include "tests/support/same_objects.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::gen::Json;
using neon::gen::ValidSpec;

namespace {

using neon::test::replaced;

const std::string k_digest = "sha256:" + std::string(64, 'a');

ValidSpec load(const std::string& text) {
  auto loaded = neon::gen::load_spec(text, "spec.yaml");
  REQUIRE_MESSAGE(loaded.diagnostics.empty(),
                  (loaded.diagnostics.empty() ? "" : neon::gen::format_diagnostic(loaded.diagnostics[0])));
  REQUIRE(loaded.spec);
  return *loaded.spec;
}

std::string dev_text() { return std::string(*neon::gen::embedded("schemas/starters/dev.yaml")); }

std::vector<Json> parse_stream(const std::string& text) {
  auto docs = neon::gen::parse_yaml_stream(text);
  REQUIRE(docs);
  return *docs;
}

const Json& find(const std::vector<Json>& objs, const std::string& kind, const std::string& name) {
  auto it = std::find_if(objs.begin(), objs.end(), [&](const Json& o) {
    return o.value("kind", "") == kind && o["metadata"].value("name", "") == name;
  });
  REQUIRE_MESSAGE(it != objs.end(), kind << "/" << name);
  return *it;
}

const Json& container0(const Json& workload) { return workload["spec"]["template"]["spec"]["containers"][0]; }

std::string secret_of(const Json& env) { return env["valueFrom"]["secretKeyRef"]["name"].get<std::string>(); }

}  // namespace

TEST_SUITE("generate") {
  TEST_CASE("kustomize: image references split, match and update as kustomize's images transformer") {
    using neon::gen::split_image;
    auto parts = [](const std::string& image) {
      const auto r = split_image(image);
      return std::vector<std::string>{r.name, r.tag, r.digest};
    };
    CHECK(parts("nginx") == std::vector<std::string>{"nginx", "", ""});
    CHECK(parts("nginx:1.27") == std::vector<std::string>{"nginx", "1.27", ""});
    CHECK(parts("localhost:5000/app") == std::vector<std::string>{"localhost:5000/app", "", ""});
    CHECK(parts("localhost:5000/app:v1") == std::vector<std::string>{"localhost:5000/app", "v1", ""});
    CHECK(parts("quay.io/minio/minio@" + k_digest) == std::vector<std::string>{"quay.io/minio/minio", "", k_digest});
    CHECK(parts("r:5000/a/b:v2@" + k_digest) == std::vector<std::string>{"r:5000/a/b", "v2", k_digest});

    using neon::gen::image_matches;
    CHECK(image_matches("quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", "quay.io/minio/minio"));
    CHECK(image_matches("quay.io/minio/minio", "quay.io/minio/minio"));
    CHECK(image_matches("quay.io/minio/minio@" + k_digest, "quay.io/minio/minio"));
    CHECK(image_matches("quay.io/minio/minio:v1@" + k_digest, "quay.io/minio/minio"));
    CHECK_FALSE(image_matches("quay.io/minio/mc:v1", "quay.io/minio/minio"));
    CHECK_FALSE(image_matches("quay.io/minio/minio-x:v1", "quay.io/minio/minio"));
    CHECK_FALSE(image_matches("docker.io/quay.io/minio/minio:v1", "quay.io/minio/minio"));

    using neon::gen::image_entry;
    CHECK(image_entry("quay.io/minio/mc", "quay.io/minio/mc:T1") ==
          Json{{"name", "quay.io/minio/mc"}, {"newTag", "T1"}});
    CHECK(image_entry("a/b", "r:5000/c@" + k_digest) ==
          Json{{"name", "a/b"}, {"newName", "r:5000/c"}, {"digest", k_digest}});
    CHECK(image_entry("a/b", "a/b:v1@" + k_digest) == Json{{"name", "a/b"}, {"newTag", "v1"}, {"digest", k_digest}});

    // Patches first (to the object of that kind and name only), then images everywhere but CRDs.
    std::vector<Json> objs = {
        Json::parse(R"({"kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{
          "initContainers":[{"name":"i","image":"a/b:old"}],"containers":[{"name":"c","image":"a/b@sha256:1","args":["x"]}]}}}})"),
        Json::parse(R"({"kind":"Job","metadata":{"name":"other"},"spec":{"template":{"spec":{
          "containers":[{"name":"c","image":"a/bc:1","args":["x"]}]}}}})"),
        Json::parse(
            R"({"kind":"CustomResourceDefinition","metadata":{"name":"j"},"spec":{"containers":[{"image":"a/b:1"}]}})")};
    neon::gen::Transformers tx;
    tx.patches.push_back(
        {"Job", "j",
         Json::parse(R"([{"op":"replace","path":"/spec/template/spec/containers/0/args/0","value":"z"}])")});
    tx.images.push_back(image_entry("a/b", "n/m:v2@" + k_digest));
    neon::gen::apply_transformers(objs, tx);
    CHECK(objs[0]["spec"]["template"]["spec"]["initContainers"][0]["image"] == "n/m:v2@" + k_digest);
    CHECK(objs[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "n/m:v2@" + k_digest);
    CHECK(objs[0]["spec"]["template"]["spec"]["containers"][0]["args"][0] == "z");
    CHECK(objs[1]["spec"]["template"]["spec"]["containers"][0]["image"] == "a/bc:1");
    CHECK(objs[1]["spec"]["template"]["spec"]["containers"][0]["args"][0] == "x");
    CHECK(objs[2]["spec"]["containers"][0]["image"] == "a/b:1");
  }

  TEST_CASE("shipped dev components: kustomize builds them alone, schema-valid, as the dev spec's objects" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("kubectl");
    NEON_REQUIRE_TOOL("node");
    neon::test::ScratchDir dir("dev-components");
    const std::vector<std::string> comps = {"dev-minio", "dev-postgres"};
    for (const auto& c : comps) {
      const std::string prefix = "overlays/components/" + c + "/";
      const auto files = neon::gen::embedded_under(prefix);
      REQUIRE(files.size() > 1);
      for (const auto& f : files) {
        neon::test::write_text(dir / ("components/" + c + "/" + std::string(f.path.substr(prefix.size()))),
                               std::string(f.data));
      }
      const auto k = parse_stream(std::string(*neon::gen::embedded(prefix + "kustomization.yaml")));
      CHECK(k.at(0)["apiVersion"] == "kustomize.config.k8s.io/v1alpha1");
      CHECK(k.at(0)["kind"] == "Component");
      CHECK(k.at(0)["resources"].size() == files.size() - 1);
    }
    neon::test::write_text(dir / "kustomization.yaml",
                           "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: neon\n"
                           "components:\n- components/dev-minio\n- components/dev-postgres\n");
    const auto built = neon::test::run_process({"kubectl", "kustomize", "."}, dir.path());
    REQUIRE_MESSAGE(built.exit == 0, built.err);
    CHECK_MESSAGE(built.err.empty(), built.err);
    const auto objs = parse_stream(built.out);
    CHECK(objs.size() == 6);

    const fs::path checker = neon::test::source_dir() / "tests/schema-check/check-manifests.mjs";
    const auto checked =
        neon::test::run_process({"node", checker.string(), "--fail-on-unchecked", "-"}, dir.path(), {}, built.out);
    CHECK_MESSAGE(checked.exit == 0, checked.out << checked.err);
    const std::string lines = "\n" + checked.out;
    CHECK_MESSAGE(lines.find("\nerror ") == std::string::npos, checked.out);
    CHECK_MESSAGE(lines.find("\nunchecked ") == std::string::npos, checked.out);

    // The files hold the dev spec's values: its render has exactly these objects for the two components.
    std::vector<Json> dev_objs;
    for (const auto& o : parse_stream(neon::gen::render_stream(load(dev_text())))) {
      const std::string comp = o["metadata"]["labels"].value("app.kubernetes.io/component", "");
      if (std::find(comps.begin(), comps.end(), comp) != comps.end()) {
        dev_objs.push_back(o);
      }
    }
    neon::test::check_same_objects(dev_objs, objs);
  }

  TEST_CASE("shipped dev components: another spec's images, bucket, Secret and namespace, same in kustomize" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("kubectl");
    std::string text = dev_text();
    text = replaced(text, "  namespace: neon\n", "  namespace: neon-other\n");
    text = replaced(text, "    bucket: neon\n", "    bucket: other-bucket\n");
    text = replaced(text, "name: neon-s3-credentials", "name: other-s3");
    const std::string minio = "registry.example.com:5000/mirror/minio@" + k_digest;
    const std::string mc = "quay.io/minio/mc:RELEASE.2025-05-01T00-00-00Z@" + k_digest;
    const std::string postgres = "registry.example.com:5000/library/postgres:17.2";
    text = replaced(text, "minio: quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", "minio: " + minio);
    text = replaced(text, "minioClient: quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z", "minioClient: " + mc);
    text = replaced(text, "postgres: docker.io/library/postgres:16.4", "postgres: " + postgres);
    const ValidSpec spec = load(text);

    const auto tree = neon::gen::generate_tree(spec);
    const std::string storage = tree.at("clusters/dev/base/kustomization.yaml");
    CHECK(storage.find("- ../components/dev-minio\n- ../components/dev-postgres\n") != std::string::npos);
    // The spec's values are in the component's files, and no kustomization transforms anything.
    for (const auto& [path, data] : tree) {
      if (path.find("/local/") == std::string::npos && path.size() > 19 &&
          path.compare(path.size() - 19, 19, "/kustomization.yaml") == 0) {
        CAPTURE(path);
        for (const char* field : {"\nnamespace:", "\nimages:", "\npatches:", "\nlabels:", "\ncommonLabels:"}) {
          CHECK(data.find(field) == std::string::npos);
        }
      }
    }
    CHECK(tree.at("clusters/dev/components/dev-minio/deployment-minio.yaml").find("  namespace: neon-other\n") !=
          std::string::npos);
    CHECK(tree.at("clusters/dev/components/dev-minio/deployment-minio.yaml").find("image: " + minio) !=
          std::string::npos);
    CHECK(tree.count("clusters/dev/dev-minio/kustomization.yaml") == 0);

    const auto rendered = parse_stream(neon::gen::render_stream(spec));
    neon::test::ScratchDir dir("dev-components-other");
    for (const auto& [path, data] : tree) {
      neon::test::write_text(dir / path, data);
    }
    const auto built = neon::test::run_process({"kubectl", "kustomize", "clusters/dev"}, dir.path());
    REQUIRE_MESSAGE(built.exit == 0, built.err);
    CHECK_MESSAGE(built.err.empty(), built.err);
    const auto objs = parse_stream(built.out);
    neon::test::check_same_objects(rendered, objs);

    for (const auto* list : {&rendered, &objs}) {
      const Json& job = container0(find(*list, "Job", "minio-create-bucket"));
      CHECK(job["image"] == mc);
      CHECK(job["args"] == Json::array({"mb", "--ignore-existing", "minio/other-bucket"}));
      CHECK(secret_of(job["env"][0]) == "other-s3");
      CHECK(secret_of(job["env"][1]) == "other-s3");
      CHECK(job["env"][2]["name"] == "MC_HOST_minio");
      CHECK(job["env"][2]["value"] ==
            "http://$(AWS_ACCESS_KEY_ID):$(AWS_SECRET_ACCESS_KEY)@minio.neon-other.svc.cluster.local:9000");
      const Json& server = container0(find(*list, "Deployment", "minio"));
      CHECK(server["image"] == minio);
      CHECK(secret_of(server["env"][0]) == "other-s3");
      CHECK(secret_of(server["env"][1]) == "other-s3");
      CHECK(container0(find(*list, "StatefulSet", "storage-controller-db"))["image"] == postgres);
      CHECK(find(*list, "Service", "minio")["metadata"]["namespace"] == "neon-other");
      // The neon images are not touched by the storage tier's images:.
      CHECK(container0(find(*list, "StatefulSet", "safekeeper"))["image"] == spec->images.storage);
    }
  }

  TEST_CASE("shipped dev components: off in prod, and the storage tier then sets no images or patches") {
    const auto text = std::string(*neon::gen::embedded("schemas/starters/prod.yaml"));
    const auto tree = neon::gen::generate_tree(load(text));
    const std::string storage = tree.at("clusters/prod/base/kustomization.yaml");
    CHECK(storage.find("components/dev-") == std::string::npos);
    CHECK(storage.find("images:") == std::string::npos);
    CHECK(storage.find("patches:") == std::string::npos);
    for (const auto& [path, data] : tree) {
      CHECK(path.find("components/dev-") == std::string::npos);
    }
  }
}

TEST_SUITE("generate") {
  TEST_CASE("shipped dev components: turning MinIO off removes the copied Component, a copy the user took over stays") {
    const ValidSpec on = load(dev_text());
    const ValidSpec off = load(replaced(
        dev_text(), "    minio: true              # run MinIO in the namespace; its Service is the S3 endpoint\n",
        "    minio: false\n"));
    neon::test::ScratchDir dir("dev-components-off");
    REQUIRE(neon::cli::write_tree(neon::gen::generate_tree(on), dir.path(), neon::cli::tree_scope(on)));
    const fs::path minio = dir / "clusters/dev/components/dev-minio";
    REQUIRE(fs::exists(minio / "kustomization.yaml"));
    // Every shipped file carries the generated header, so its copy is known as the tool's own.
    for (const auto& e : fs::directory_iterator(minio)) {
      CHECK(neon::gen::is_generated(neon::test::read_text(e.path())));
    }

    auto report = neon::cli::write_tree(neon::gen::generate_tree(off), dir.path(), neon::cli::tree_scope(off));
    REQUIRE(report);
    // The Component's five files, and MinIO's NetworkPolicy (only there while MinIO is).
    CHECK(report->removed.size() == 6);
    CHECK_FALSE(fs::exists(dir / "clusters/dev/components/network-policy/dev-minio.yaml"));
    CHECK_FALSE(fs::exists(minio));
    CHECK(fs::exists(dir / "clusters/dev/components/dev-postgres/kustomization.yaml"));
    CHECK(neon::test::read_text(dir / "clusters/dev/base/kustomization.yaml").find("dev-minio") == std::string::npos);

    // Turned on again, and one file made the user's own (header removed): turned off, it stays.
    REQUIRE(neon::cli::write_tree(neon::gen::generate_tree(on), dir.path(), neon::cli::tree_scope(on)));
    const std::string text = neon::test::read_text(minio / "service-minio.yaml");
    const std::string mine = text.substr(std::string(neon::gen::k_generated_header).size());
    neon::test::write_text(minio / "service-minio.yaml", mine);
    report = neon::cli::write_tree(neon::gen::generate_tree(off), dir.path(), neon::cli::tree_scope(off));
    REQUIRE(report);
    CHECK(report->removed.size() == 5);
    CHECK(neon::test::read_text(minio / "service-minio.yaml") == mine);
  }
}
