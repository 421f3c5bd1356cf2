#include "plugin/commands/secrets_plan.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "generators/names.hpp"
#include "generators/roles.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/storage_tokens.hpp"

namespace neon::cli {
namespace {

namespace names = gen::names;

std::map<std::string, std::string> labels() {
  return {{"app.kubernetes.io/part-of", "neon"}, {"app.kubernetes.io/managed-by", "kubectl-neon"}};
}

kube::Secret make_secret(const std::string& ns, const std::string& name, std::map<std::string, std::string> data) {
  kube::Secret s;
  s.name = name;
  s.namespace_ = ns;
  s.labels = labels();
  s.data = std::move(data);
  return s;
}

Result<std::string> random_token(std::size_t length) {
  static constexpr std::string_view k_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string raw(length, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    return make_error("the random number generator failed");
  }
  std::string out;
  for (const char c : raw) {
    // 256 % 62 != 0 leaves a slight bias; at 40 characters that is far beyond guessing range.
    out += k_chars[static_cast<unsigned char>(c) % k_chars.size()];
  }
  return out;
}

Result<Group> auth_group(const gen::ClusterSpec& spec, const std::string& ns, std::string& private_pem) {
  const auto& auth = spec.storage_controller.auth;
  auto kp = jwt::generate_ed25519();
  if (!kp) {
    return kp.error();
  }
  auto tokens = storage_tokens(kp->private_pem);
  if (!tokens) {
    return tokens.error();
  }
  private_pem = kp->private_pem;
  Group group{"auth key and tokens",
              {make_secret(ns, auth.key_secret, {{names::k_public_key, kp->public_pem}}),
               make_secret(ns, auth.token_secret, std::move(*tokens))}};
  if (!auth.storage_signing_secret.empty()) {
    group.what = "auth key, tokens and storage signing key";
    group.secrets.push_back(make_secret(ns, auth.storage_signing_secret, {{names::k_signing_key, kp->private_pem}}));
  }
  // A token Secret of an earlier version gets the tokens it lacks, signed with the stored key.
  group.complete = [&auth](const kube::Secret& one, const std::vector<kube::Secret>& all) -> Result<SecretData> {
    auto find = [&all](const std::string& name, const char* key) -> const std::string* {
      for (const auto& s : all) {
        if (s.name == name && s.data.count(key) != 0) {
          return &s.data.at(key);
        }
      }
      return nullptr;
    };
    if (one.name != auth.token_secret) {
      return SecretData{};
    }
    return missing_storage_tokens(one.data, find(auth.storage_signing_secret, names::k_signing_key),
                                  find(auth.key_secret, names::k_public_key));
  };
  return group;
}

/// The compute hook's tokens, in every profile (secrets_hook_tokens.hpp).
Result<Group> hook_tokens_group(const gen::ValidSpec& valid, const std::string& ns) {
  auto key = random_token(48);
  // Opaque, so it grants nothing anywhere else; 48 characters of 62 give about 285 bits.
  auto control_plane = random_token(48);
  // The proxy's bearer token to the hook's /cplane/* routes: opaque like control-plane, its own.
  auto proxy = random_token(48);
  if (!key || !control_plane || !proxy) {
    return make_error("the random number generator failed");
  }
  SecretData data = compute_tokens(*key, valid);
  data[names::k_compute_token_key] = *key;
  data[names::k_token_control_plane] = *control_plane;
  if (valid->proxy.enabled) {
    data[names::k_proxy_token_key] = *proxy;
  }
  Group group{"compute hook tokens", {make_secret(ns, valid->storage_controller.auth.hook_token_secret, data)}};
  group.complete = [&valid, proxy = *proxy](const kube::Secret& existing, const std::vector<kube::Secret>&) {
    return missing_compute_tokens(existing.data, valid, proxy);
  };
  return group;
}

}  // namespace

Result<Plan> make_plan(const gen::ValidSpec& valid, const std::string& ns) {
  const gen::ClusterSpec& spec = valid.spec();
  Plan plan;
  const auto& auth = spec.storage_controller.auth;
  if (auth.enabled && !auth.key_secret.empty() && !auth.token_secret.empty()) {
    auto g = auth_group(spec, ns, plan.signing_private_pem);
    if (!g) {
      return g.error();
    }
    plan.groups.push_back(std::move(*g));
  }
  if (!auth.compute_signing_secret.empty()) {
    auto kp = jwt::generate_ed25519();
    if (!kp) {
      return kp.error();
    }
    plan.groups.push_back({"compute hook signing key",
                           {make_secret(ns, auth.compute_signing_secret, {{names::k_signing_key, kp->private_pem}})}});
  }
  if (!auth.hook_token_secret.empty()) {
    auto g = hook_tokens_group(valid, ns);
    if (!g) {
      return g.error();
    }
    plan.groups.push_back(std::move(*g));
  }
  const auto& os = spec.object_storage;
  if (os.minio && os.credentials == gen::CredentialsMode::secret && !os.credentials_secret.empty()) {
    auto user = random_token(20);
    auto password = random_token(40);
    if (!user || !password) {
      return make_error("the random number generator failed");
    }
    plan.groups.push_back({"MinIO credentials",
                           {make_secret(ns, os.credentials_secret,
                                        {{names::k_s3_access_key, *user}, {names::k_s3_secret_key, *password}})}});
  }
  // One Secret per branch and role, each its own group: a user's own Secret (External Secrets,
  // holding just `password`) is left alone without --overwrite. The compute hook reads `password`.
  for (const gen::Project& p : spec.projects) {
    for (const gen::Branch& b : p.branches) {
      for (const gen::Role& role : gen::effective_roles(p, b)) {
        auto password = random_token(32);
        NEON_TRY(password);
        const gen::Connection conn = gen::connection_for(spec, p, b, role.name, false);
        kube::Secret s =
            make_secret(ns, gen::role_secret_name(p.name, b.name, role.name), gen::role_secret_data(conn, *password));
        s.type = "kubernetes.io/basic-auth";
        auto complete = [conn](const kube::Secret& have, const std::vector<kube::Secret>&) -> Result<SecretData> {
          return gen::role_secret_missing(conn, have.data);
        };
        plan.groups.push_back(
            Group{fmt::format("role {} of {}/{}", role.name, p.name, b.name), {std::move(s)}, std::move(complete)});
      }
    }
  }
  return plan;
}

}  // namespace neon::cli
