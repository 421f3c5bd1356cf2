// generators/gitops.hpp: the Argo CD and Flux objects that point at the cluster tree.
#include <doctest/doctest.h>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/gitops.hpp"
#include "generators/validate.hpp"

using namespace neon::gen;

namespace {

std::string dev_text() { return std::string(*embedded("schemas/starters/dev.yaml")); }

std::string with_gitops(const std::string& target, const std::string& url) {
  std::string text = dev_text();
  const std::string from = "  gitops:\n    target: none\n";
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), "  gitops:\n    target: " + target + "\n    repoURL: " + url + "\n    revision: main\n");
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

}  // namespace

TEST_SUITE("gitops") {

TEST_CASE("gitops: scp-style URLs become ssh:// for Flux") {
  CHECK(flux_git_url("git@github.com:org/repo.git") == "ssh://git@github.com/org/repo.git");
  CHECK(flux_git_url("git@host:/abs/repo") == "ssh://git@host/abs/repo");
  CHECK(flux_git_url("https://github.com/org/repo.git") == "https://github.com/org/repo.git");
  CHECK(flux_git_url("ssh://git@github.com/org/repo") == "ssh://git@github.com/org/repo");
}

TEST_CASE("gitops: target none writes nothing") {
  CHECK(bootstrap_tree(load(dev_text()), {"clusters/dev"}).empty());
}

TEST_CASE("gitops: Argo CD Application at the cluster folder") {
  const auto spec = load(with_gitops("argocd", "https://git.example.com/org/gitops.git"));
  const auto tree = bootstrap_tree(spec, {"clusters/dev"});
  REQUIRE(tree.size() == 2);
  const auto kust = parse_one(tree.at("bootstrap/dev/kustomization.yaml"));
  CHECK(kust["resources"] == Json::array({"application-neon-dev.yaml"}));
  const std::string text = tree.at("bootstrap/dev/application-neon-dev.yaml");
  CHECK(text.rfind(k_generated_header, 0) == 0);
  const auto app = parse_one(text);
  CHECK(app["apiVersion"] == "argoproj.io/v1alpha1");
  CHECK(app["kind"] == "Application");
  CHECK(app["metadata"]["name"] == "neon-dev");
  CHECK(app["metadata"]["namespace"] == "argocd");
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
  const auto& ignore = app["spec"]["ignoreDifferences"];
  REQUIRE(ignore.size() == 1);
  CHECK(ignore[0]["kind"] == "StatefulSet");
  CHECK(ignore[0]["group"] == "apps");
  CHECK(ignore[0]["jqPathExpressions"][0].get<std::string>().find("volumeClaimTemplates") != std::string::npos);
}

TEST_CASE("gitops: several clusters in the repository give an ApplicationSet") {
  const auto spec = load(with_gitops("argocd", "https://git.example.com/org/gitops.git"));
  const auto tree = bootstrap_tree(spec, {"clusters/prod", "clusters/dev"});
  REQUIRE(tree.count("bootstrap/dev/applicationset-neon.yaml") == 1);
  const auto set = parse_one(tree.at("bootstrap/dev/applicationset-neon.yaml"));
  CHECK(set["kind"] == "ApplicationSet");
  CHECK(set["spec"]["goTemplate"] == true);
  const auto& git = set["spec"]["generators"][0]["git"];
  CHECK(git["repoURL"] == "https://git.example.com/org/gitops.git");
  CHECK(git["directories"] == Json::array({Json{{"path", "clusters/dev"}}, Json{{"path", "clusters/prod"}}}));
  CHECK(set["spec"]["template"]["metadata"]["name"] == "neon-{{.path.basename}}");
  CHECK(set["spec"]["template"]["spec"]["source"]["path"] == "{{.path.path}}");
  CHECK(set["spec"]["template"]["spec"]["syncPolicy"]["automated"]["selfHeal"] == true);
}

TEST_CASE("gitops: Flux GitRepository and one Kustomization per tier, chained") {
  const auto spec = load(with_gitops("flux", "git@github.com:org/gitops.git"));
  const auto tree = bootstrap_tree(spec, {"clusters/dev"});
  REQUIRE(tree.size() == 5);
  const auto repo = parse_one(tree.at("bootstrap/dev/gitrepository-neon-dev.yaml"));
  CHECK(repo["apiVersion"] == "source.toolkit.fluxcd.io/v1");
  CHECK(repo["metadata"]["namespace"] == "flux-system");
  CHECK(repo["spec"]["url"] == "ssh://git@github.com/org/gitops.git");
  CHECK(repo["spec"]["ref"]["branch"] == "main");
  CHECK(repo["spec"]["secretRef"]["name"] == "neon-dev-git");

  std::string previous;
  for (const char* tier : {"storage", "control", "compute"}) {
    CAPTURE(tier);
    const auto k = parse_one(tree.at(std::string("bootstrap/dev/kustomization-neon-dev-") + tier + ".yaml"));
    CHECK(k["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1");
    CHECK(k["kind"] == "Kustomization");
    CHECK(k["metadata"]["name"] == std::string("neon-dev-") + tier);
    CHECK(k["spec"]["path"] == std::string("./clusters/dev/") + tier);
    CHECK(k["spec"]["prune"] == true);
    CHECK(k["spec"]["wait"] == true);
    CHECK(k["spec"]["timeout"] == "5m");
    CHECK(k["spec"]["retryInterval"] == "2m");
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

}  // TEST_SUITE
