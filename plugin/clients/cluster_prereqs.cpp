#include "plugin/clients/cluster_prereqs.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "plugin/adapters/files.hpp"

namespace neon::cli::prereq {

namespace {

constexpr std::size_t k_max_credential_bytes = 64 * 1024;

bool is_ssh(const gen::ValidSpec& spec) { return gen::flux_git_url(spec->gitops.repo_url).rfind("ssh://", 0) == 0; }

/// `user@host` and port of an ssh:// URL, for the howto's ssh-keyscan line.
std::pair<std::string, std::string> ssh_host_port(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  if (const auto at = rest.find('@'); at != std::string::npos) {
    rest = rest.substr(at + 1);
  }
  const auto colon = rest.find(':');
  return colon == std::string::npos ? std::make_pair(rest, std::string())
                                    : std::make_pair(rest.substr(0, colon), rest.substr(colon + 1));
}

Result<std::string> read_credential(const std::string& path, const char* flag) {
  auto text = read_file(path, k_max_credential_bytes);
  if (!text) {
    return make_error(fmt::format("{} {}: {}", flag, path, text.error().message));
  }
  if (text->empty()) {
    return make_error(fmt::format("{} {} is empty", flag, path));
  }
  return std::move(*text);
}

}  // namespace

Result<std::optional<bool>> exists(kube::Client& client, const std::string& path) {
  auto r = client.call("GET", path);
  NEON_TRY(r);
  if (r->status == 200) {
    return std::optional<bool>(true);
  }
  if (r->status == 404) {
    return std::optional<bool>(false);
  }
  return std::optional<bool>();
}

Result<NamespaceState> ensure_namespace(kube::Client& client, const gen::ValidSpec& spec, const std::string& name) {
  const std::string path = "/api/v1/namespaces/" + name;
  auto got = client.call("GET", path);
  NEON_TRY(got);
  if (got->status == 200) {
    return NamespaceState::existed;
  }
  if (got->status != 404) {
    return kube::api_error("GET", path, *got);
  }
  gen::Json ns = gen::namespace_manifest(spec.spec());
  ns["metadata"]["name"] = name;
  auto made = client.call("POST", "/api/v1/namespaces", ns.dump());
  NEON_TRY(made);
  if (made->status == 201 || made->status == 200) {
    return NamespaceState::created;
  }
  if (made->status == 409) {
    return NamespaceState::existed;  // created meanwhile
  }
  return kube::api_error("POST", "/api/v1/namespaces", *made);
}

Result<kube::Secret> flux_git_secret(const gen::ValidSpec& spec, const GitCredentialFiles& files) {
  const std::string name = gen::flux_git_secret(spec);
  if (name.empty()) {
    return make_error(
        spec->gitops.target != gen::GitopsTarget::flux
            ? std::string("--git-ssh-key and --git-token-file are for Flux's Git Secret, and spec.gitops.target is "
                          "not flux")
            : std::string("the Flux GitRepository names no Secret (a public HTTPS repository); set "
                          "spec.gitops.secretRef.name for a private one"));
  }
  if (!files.ssh_key.empty() && !files.token.empty()) {
    return make_error("give --git-ssh-key or --git-token-file, not both");
  }
  kube::Secret s;
  s.name = name;
  s.namespace_ = spec->gitops.flux_namespace;
  s.labels = {{"app.kubernetes.io/part-of", "neon"}, {"app.kubernetes.io/managed-by", "kubectl-neon"}};
  if (is_ssh(spec)) {
    if (files.ssh_key.empty()) {
      return make_error(fmt::format("{} is an SSH URL: Flux needs --git-ssh-key KEY_FILE (and --git-known-hosts)",
                                    gen::flux_git_url(spec->gitops.repo_url)));
    }
    if (files.known_hosts.empty()) {
      const auto [host, port] = ssh_host_port(gen::flux_git_url(spec->gitops.repo_url));
      return make_error(fmt::format(
          "--git-ssh-key needs --git-known-hosts FILE: Flux checks the server's host key against it; make one "
          "with: ssh-keyscan {}{} > known_hosts (and check the keys against those your Git host publishes)",
          port.empty() ? "" : "-p " + port + " ", host));
    }
    auto key = read_credential(files.ssh_key, "--git-ssh-key");
    NEON_TRY(key);
    auto hosts = read_credential(files.known_hosts, "--git-known-hosts");
    NEON_TRY(hosts);
    s.data["identity"] = std::move(*key);
    s.data["known_hosts"] = std::move(*hosts);
    std::error_code ec;
    if (std::filesystem::exists(files.ssh_key + ".pub", ec)) {
      auto pub = read_credential(files.ssh_key + ".pub", "--git-ssh-key (.pub)");
      NEON_TRY(pub);
      s.data["identity.pub"] = std::move(*pub);
    }
    return s;
  }
  if (files.token.empty()) {
    return make_error(fmt::format("{} is an HTTPS URL: Flux needs --git-token-file TOKEN_FILE, not an SSH key",
                                  spec->gitops.repo_url));
  }
  auto token = read_credential(files.token, "--git-token-file");
  NEON_TRY(token);
  while (!token->empty() && (token->back() == '\n' || token->back() == '\r')) {
    token->pop_back();
  }
  s.data["username"] = files.username;
  s.data["password"] = std::move(*token);
  return s;
}

std::string flux_git_secret_howto(const gen::ValidSpec& spec, const std::string& prog) {
  const std::string name = gen::flux_git_secret(spec);
  const std::string ns = spec->gitops.flux_namespace;
  const std::string url = gen::flux_git_url(spec->gitops.repo_url);
  if (is_ssh(spec)) {
    const auto [host, port] = ssh_host_port(url);
    return fmt::format(
        "  {} secrets init -f SPEC --git-ssh-key KEY_FILE --git-known-hosts KNOWN_HOSTS_FILE\n"
        "  or: ssh-keyscan {}{} > known_hosts\n"
        "      kubectl -n {} create secret generic {} --from-file=identity=KEY_FILE "
        "--from-file=known_hosts=known_hosts\n"
        "  or: flux create secret git {} -n {} --url={} --private-key-file=KEY_FILE\n"
        "  (the key's public half must be a deploy key with read access to the repository)\n",
        prog, port.empty() ? "" : "-p " + port + " ", host, ns, name, name, ns, url);
  }
  return fmt::format(
      "  {} secrets init -f SPEC --git-token-file TOKEN_FILE\n"
      "  or: kubectl -n {} create secret generic {} --from-literal=username=git --from-file=password=TOKEN_FILE\n"
      "  (a token with read access to {})\n",
      prog, ns, name, url);
}

}  // namespace neon::cli::prereq
