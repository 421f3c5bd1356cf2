// kubectl neon secrets init: the Secrets a spec names (auth key and tokens, the compute hook's
// signing key, dev MinIO credentials), created through the Kubernetes API or printed as YAML for
// SOPS / Sealed Secrets. Tokens never appear on argv or in logs, and nothing is written into the
// Git repository.
//
// Tokens (neon-api.md §3): one per holder with the one scope it needs, each naming its key by `kid`
// (plugin/clients/storage_tokens.hpp); the admin token is the operator's, no pod mounts it. The
// control-plane token is a credential of its
// own, in the compute hook tokens Secret in every profile (dev too): a random opaque string (not a
// JWT, and not a copy of the admin token) that the storage controller sends to the compute hook,
// which accepts nothing else on /notify-*. Leaking it lets someone send notifications, not use the
// storage APIs.
//
// With auth on, the private key that signs the tokens is stored too, in the Secret named by
// storageSigningSecret (key private.pem), which only the compute hook mounts: the hook mints each
// compute's tenant-scoped storage_auth_token from it, so a project added in Git gets its token
// without a manual step.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <ostream>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <openssl/rand.h>
#include <yaml-cpp/yaml.h>

#include "generators/gitops.hpp"
#include "generators/names.hpp"
#include "generators/roles.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/clients/cluster_prereqs.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/clients/storage_tokens.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/secrets_files.hpp"
#include "plugin/commands/secrets_hook_tokens.hpp"
#include "plugin/commands/secrets_plan.hpp"
#include "plugin/commands/secrets_rotate.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {
namespace {

namespace fs = std::filesystem;
namespace names = gen::names;

std::string to_yaml(const kube::Secret& s) {
  YAML::Emitter y;
  y << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value << "v1" << YAML::Key << "kind" << YAML::Value
    << "Secret" << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
    << s.name << YAML::Key << "namespace" << YAML::Value << s.namespace_ << YAML::Key << "labels" << YAML::Value
    << YAML::BeginMap;
  for (const auto& [k, v] : s.labels) {
    y << YAML::Key << k << YAML::Value << v;
  }
  y << YAML::EndMap << YAML::EndMap << YAML::Key << "type" << YAML::Value << s.type << YAML::Key << "stringData"
    << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : s.data) {
    y << YAML::Key << k << YAML::Value;
    if (v.find('\n') != std::string::npos) {
      y << YAML::Literal << v;
    } else {
      y << v;
    }
  }
  y << YAML::EndMap << YAML::EndMap;
  return std::string(y.c_str()) + "\n";
}

std::string key_list(const kube::Secret& s) {
  std::string out;
  for (const auto& [k, v] : s.data) {
    out += out.empty() ? k : ", " + k;
  }
  return out;
}

/// Applies one group. Returns an error message, or nothing.
Result<void> apply_group(Context& ctx, kube::Client& client, const Group& group, bool overwrite) {
  std::vector<std::optional<kube::Secret>> existing;
  std::vector<std::string> present;
  for (const auto& s : group.secrets) {
    auto got = client.get_secret(s.namespace_, s.name);
    if (!got) {
      return got.error();
    }
    if (*got) {
      present.push_back(s.name);
    }
    existing.push_back(std::move(*got));
  }
  if (!overwrite && present.size() == group.secrets.size()) {
    for (std::size_t i = 0; i < group.secrets.size(); ++i) {
      const kube::Secret& s = group.secrets[i];
      std::vector<kube::Secret> all;
      std::for_each(existing.begin(), existing.end(), [&all](const auto& e) { all.push_back(*e); });
      auto missing = group.complete ? group.complete(*existing[i], all) : Result<SecretData>(SecretData{});
      NEON_TRY(missing);
      if (missing->empty()) {
        fmt::print(ctx.out, "Secret {}/{} exists, left alone (--overwrite replaces it)\n", s.namespace_, s.name);
        continue;
      }
      kube::Secret updated = *existing[i];
      for (const auto& [k, v] : *missing) {
        updated.data[k] = v;
      }
      NEON_TRY(client.replace_secret(updated));
      fmt::print(ctx.out, "Secret {}/{} exists; added keys: {}\n", s.namespace_, s.name,
                 key_list(kube::Secret{s.name, s.namespace_, *missing, {}, "", ""}));
    }
    return {};
  }
  if (!overwrite && !present.empty()) {
    return make_error(
        fmt::format("{}: Secret {} exists but not the others of the set; they must be generated together "
                    "(rerun with --overwrite to replace all of them)",
                    group.what, fmt::join(present, ", ")));
  }
  for (std::size_t i = 0; i < group.secrets.size(); ++i) {
    kube::Secret s = group.secrets[i];
    if (existing[i]) {
      s.resource_version = existing[i]->resource_version;
      auto done = client.replace_secret(s);
      if (!done) {
        return done.error();
      }
      fmt::print(ctx.out, "Secret {}/{} replaced (keys: {})\n", s.namespace_, s.name, key_list(s));
      continue;
    }
    auto created = client.create_secret(s);
    if (!created) {
      return created.error();
    }
    fmt::print(ctx.out, "Secret {}/{} {} (keys: {})\n", s.namespace_, s.name,
               *created == kube::Created::created ? "created" : "appeared meanwhile, left alone", key_list(s));
  }
  return {};
}

/// On a fresh cluster: the namespace first (as the tree has it, so the GitOps engine adopts it),
/// then the cluster's Secrets, then Flux's Git Secret (or how to make it) in Flux's namespace.
Result<void> apply_all(Context& ctx, kube::Client& client, const gen::ValidSpec& spec, const std::string& ns,
                       const Plan& plan, bool overwrite) {
  if (!plan.groups.empty()) {
    auto state = prereq::ensure_namespace(client, spec, ns);
    NEON_TRY(state);
    if (*state == prereq::NamespaceState::created) {
      fmt::print(ctx.out, "Namespace {} created (labelled as the generated one, which the GitOps engine adopts)\n", ns);
    }
  }
  for (const auto& g : plan.groups) {
    NEON_TRY(apply_group(ctx, client, g, overwrite));
  }
  const std::string git_secret = gen::flux_git_secret(spec);
  if (git_secret.empty()) {
    return {};
  }
  const std::string flux_ns = spec->gitops.flux_namespace;
  auto flux_there = prereq::exists(client, "/api/v1/namespaces/" + flux_ns);
  NEON_TRY(flux_there);
  if (*flux_there == std::optional<bool>(false)) {
    return make_error(
        fmt::format("namespace {} does not exist: install Flux first (or set spec.gitops.fluxNamespace "
                    "to where it runs), then rerun secrets init",
                    flux_ns));
  }
  if (plan.flux_git) {
    return apply_group(ctx, client, *plan.flux_git, overwrite);
  }
  auto present = client.get_secret(flux_ns, git_secret);
  NEON_TRY(present);
  if (*present) {
    fmt::print(ctx.out, "Secret {}/{} exists, left alone (Flux's Git credentials)\n", flux_ns, git_secret);
    return {};
  }
  fmt::print(ctx.err, "Flux needs Secret {}/{} to read the repository, and it does not exist; create it with:\n{}",
             flux_ns, git_secret, prereq::flux_git_secret_howto(spec, ctx.prog));
  return {};
}

int secrets_init(Context& ctx, const cxxopts::ParseResult& r) {
  const std::string output = r["output"].as<std::string>();
  const bool dry_run = r.count("dry-run") > 0;
  const bool overwrite = r.count("overwrite") > 0;
  const std::string key_out = r["private-key-out"].as<std::string>();
  auto spec = load_valid_spec(ctx, r["file"].as<std::string>());
  if (!spec) {
    return k_exit_failure;
  }
  const std::string ns = !ctx.globals.namespace_.empty() ? ctx.globals.namespace_ : (*spec)->namespace_;
  if (!key_out.empty()) {
    if (auto ok = check_key_out(key_out); !ok) {
      return fail(ctx, ok.error().message);
    }
  }
  auto plan = make_plan(*spec, ns);
  if (!plan) {
    return fail(ctx, plan.error().message);
  }
  const prereq::GitCredentialFiles git_files{r["git-ssh-key"].as<std::string>(), r["git-known-hosts"].as<std::string>(),
                                             r["git-token-file"].as<std::string>(),
                                             r["git-username"].as<std::string>()};
  const std::string git_secret = gen::flux_git_secret(*spec);
  if (git_files.given()) {
    auto made = prereq::flux_git_secret(*spec, git_files);
    if (!made) {
      return usage_error(ctx, "secrets", made.error().message);
    }
    plan->flux_git = Group{"Flux's Git credentials", {std::move(*made)}};
  } else if (!git_files.known_hosts.empty()) {
    return usage_error(ctx, "secrets", "--git-known-hosts goes with --git-ssh-key");
  }
  if (plan->groups.empty() && !plan->flux_git && git_secret.empty()) {
    fmt::print(ctx.err, "nothing to do: the spec names no Secret that secrets init generates\n");
    return k_exit_ok;
  }
  if (dry_run) {
    if (output.empty()) {
      fmt::print(ctx.out, "would create Namespace {} unless it exists\n", ns);
    }
    auto all = plan->groups;
    if (plan->flux_git) {
      all.push_back(*plan->flux_git);
    }
    for (const auto& g : all) {
      for (const auto& s : g.secrets) {
        fmt::print(ctx.out, "would create Secret {}/{} (keys: {})\n", s.namespace_, s.name, key_list(s));
      }
    }
    if (!git_secret.empty() && !plan->flux_git) {
      fmt::print(ctx.err, "Flux needs Secret {}/{} to read the repository; create it with:\n{}",
                 (*spec)->gitops.flux_namespace, git_secret, prereq::flux_git_secret_howto(*spec, ctx.prog));
    }
    return k_exit_ok;
  }
  std::optional<kube::ApiServer> api;
  if (output.empty()) {
    auto resolved = kube::resolve_api_server(ctx, ns);
    if (!resolved) {
      return fail(ctx, resolved.error().message);
    }
    api = std::move(*resolved);
  }
  if (!key_out.empty() && !plan->signing_private_pem.empty()) {
    if (auto ok = write_private(key_out, plan->signing_private_pem); !ok) {
      return fail(ctx, ok.error().message);
    }
  }
  if (!output.empty()) {
    if (ctx.out_is_tty) {
      fmt::print(ctx.err,
                 "warning: printing secret values (tokens and private keys) to the terminal; redirect to a file, "
                 "which is then made readable by you alone (0600), and encrypt it before it goes to Git\n");
    }
    owner_only_stdout(ctx);
    auto all = plan->groups;
    if (plan->flux_git) {
      all.push_back(*plan->flux_git);
    }
    for (const auto& g : all) {
      for (const auto& s : g.secrets) {
        fmt::print(ctx.out, "---\n{}", to_yaml(s));
      }
    }
    if (!git_secret.empty() && !plan->flux_git) {
      fmt::print(ctx.err, "Flux needs Secret {}/{} to read the repository; create it with:\n{}",
                 (*spec)->gitops.flux_namespace, git_secret, prereq::flux_git_secret_howto(*spec, ctx.prog));
    }
  } else {
    http::CurlTransport transport(api->tls);
    kube::Client client(*api, transport);
    if (auto ok = apply_all(ctx, client, *spec, ns, *plan, overwrite); !ok) {
      return fail(ctx, ok.error().message);
    }
  }
  if (!plan->signing_private_pem.empty()) {
    const std::string& stored = spec->spec().storage_controller.auth.storage_signing_secret;
    if (!stored.empty()) {
      fmt::print(ctx.err,
                 "the private key that signed the tokens is in Secret {}/{} (key {}), for the compute "
                 "hook only\n",
                 ns, stored, names::k_signing_key);
    }
    if (!key_out.empty()) {
      fmt::print(ctx.err, "the private key that signed the tokens is in {} (mode 0600); keep it out of Git\n", key_out);
    } else if (stored.empty()) {
      fmt::print(ctx.err,
                 "the private key that signed the tokens was not saved anywhere; new tokens need "
                 "`secrets init --overwrite` (or pass --private-key-out PATH)\n");
    }
  }
  return k_exit_ok;
}

OptionSet secrets_init_options(const Context& ctx) {
  auto opts =
      make_options(ctx, "secrets init",
                   "Generate the Secrets a cluster spec names: the auth key pair and per-caller tokens, the "
                   "compute hook's signing key, dev MinIO credentials and one password Secret per branch and role, "
                   "created in the cluster (the "
                   "namespace too, when missing) or printed with -o yaml; with Flux, also Flux's Git Secret.");
  add_spec_flag(opts, SpecFlag::live);
  add_output(opts, {"yaml"}, "", "yaml: print the Secrets (stringData) instead of creating them");
  opts.add_options()("dry-run", "Print which Secrets would be created")("overwrite",
                                                                        "Replace Secrets that already exist")(
      "private-key-out", "Also write the token signing key to this new file (mode 0600)",
      cxxopts::value<std::string>()->default_value(""))(
      "git-ssh-key", "Flux (SSH URL): private key file for Flux's Git Secret (KEY_FILE.pub is added when present)",
      cxxopts::value<std::string>()->default_value(""))(
      "git-known-hosts", "Flux (SSH URL): known_hosts file with the Git server's host keys",
      cxxopts::value<std::string>()->default_value(""))(
      "git-token-file", "Flux (HTTPS URL): file holding the token for Flux's Git Secret",
      cxxopts::value<std::string>()->default_value(""))("git-username",
                                                        "Flux (HTTPS URL): user name sent with the token",
                                                        cxxopts::value<std::string>()->default_value("git"));
  opts.files({"private-key-out", "git-ssh-key", "git-known-hosts", "git-token-file"});
  return opts;
}

int secrets_init_command(Context& ctx, const Args& args) {
  auto opts = secrets_init_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  if (!output_of(ctx, opts, *r, exit)) {
    return exit;
  }
  return secrets_init(ctx, *r);
}

}  // namespace

const VerbGroup& secrets_verbs() {
  static const VerbGroup k_group{"Generate the Secrets a cluster spec names.",
                                 {{"init", "Create the auth keys, tokens and credentials (or print them with -o yaml)",
                                   secrets_init_command, secrets_init_options},
                                  {"rotate", "Replace the storage auth key in steps: add, reissue, drop",
                                   secrets_rotate_command, secrets_rotate_options}}};
  return k_group;
}

}  // namespace neon::cli
