#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "plugin/clients/compute_token.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/kube_client.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

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

const fs::path k_dev_example = fs::path(NEON_SOURCE_DIR) / "schemas/examples/dev-minio-argocd.yaml";

/// The dev MinIO example with auth switched on (and the three safekeepers auth needs), the auth
/// Secrets named.
std::string spec_with_auth() {
  std::string text = read_text(k_dev_example);
  const std::string off = "    auth:\n      enabled: false\n";
  const auto at = text.find(off);
  REQUIRE(at != std::string::npos);
  text.replace(at, off.size(),
               "    auth:\n      enabled: true\n      keySecret: neon-auth-public-key\n"
               "      tokenSecret: neon-auth-tokens\n      computeSigningSecret: neon-compute-hook-key\n"
               "      storageSigningSecret: neon-storage-signing-key\n");
  const std::string one = "  safekeepers:\n    count: 1\n";
  const auto sk = text.find(one);
  REQUIRE(sk != std::string::npos);
  text.replace(sk, one.size(), "  safekeepers:\n    count: 3\n");
  return text;
}

const std::map<std::string, std::string> k_scopes = {
    {"pageserver", "pageserverapi"},        {"safekeeper", "safekeeperdata"},
    {"generations", "generations_api"},     {"infra", "infra"},
    {"controller-peer", "controller_peer"}, {"admin", "admin"}};

void check_tokens(const std::map<std::string, std::string>& tokens, const std::string& public_pem) {
  REQUIRE(tokens.size() == k_scopes.size());
  for (const auto& [key, scope] : k_scopes) {
    REQUIRE(tokens.count(key) == 1);
    auto claims = jwt::verify(tokens.at(key), public_pem, 0);
    REQUIRE_MESSAGE(claims.has_value(), key);
    CHECK((*claims)["scope"] == scope);
  }
}

/// The controller-to-hook token is a credential of its own, in the hook tokens Secret in every
/// profile: opaque, not a JWT, not the admin token.
void check_control_plane(const std::map<std::string, std::string>& hook_tokens, const std::string& public_pem,
                         const std::string& admin) {
  REQUIRE(hook_tokens.count("control-plane") == 1);
  const std::string& cp = hook_tokens.at("control-plane");
  CHECK(cp.size() == 48);
  CHECK(cp.find('.') == std::string::npos);
  if (!public_pem.empty()) {
    CHECK_FALSE(jwt::verify(cp, public_pem, 0));
  }
  CHECK(cp != admin);
}

std::map<std::string, std::string> decoded(const nlohmann::json& secret) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : secret["data"].items()) {
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
  explicit Cluster(const std::string& name, std::optional<std::vector<std::string>> namespaces = std::nullopt,
                   const std::string& spec = spec_with_auth())
      : dir(name), pki(dir.path()), fake(pki, FakeKubeOptions{"tok", false, ""}), kubeconfig((dir / "cfg").string()) {
    if (namespaces) {
      fake.track_namespaces(*namespaces);
    }
    REQUIRE_MESSAGE(pki.ok, pki.error);
    REQUIRE(fake.running());
    write_text(dir / "cfg", fmt::format("apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: k\n"
                                        "  cluster:\n    server: {}\n    certificate-authority: ca.crt\n"
                                        "users:\n- name: k\n  user:\n    token: tok\ncontexts:\n- name: k\n"
                                        "  context:\n    cluster: k\n    user: k\n    namespace: elsewhere\n",
                                        fake.url()));
    write_text(dir / "spec.yaml", spec);
  }
  neon::test::CliResult run(std::vector<std::string> extra) {
    std::vector<std::string> args = {"secrets", "init", "-f", (dir / "spec.yaml").string(), "--kubeconfig", kubeconfig};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
};

/// The dev example managed by Flux from `url`.
std::string flux_spec(const std::string& url) {
  std::string text = spec_with_auth();
  const std::string from = "    target: argocd\n    repoURL: https://github.com/acme/neon-gitops.git\n";
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), "    target: flux\n    repoURL: " + url + "\n");
  return text;
}

std::optional<std::vector<std::string>> tracked_namespaces(std::vector<std::string> existing) { return existing; }

/// A fresh directory outside any Git working tree.
fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / fmt::format("kubectl-neon-{}-{}", name, ::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

}  // namespace

TEST_SUITE("secrets") {
  TEST_CASE("init creates every Secret the spec names, in the spec's namespace, with valid tokens" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-create");
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(c.fake.secret_names("neon-dev") ==
          std::vector<std::string>{"neon-auth-public-key", "neon-auth-tokens", "neon-compute-hook-key",
                                   "neon-compute-hook-tokens", "neon-s3-credentials", "neon-storage-signing-key"});
    CHECK(c.fake.secret_names("elsewhere").empty());
    const auto pub = decoded(*c.fake.secret("neon-dev", "neon-auth-public-key"));
    REQUIRE(pub.size() == 1);
    const std::string public_pem = pub.at("public.pem");
    CHECK(public_pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
    const auto tokens = decoded(*c.fake.secret("neon-dev", "neon-auth-tokens"));
    check_tokens(tokens, public_pem);
    check_control_plane(decoded(*c.fake.secret("neon-dev", "neon-compute-hook-tokens")), public_pem,
                        tokens.at("admin"));
    const auto signing = decoded(*c.fake.secret("neon-dev", "neon-compute-hook-key"));
    REQUIRE(signing.count("private.pem") == 1);
    auto hook_pub = jwt::public_from_private(signing.at("private.pem"));
    REQUIRE(hook_pub);
    CHECK(*hook_pub != public_pem);  // the hook's key is its own, not the token signing key
    const auto s3 = decoded(*c.fake.secret("neon-dev", "neon-s3-credentials"));
    CHECK(s3.at("AWS_ACCESS_KEY_ID").size() == 20);
    CHECK(s3.at("AWS_SECRET_ACCESS_KEY").size() == 40);
    // The token signing key goes only into the storage signing Secret, which the hook alone mounts
    // to mint tenant tokens; no other Secret but the hook's own key holds a private key.
    const auto storage = decoded(*c.fake.secret("neon-dev", "neon-storage-signing-key"));
    REQUIRE(storage.size() == 1);
    auto storage_pub = jwt::public_from_private(storage.at("private.pem"));
    REQUIRE(storage_pub);
    CHECK(*storage_pub == public_pem);
    for (const auto& name : c.fake.secret_names("neon-dev")) {
      if (name != "neon-compute-hook-key" && name != "neon-storage-signing-key") {
        for (const auto& [k, v] : decoded(*c.fake.secret("neon-dev", name))) {
          CHECK(v.find("PRIVATE KEY") == std::string::npos);
        }
      }
    }
    // No token is printed.
    for (const auto& [k, t] : tokens) {
      CHECK(r.out.find(t) == std::string::npos);
      CHECK(r.err.find(t) == std::string::npos);
    }
    CHECK(r.err.find("is in Secret neon-dev/neon-storage-signing-key (key private.pem)") != std::string::npos);
    CHECK(r.err.find("was not saved") == std::string::npos);

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
      const std::string new_pub = decoded(*c.fake.secret("neon-dev", "neon-auth-public-key")).at("public.pem");
      CHECK(new_pub != public_pem);
      check_tokens(decoded(*c.fake.secret("neon-dev", "neon-auth-tokens")), new_pub);
      CHECK(*jwt::public_from_private(
                decoded(*c.fake.secret("neon-dev", "neon-storage-signing-key")).at("private.pem")) == new_pub);
    }
  }

  TEST_CASE("init creates the compute hook's signing key in the dev profile too (auth off)" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-dev");
    write_text(c.dir / "spec.yaml", read_text(k_dev_example));
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(c.fake.secret_names("neon-dev") ==
          std::vector<std::string>{"neon-compute-hook-key", "neon-compute-hook-tokens", "neon-s3-credentials"});
    const auto signing = decoded(*c.fake.secret("neon-dev", "neon-compute-hook-key"));
    CHECK(jwt::public_from_private(signing.at("private.pem")));
    // Auth off, and still the hook takes notifications only with the controller's token.
    check_control_plane(decoded(*c.fake.secret("neon-dev", "neon-compute-hook-tokens")), "", "");
  }

  TEST_CASE("the hook tokens Secret: one spec token per compute, derived from its key; a new compute's is added" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-compute-tokens");
    write_text(c.dir / "spec.yaml", read_text(k_dev_example));
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    auto tokens = decoded(*c.fake.secret("neon-dev", "neon-compute-hook-tokens"));
    const std::string key = tokens.at("compute-token-key");
    CHECK(key.size() == 48);
    // The dev example: legacy/main, app/main, app/preview and preview's read replica.
    const std::vector<std::string> ids{"legacy-main", "app-main", "app-preview", "app-preview-ro-0"};
    for (const auto& id : ids) {
      CAPTURE(id);
      CHECK(tokens.at(id + ".token") == compute_token::derive(key, id));
      CHECK(r.out.find(tokens.at(id + ".token")) == std::string::npos);
    }
    // A compute added in Git later: its token is added, the key and the other tokens stay.
    std::string spec = read_text(c.dir / "spec.yaml");
    const std::string branch = "          timelineId: c8857cb7d34fe92c1459c79fe5067e55\n";
    const auto at = spec.find(branch);
    REQUIRE(at != std::string::npos);
    spec.insert(
        at + branch.size(),
        "        - name: extra\n          timelineId: 0123456789abcdef0123456789abcdef\n          parent: main\n");
    write_text(c.dir / "spec.yaml", spec);
    auto again = c.run({});
    REQUIRE_MESSAGE(again.exit == 0, again.err);
    CHECK(again.out.find("neon-dev/neon-compute-hook-tokens exists; added keys: legacy-extra.token") !=
          std::string::npos);
    auto after = decoded(*c.fake.secret("neon-dev", "neon-compute-hook-tokens"));
    CHECK(after.at("legacy-extra.token") == compute_token::derive(key, "legacy-extra"));
    after.erase("legacy-extra.token");
    CHECK(after == tokens);
    auto third = c.run({});
    REQUIRE_MESSAGE(third.exit == 0, third.err);
    CHECK(third.out.find("neon-dev/neon-compute-hook-tokens exists, left alone") != std::string::npos);
  }

  TEST_CASE("spec.proxy: the hook tokens Secret gets proxy-token, added to a Secret made before the proxy was on" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-proxy-token");
    const std::string dev = read_text(k_dev_example);
    write_text(c.dir / "spec.yaml", dev);
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    const auto before = decoded(*c.fake.secret("neon-dev", "neon-compute-hook-tokens"));
    CHECK(before.count("proxy-token") == 0);  // no proxy, no token for it

    write_text(c.dir / "spec.yaml", dev +
                                        "  proxy:\n    enabled: true\n    domain: db.example.com\n"
                                        "    tls:\n      secretRef:\n        name: wildcard-db\n");
    auto again = c.run({});
    REQUIRE_MESSAGE(again.exit == 0, again.err);
    CHECK(again.out.find("neon-dev/neon-compute-hook-tokens exists; added keys: proxy-token") != std::string::npos);
    auto after = decoded(*c.fake.secret("neon-dev", "neon-compute-hook-tokens"));
    const std::string proxy = after.at("proxy-token");
    CHECK(proxy.size() == 48);
    CHECK(proxy.find('.') == std::string::npos);  // opaque, not a JWT
    CHECK(proxy != after.at("control-plane"));
    CHECK(again.out.find(proxy) == std::string::npos);
    after.erase("proxy-token");
    CHECK(after == before);  // every other key as it was
    auto third = c.run({});
    REQUIRE_MESSAGE(third.exit == 0, third.err);
    CHECK(third.out.find("neon-dev/neon-compute-hook-tokens exists, left alone") != std::string::npos);
    CHECK(decoded(*c.fake.secret("neon-dev", "neon-compute-hook-tokens")).at("proxy-token") == proxy);

    // A fresh Secret has it from the start.
    Cluster fresh("secrets-proxy-token-fresh");
    write_text(fresh.dir / "spec.yaml", read_text(c.dir / "spec.yaml"));
    auto made = fresh.run({});
    REQUIRE_MESSAGE(made.exit == 0, made.err);
    CHECK(decoded(*fresh.fake.secret("neon-dev", "neon-compute-hook-tokens")).at("proxy-token").size() == 48);
  }

  TEST_CASE("a lone public key Secret is not paired with new tokens" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
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

  TEST_CASE("-n overrides the spec's namespace; --dry-run touches nothing" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-ns");
    auto dry = c.run({"--dry-run"});
    REQUIRE(dry.exit == 0);
    CHECK(dry.out.find("would create Secret neon-dev/neon-auth-tokens (keys: admin, controller-peer, generations, "
                       "infra, pageserver, safekeeper)") != std::string::npos);
    CHECK(c.fake.requests().empty());
    auto r = c.run({"-n", "other"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(c.fake.secret_names("other").size() == 6);
    CHECK(c.fake.secret_names("neon-dev").empty());
  }

  TEST_CASE("-o yaml prints v1 Secrets with stringData and creates nothing") {
    ScratchDir dir("secrets-yaml");
    write_text(dir / "spec.yaml", spec_with_auth());
    auto r = run_cli({"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml", "--kubeconfig",
                      (dir / "missing").string()});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    const auto docs = YAML::LoadAll(r.out);
    REQUIRE(docs.size() == 6);  // with the compute hook tokens
    std::map<std::string, std::map<std::string, std::string>> by_name;
    for (const auto& d : docs) {
      CHECK(d["apiVersion"].as<std::string>() == "v1");
      CHECK(d["kind"].as<std::string>() == "Secret");
      CHECK(d["metadata"]["namespace"].as<std::string>() == "neon-dev");
      CHECK_FALSE(d["data"]);
      by_name[d["metadata"]["name"].as<std::string>()] = d["stringData"].as<std::map<std::string, std::string>>();
    }
    const std::string public_pem = by_name.at("neon-auth-public-key").at("public.pem");
    check_tokens(by_name.at("neon-auth-tokens"), public_pem);
    check_control_plane(by_name.at("neon-compute-hook-tokens"), public_pem, by_name.at("neon-auth-tokens").at("admin"));
    CHECK(jwt::public_from_private(by_name.at("neon-compute-hook-key").at("private.pem")));
    CHECK(*jwt::public_from_private(by_name.at("neon-storage-signing-key").at("private.pem")) == public_pem);
  }

  TEST_CASE("--private-key-out writes the signing key 0600, outside Git, never over a file") {
    const fs::path tmp = temp_dir("secrets-key");
    ScratchDir dir("secrets-key");
    write_text(dir / "spec.yaml", spec_with_auth());
    const std::string key = (tmp / "signing.pem").string();
    auto r = run_cli({"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml", "--private-key-out", key});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    struct stat st {};
    REQUIRE(::stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777U) == 0600U);
    const auto docs = YAML::LoadAll(r.out);
    std::string public_pem;
    std::map<std::string, std::string> tokens;
    for (const auto& d : docs) {
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

    auto again =
        run_cli({"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml", "--private-key-out", key});
    CHECK(again.exit == 1);
    CHECK(again.err.find("already exists") != std::string::npos);
    fs::create_directories(tmp / "repo/.git");
    auto in_git = run_cli({"secrets", "init", "-f", (dir / "spec.yaml").string(), "-o", "yaml", "--private-key-out",
                           (tmp / "repo/sub/k.pem").string()});
    CHECK(in_git.exit == 1);
    CHECK(in_git.err.find("inside a Git working tree") != std::string::npos);
    fs::remove_all(tmp);
  }

  TEST_CASE("usage errors") {
    CHECK(run_cli({"secrets"}).exit == 2);
    CHECK(run_cli({"secrets", "rotate"}).exit == 2);
    CHECK(run_cli({"secrets", "init", "-o", "json"}).exit == 2);
  }

  TEST_CASE("init on a fresh cluster creates the namespace first, labelled as the generated Namespace" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-fresh", tracked_namespaces({"default", "kube-system"}));
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(r.out.find("Namespace neon-dev created") < r.out.find("Secret neon-dev/"));
    CHECK(c.fake.secret_names("neon-dev").size() == 6);
    auto ns = c.fake.namespace_object("neon-dev");
    REQUIRE(ns);
    // Exactly the generated Namespace's labels, so the GitOps engine adopts it as it is.
    const auto tree = run_cli({"render", "-f", (c.dir / "spec.yaml").string()});
    REQUIRE(tree.exit == 0);
    YAML::Node generated;
    for (const auto& doc : YAML::LoadAll(tree.out)) {
      if (doc["kind"].as<std::string>() == "Namespace") {
        generated = doc;
      }
    }
    REQUIRE(generated);
    for (const auto& kv : generated["metadata"]["labels"]) {
      CHECK((*ns)["metadata"]["labels"][kv.first.as<std::string>()] == kv.second.as<std::string>());
    }
    CHECK((*ns)["metadata"]["labels"].size() == generated["metadata"]["labels"].size());
    // A second run finds it there.
    auto again = c.run({});
    REQUIRE_MESSAGE(again.exit == 0, again.err);
    CHECK(again.out.find("Namespace") == std::string::npos);
  }

  TEST_CASE("flux over SSH: --git-ssh-key and --git-known-hosts make Flux's Git Secret in flux-system" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-flux-ssh", tracked_namespaces({"flux-system"}), flux_spec("git@github.com:acme/gitops.git"));
    write_text(c.dir / "id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n-----END OPENSSH PRIVATE KEY-----\n");
    write_text(c.dir / "id_ed25519.pub", "ssh-ed25519 AAAA test\n");
    write_text(c.dir / "known_hosts", "github.com ssh-ed25519 AAAAhost\n");
    auto r = c.run(
        {"--git-ssh-key", (c.dir / "id_ed25519").string(), "--git-known-hosts", (c.dir / "known_hosts").string()});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    auto secret = c.fake.secret("flux-system", "neon-dev-team-git");
    REQUIRE(secret);
    const auto data = decoded(*secret);
    CHECK(data.at("identity") == read_text(c.dir / "id_ed25519"));
    CHECK(data.at("identity.pub") == "ssh-ed25519 AAAA test\n");
    CHECK(data.at("known_hosts") == "github.com ssh-ed25519 AAAAhost\n");
    CHECK(data.size() == 3);
    // The key never reaches the output.
    CHECK(r.out.find("OPENSSH") == std::string::npos);
    CHECK(r.err.find("OPENSSH") == std::string::npos);

    // Without known_hosts: a usage error that says how to make one; nothing more created.
    auto bare = c.run({"--git-ssh-key", (c.dir / "id_ed25519").string()});
    CHECK(bare.exit == 2);
    CHECK(bare.err.find("ssh-keyscan github.com") != std::string::npos);
  }

  TEST_CASE("flux: without the flags init says exactly how to create the Git Secret; HTTPS takes a token file" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-flux-howto", tracked_namespaces({"flux-system"}),
              flux_spec("ssh://git@git.example.com:2222/acme/gitops"));
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK_FALSE(c.fake.secret("flux-system", "neon-dev-team-git"));
    CHECK(r.err.find("Flux needs Secret flux-system/neon-dev-team-git") != std::string::npos);
    CHECK(r.err.find("--git-ssh-key KEY_FILE --git-known-hosts KNOWN_HOSTS_FILE") != std::string::npos);
    CHECK(r.err.find("ssh-keyscan -p 2222 git.example.com") != std::string::npos);
    CHECK(r.err.find("kubectl -n flux-system create secret generic neon-dev-team-git --from-file=identity=KEY_FILE "
                     "--from-file=known_hosts=known_hosts") != std::string::npos);

    // A private HTTPS repository: spec.gitops.secretRef names the Secret; username/password keys.
    std::string https = flux_spec("https://git.example.com/acme/gitops.git");
    https.replace(https.find("    repoURL:"), 0, "    secretRef:\n      name: gitops-token\n");
    Cluster h("secrets-flux-https", tracked_namespaces({"flux-system"}), https);
    write_text(h.dir / "token", "ghp_secret\n");
    auto t = h.run({"--git-token-file", (h.dir / "token").string()});
    REQUIRE_MESSAGE(t.exit == 0, t.err);
    const auto data = decoded(*h.fake.secret("flux-system", "gitops-token"));
    CHECK(data == std::map<std::string, std::string>{{"password", "ghp_secret"}, {"username", "git"}});
    // An SSH key for an HTTPS URL is refused.
    auto wrong = h.run({"--git-ssh-key", (h.dir / "token").string()});
    CHECK(wrong.exit == 2);
    CHECK(wrong.err.find("HTTPS URL") != std::string::npos);
  }

  TEST_CASE("flux: Flux not installed (no flux-system namespace) is a clear failure" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-flux-missing", tracked_namespaces({}), flux_spec("git@github.com:acme/gitops.git"));
    auto r = c.run({});
    CHECK(r.exit == 1);
    CHECK(r.err.find("namespace flux-system does not exist: install Flux first") != std::string::npos);
  }
}

TEST_SUITE("secrets") {
  TEST_CASE("rotate: add, reissue and drop keep two keys trusted while holders restart" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-rotate");
    REQUIRE(c.run({}).exit == 0);
    auto rotate = [&](const std::string& step) {
      return run_cli(
          {"secrets", "rotate", "--step", step, "-f", (c.dir / "spec.yaml").string(), "--kubeconfig", c.kubeconfig});
    };
    auto secret = [&](const std::string& name) { return decoded(*c.fake.secret("neon-dev", name)); };
    const std::string old_public = secret("neon-auth-public-key").at("public.pem");
    const auto old_tokens = secret("neon-auth-tokens");

    auto nothing = rotate("drop");
    CHECK(nothing.exit == 0);
    CHECK(nothing.out.find("no previous key to drop") != std::string::npos);
    auto early = rotate("reissue");
    CHECK(early.exit == 1);
    CHECK(early.err.find("run --step add first") != std::string::npos);
    CHECK(rotate("bogus").exit == 2);

    // add: a next key beside the current one; tokens untouched.
    auto add = rotate("add");
    REQUIRE_MESSAGE(add.exit == 0, add.err);
    CHECK(add.err.find("rollout restart statefulset") != std::string::npos);
    auto keys = secret("neon-auth-public-key");
    CHECK(keys.size() == 2);
    CHECK(keys.at("public.pem") == old_public);
    const std::string next_public = keys.at("next.pem");
    CHECK(next_public != old_public);
    auto signing = secret("neon-storage-signing-key");
    REQUIRE(signing.count("next.pem") == 1);
    CHECK(*jwt::public_from_private(signing.at("next.pem")) == next_public);
    CHECK(*jwt::public_from_private(signing.at("private.pem")) == old_public);
    CHECK(secret("neon-auth-tokens") == old_tokens);
    auto again = rotate("add");
    CHECK(again.exit == 0);
    CHECK(again.out.find("already in place") != std::string::npos);
    CHECK(secret("neon-auth-public-key").at("next.pem") == next_public);

    // reissue: every token signed by the next key and naming it; the old key stays trusted as
    // previous.pem; the controller's public.pem and the hook's signing key are the next key.
    auto reissue = rotate("reissue");
    REQUIRE_MESSAGE(reissue.exit == 0, reissue.err);
    CHECK(reissue.err.find("storage controller") != std::string::npos);
    keys = secret("neon-auth-public-key");
    CHECK(keys == std::map<std::string, std::string>{{"public.pem", next_public}, {"previous.pem", old_public}});
    const auto new_tokens = secret("neon-auth-tokens");
    check_tokens(new_tokens, next_public);
    const std::string next_kid = *jwt::key_id(next_public);
    for (const auto& [key, token] : new_tokens) {
      CAPTURE(key);
      CHECK_FALSE(jwt::verify(token, old_public, 0));
      auto header = jwt::base64url_decode(token.substr(0, token.find('.')));
      REQUIRE(header);
      CHECK(nlohmann::json::parse(*header)["kid"] == next_kid);
    }
    signing = secret("neon-storage-signing-key");
    CHECK(signing.size() == 1);
    CHECK(*jwt::public_from_private(signing.at("private.pem")) == next_public);
    CHECK(rotate("reissue").err.find("run --step add first") != std::string::npos);
    auto refused = rotate("add");
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("run --step drop first") != std::string::npos);

    // drop: the old key goes.
    auto drop = rotate("drop");
    REQUIRE_MESSAGE(drop.exit == 0, drop.err);
    CHECK(secret("neon-auth-public-key") == std::map<std::string, std::string>{{"public.pem", next_public}});
    CHECK(secret("neon-auth-tokens") == new_tokens);
  }
}

TEST_SUITE("secrets") {
  TEST_CASE("init adds the scoped tokens an earlier version's token Secret lacks, signed with the stored key" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Cluster c("secrets-upgrade-tokens");
    REQUIRE(c.run({}).exit == 0);
    const std::string public_pem = decoded(*c.fake.secret("neon-dev", "neon-auth-public-key")).at("public.pem");
    auto old = decoded(*c.fake.secret("neon-dev", "neon-auth-tokens"));
    old.erase("infra");
    old.erase("controller-peer");
    c.fake.put_secret("neon-dev", "neon-auth-tokens", old);
    auto r = c.run({});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(r.out.find("Secret neon-dev/neon-auth-tokens exists; added keys: controller-peer, infra") !=
          std::string::npos);
    const auto now = decoded(*c.fake.secret("neon-dev", "neon-auth-tokens"));
    check_tokens(now, public_pem);
    for (const auto& [key, token] : old) {
      CHECK(now.at(key) == token);  // the others are left as they were
    }
    // Without the stored signing key nothing can mint them: the error says what to do.
    c.fake.put_secret("neon-dev", "neon-auth-tokens", old);
    c.fake.put_secret("neon-dev", "neon-storage-signing-key", {{"unrelated", "x"}});
    auto stuck = c.run({});
    INFO(stuck.err);
    CHECK(stuck.exit == 1);
    CHECK(stuck.err.find("lacks keys infra, controller-peer;") != std::string::npos);
    CHECK(stuck.err.find("--overwrite") != std::string::npos);
  }
}
