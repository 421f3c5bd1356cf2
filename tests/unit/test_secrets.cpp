#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "plugin/jwt.hpp"
#include "plugin/kube_client.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/run.hpp"

using namespace neon::cli;
using neon::test::FakeKubeApi;
using neon::test::FakeKubeOptions;
using neon::test::read_text;
using neon::test::run_cli;
using neon::test::ScratchDir;
using neon::test::TestPki;
using neon::test::write_text;

namespace {

namespace fs = std::filesystem;

/// The dev MinIO example with auth switched on and the three auth Secrets named, and the three
/// safekeepers auth needs (strict mode refuses fewer).
std::string spec_with_auth() {
  std::string text = read_text(fs::path(NEON_SOURCE_DIR) / "schemas/examples/dev-minio-argocd.yaml");
  const std::string off = "    auth:\n      enabled: false\n";
  const auto at = text.find(off);
  REQUIRE(at != std::string::npos);
  text.replace(at, off.size(),
               "    auth:\n      enabled: true\n      keySecret: neon-auth-public-key\n"
               "      tokenSecret: neon-auth-tokens\n      computeSigningSecret: neon-compute-hook-key\n");
  const std::string one = "  safekeepers:\n    count: 1\n";
  const auto sk = text.find(one);
  REQUIRE(sk != std::string::npos);
  text.replace(sk, one.size(), "  safekeepers:\n    count: 3\n");
  return text;
}

const std::map<std::string, std::string> k_scopes = {{"pageserver", "pageserverapi"},
                                                     {"safekeeper", "safekeeperdata"},
                                                     {"generations", "generations_api"},
                                                     {"admin", "admin"},
                                                     {"control-plane", "admin"}};

void check_tokens(const std::map<std::string, std::string> &tokens, const std::string &public_pem) {
  REQUIRE(tokens.size() == k_scopes.size());
  for (const auto &[key, scope] : k_scopes) {
    REQUIRE(tokens.count(key) == 1);
    auto claims = jwt::verify(tokens.at(key), public_pem, 0);
    REQUIRE_MESSAGE(claims.has_value(), key);
    CHECK((*claims)["scope"] == scope);
  }
}

std::map<std::string, std::string> decoded(const nlohmann::json &secret) {
  std::map<std::string, std::string> out;
  for (const auto &[k, v] : secret["data"].items()) {
    auto raw = kube::base64_decode(v.get<std::string>());
    REQUIRE(raw);
    out[k] = *raw;
  }
  return out;
}

struct Cluster {
  ScratchDir dir;
  TestPki pki;
  FakeKubeApi fake;
  std::string kubeconfig;
  explicit Cluster(const std::string &name)
      : dir(name), pki(dir.path()), fake(pki, FakeKubeOptions{"tok", false, ""}),
        kubeconfig((dir / "cfg").string()) {
    REQUIRE_MESSAGE(pki.ok, pki.error);
    REQUIRE(fake.running());
    write_text(dir / "cfg",
               fmt::format("apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: k\n"
                           "  cluster:\n    server: {}\n    certificate-authority: ca.crt\n"
                           "users:\n- name: k\n  user:\n    token: tok\ncontexts:\n- name: k\n"
                           "  context:\n    cluster: k\n    user: k\n    namespace: elsewhere\n",
                           fake.url()));
    write_text(dir / "spec.yaml", spec_with_auth());
  }
  neon::test::CliResult run(std::vector<std::string> extra) {
    std::vector<std::string> args = {"secrets",      "init",    "-f", (dir / "spec.yaml").string(),
                                     "--kubeconfig", kubeconfig};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
};

/// A fresh directory outside any Git working tree.
fs::path temp_dir(const std::string &name) {
  fs::path p = fs::temp_directory_path() / fmt::format("kubectl-neon-{}-{}", name, ::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

} // namespace

TEST_SUITE("secrets") {
  TEST_CASE("init creates every Secret the spec names, in the spec's namespace, with valid tokens") {
    Cluster c("secrets-create");
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(c.fake.secret_names("neon-dev") ==
          std::vector<std::string>{"neon-auth-public-key", "neon-auth-tokens", "neon-compute-hook-key",
                                   "neon-s3-credentials"});
    CHECK(c.fake.secret_names("elsewhere").empty());
    const auto pub = decoded(*c.fake.secret("neon-dev", "neon-auth-public-key"));
    REQUIRE(pub.size() == 1);
    const std::string public_pem = pub.at("public.pem");
    CHECK(public_pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
    const auto tokens = decoded(*c.fake.secret("neon-dev", "neon-auth-tokens"));
    check_tokens(tokens, public_pem);
    const auto signing = decoded(*c.fake.secret("neon-dev", "neon-compute-hook-key"));
    REQUIRE(signing.count("private.pem") == 1);
    auto hook_pub = jwt::public_from_private(signing.at("private.pem"));
    REQUIRE(hook_pub);
    CHECK(*hook_pub != public_pem); // the hook's key is its own, not the token signing key
    const auto s3 = decoded(*c.fake.secret("neon-dev", "neon-s3-credentials"));
    CHECK(s3.at("AWS_ACCESS_KEY_ID").size() == 20);
    CHECK(s3.at("AWS_SECRET_ACCESS_KEY").size() == 40);
    // The token signing key is never sent: only the hook's own key Secret holds a private key.
    for (const auto &name : c.fake.secret_names("neon-dev")) {
      if (name != "neon-compute-hook-key") {
        for (const auto &[k, v] : decoded(*c.fake.secret("neon-dev", name))) {
          CHECK(v.find("PRIVATE KEY") == std::string::npos);
        }
      }
    }
    // No token is printed.
    for (const auto &[k, t] : tokens) {
      CHECK(r.out.find(t) == std::string::npos);
      CHECK(r.err.find(t) == std::string::npos);
    }
    CHECK(r.err.find("was not saved") != std::string::npos);

    SUBCASE("a second run leaves everything alone") {
      const auto before = *c.fake.secret("neon-dev", "neon-auth-tokens");
      auto again = c.run({});
      REQUIRE_MESSAGE(again.exit == 0, again.err);
      CHECK(again.out.find("neon-dev/neon-auth-tokens exists, left alone") != std::string::npos);
      CHECK(*c.fake.secret("neon-dev", "neon-auth-tokens") == before);
    }
    SUBCASE("--overwrite replaces them with a new key") {
      auto again = c.run({"--overwrite"});
      REQUIRE_MESSAGE(again.exit == 0, again.err);
      const std::string new_pub =
          decoded(*c.fake.secret("neon-dev", "neon-auth-public-key")).at("public.pem");
      CHECK(new_pub != public_pem);
      check_tokens(decoded(*c.fake.secret("neon-dev", "neon-auth-tokens")), new_pub);
    }
  }

  TEST_CASE("a lone public key Secret is not paired with new tokens") {
    Cluster c("secrets-partial");
    kube::ApiServer api;
    api.server = c.fake.url();
    api.tls.ca_file = c.pki.ca_crt.string();
    api.headers = {{"Authorization", "Bearer tok"}};
    http::CurlTransport transport(api.tls);
    kube::Client client(api, transport);
    kube::Secret s;
    s.name = "neon-auth-public-key";
    s.namespace_ = "neon-dev";
    s.data = {{"public.pem", "old"}};
    auto made = client.create_secret(s);
    REQUIRE(made);
    CHECK(*made == kube::Created::created);
    auto again = client.create_secret(s);
    REQUIRE(again);
    CHECK(*again == kube::Created::already_exists);

    auto r = c.run({});
    CHECK(r.exit == 1);
    CHECK(r.err.find("neon-auth-public-key exists but not the others") != std::string::npos);
    CHECK_FALSE(c.fake.secret("neon-dev", "neon-auth-tokens"));
  }

  TEST_CASE("-n overrides the spec's namespace; --dry-run touches nothing") {
    Cluster c("secrets-ns");
    auto dry = c.run({"--dry-run"});
    REQUIRE(dry.exit == 0);
    CHECK(dry.out.find(
              "would create Secret neon-dev/neon-auth-tokens (keys: admin, control-plane, generations, "
              "pageserver, safekeeper)") != std::string::npos);
    CHECK(c.fake.requests().empty());
    auto r = c.run({"-n", "other"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(c.fake.secret_names("other").size() == 4);
    CHECK(c.fake.secret_names("neon-dev").empty());
  }

  TEST_CASE("-o yaml prints v1 Secrets with stringData and creates nothing") {
    ScratchDir dir("secrets-yaml");
    write_text(dir / "spec.yaml", spec_with_auth());
    auto r = run_cli({"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml", "--kubeconfig",
                      (dir / "missing").string()});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    const auto docs = YAML::LoadAll(r.out);
    REQUIRE(docs.size() == 4);
    std::map<std::string, std::map<std::string, std::string>> by_name;
    for (const auto &d : docs) {
      CHECK(d["apiVersion"].as<std::string>() == "v1");
      CHECK(d["kind"].as<std::string>() == "Secret");
      CHECK(d["metadata"]["namespace"].as<std::string>() == "neon-dev");
      CHECK_FALSE(d["data"]);
      by_name[d["metadata"]["name"].as<std::string>()] =
          d["stringData"].as<std::map<std::string, std::string>>();
    }
    const std::string public_pem = by_name.at("neon-auth-public-key").at("public.pem");
    check_tokens(by_name.at("neon-auth-tokens"), public_pem);
    CHECK(jwt::public_from_private(by_name.at("neon-compute-hook-key").at("private.pem")));
  }

  TEST_CASE("--private-key-out writes the signing key 0600, outside Git, never over a file") {
    const fs::path tmp = temp_dir("secrets-key");
    ScratchDir dir("secrets-key");
    write_text(dir / "spec.yaml", spec_with_auth());
    const std::string key = (tmp / "signing.pem").string();
    auto r = run_cli(
        {"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml", "--private-key-out", key});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    struct stat st {};
    REQUIRE(::stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777U) == 0600U);
    const auto docs = YAML::LoadAll(r.out);
    std::string public_pem;
    std::map<std::string, std::string> tokens;
    for (const auto &d : docs) {
      if (d["metadata"]["name"].as<std::string>() == "neon-auth-public-key") {
        public_pem = d["stringData"]["public.pem"].as<std::string>();
      } else if (d["metadata"]["name"].as<std::string>() == "neon-auth-tokens") {
        tokens = d["stringData"].as<std::map<std::string, std::string>>();
      }
    }
    auto derived = jwt::public_from_private(read_text(key));
    REQUIRE(derived);
    CHECK(*derived == public_pem);
    check_tokens(tokens, public_pem);
    CHECK(r.out.find(read_text(key)) == std::string::npos);

    auto again = run_cli(
        {"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml", "--private-key-out", key});
    CHECK(again.exit == 1);
    CHECK(again.err.find("already exists") != std::string::npos);
    fs::create_directories(tmp / "repo/.git");
    auto in_git = run_cli({"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml",
                           "--private-key-out", (tmp / "repo/sub/k.pem").string()});
    CHECK(in_git.exit == 1);
    CHECK(in_git.err.find("inside a Git working tree") != std::string::npos);
    fs::remove_all(tmp);
  }

  TEST_CASE("usage errors") {
    CHECK(run_cli({"secrets"}).exit == 2);
    CHECK(run_cli({"secrets", "rotate"}).exit == 2);
    CHECK(run_cli({"secrets", "init", "-o", "json"}).exit == 2);
  }
}
