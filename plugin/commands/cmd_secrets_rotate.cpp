// kubectl neon secrets rotate --step add|reissue|drop: replaces the storage auth key in three steps,
// so that every holder keeps working while two keys overlap.
//
// Who trusts which key (neon-api.md 3.3; members.hpp): pageservers and safekeepers every file of
// the key Secret (JwtAuth::from_key_path on the mounted folder), the storage controller only
// public.pem (storage_controller/src/main.rs:282-283, one key), read at start by all of them.
//
//   add      next key pair: next.pem in the key Secret (public) and in the signing Secret (private).
//            Restart pageservers and safekeepers: they then trust both keys.
//   reissue  every token of the token Secret signed with the next key (its kid); public.pem becomes
//            the next key and previous.pem the old one; the signing Secret's private.pem the next
//            key. Restart the controller, pageservers, safekeepers, the hook, then the computes.
//   drop     previous.pem goes. Restart pageservers and safekeepers: the old key is trusted no more.
//
// Each step can be run again after a failure part way (the Secrets are written in an order that a
// rerun completes) and says what to restart before the next one.
#include <optional>
#include <string>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/names.hpp"
#include "plugin/clients/jwt.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/clients/storage_tokens.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/secrets_rotate.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {
namespace {

namespace names = gen::names;

struct Secrets {
  kube::Secret key;      ///< auth.keySecret: public.pem [, next.pem | previous.pem]
  kube::Secret tokens;   ///< auth.tokenSecret
  kube::Secret signing;  ///< auth.storageSigningSecret: private.pem [, next.pem]
};

std::optional<std::string> value(const kube::Secret& s, const std::string& key) {
  auto it = s.data.find(key);
  return it == s.data.end() ? std::nullopt : std::optional<std::string>(it->second);
}

Result<Secrets> read_secrets(kube::Client& client, const std::string& ns, const gen::ClusterSpec& spec) {
  const auto& auth = spec.storage_controller.auth;
  Secrets out;
  const std::pair<const std::string*, kube::Secret*> wanted[] = {
      {&auth.key_secret, &out.key}, {&auth.token_secret, &out.tokens}, {&auth.storage_signing_secret, &out.signing}};
  for (const auto& [name, into] : wanted) {
    auto got = client.get_secret(ns, *name);
    NEON_TRY(got);
    if (!*got) {
      return make_error(fmt::format("Secret {}/{} does not exist: run `kubectl neon secrets init` first", ns, *name));
    }
    *into = std::move(**got);
  }
  if (!value(out.key, names::k_public_key) || !value(out.signing, names::k_signing_key)) {
    return make_error(fmt::format("Secret {}/{} has no {} or Secret {}/{} has no {}", ns, out.key.name,
                                  names::k_public_key, ns, out.signing.name, names::k_signing_key));
  }
  return out;
}

/// The private key of the next key: the signing Secret's next.pem, or its private.pem when a
/// reissue stopped after writing it there (its public half is then the key Secret's next.pem).
Result<std::string> next_private(const Secrets& s) {
  auto next_public = value(s.key, names::k_public_key_next);
  if (!next_public) {
    return make_error(fmt::format("no rotation is under way (Secret {} has no {}): run --step add first", s.key.name,
                                  names::k_public_key_next));
  }
  for (const char* key : {names::k_signing_key_next, names::k_signing_key}) {
    if (auto pem = value(s.signing, key)) {
      auto pub = jwt::public_from_private(*pem);
      if (pub && *pub == *next_public) {
        return *pem;
      }
    }
  }
  return make_error(fmt::format("Secret {} holds no private key for the {} of Secret {}: run --step add again",
                                s.signing.name, names::k_public_key_next, s.key.name));
}

Result<void> write(Context& ctx, kube::Client& client, const kube::Secret& s, bool dry_run) {
  std::string keys;
  for (const auto& entry : s.data) {
    keys += (keys.empty() ? "" : ", ") + entry.first;
  }
  fmt::print(ctx.out, "{} Secret {}/{}: keys {}\n", dry_run ? "would replace" : "replaced", s.namespace_, s.name, keys);
  return dry_run ? Result<void>{} : client.replace_secret(s);
}

std::string restart(const std::string& ns, const std::string& what) {
  return fmt::format("kubectl -n {} rollout restart {}", ns, what);
}

Result<void> step_add(Context& ctx, kube::Client& client, Secrets s, const std::string& ns, bool dry_run) {
  if (value(s.key, names::k_public_key_previous)) {
    return make_error(fmt::format("Secret {} still holds {} from the last rotation: run --step drop first", s.key.name,
                                  names::k_public_key_previous));
  }
  if (next_private(s)) {
    auto kid = jwt::key_id(s.key.data[names::k_public_key_next]);
    fmt::print(ctx.out, "the next key is already in place (kid {})\n", kid ? *kid : std::string("?"));
  } else {
    auto kp = jwt::generate_ed25519();
    NEON_TRY(kp);
    // The private half first: a key Secret naming a next key always has it beside it.
    s.signing.data[names::k_signing_key_next] = kp->private_pem;
    NEON_TRY(write(ctx, client, s.signing, dry_run));
    s.key.data[names::k_public_key_next] = kp->public_pem;
    NEON_TRY(write(ctx, client, s.key, dry_run));
  }
  fmt::print(ctx.err,
             "next: restart pageservers and safekeepers so they trust both keys, then run --step reissue:\n  {}\n",
             restart(ns, "statefulset -l 'app.kubernetes.io/component in (pageserver,safekeeper)'"));
  return {};
}

Result<void> step_reissue(Context& ctx, kube::Client& client, Secrets s, const std::string& ns, bool dry_run) {
  auto next = next_private(s);
  NEON_TRY(next);
  auto tokens = storage_tokens(*next);
  NEON_TRY(tokens);
  for (auto& [key, token] : *tokens) {
    s.tokens.data[key] = std::move(token);
  }
  NEON_TRY(write(ctx, client, s.tokens, dry_run));
  s.signing.data[names::k_signing_key] = *next;
  s.signing.data.erase(names::k_signing_key_next);
  NEON_TRY(write(ctx, client, s.signing, dry_run));
  // Last: the key Secret without next.pem marks the step done.
  s.key.data[names::k_public_key_previous] = s.key.data[names::k_public_key];
  s.key.data[names::k_public_key] = s.key.data[names::k_public_key_next];
  s.key.data.erase(names::k_public_key_next);
  NEON_TRY(write(ctx, client, s.key, dry_run));
  fmt::print(ctx.err,
             "next: restart the storage controller (it trusts public.pem only), pageservers, safekeepers and the "
             "compute hook, then the computes (their tenant tokens are read once at start); then run --step "
             "drop:\n  {}\n  {}\n  {}\nYour own admin token changed too: fetch key {} of Secret {} again.\n",
             restart(ns, "deployment -l app.kubernetes.io/component=storage-controller"),
             restart(ns, "statefulset -l 'app.kubernetes.io/component in (pageserver,safekeeper)'"),
             restart(ns, "deployment -l 'app.kubernetes.io/component in (compute-hook,compute)'"), names::k_token_admin,
             s.tokens.name);
  return {};
}

Result<void> step_drop(Context& ctx, kube::Client& client, Secrets s, const std::string& ns, bool dry_run) {
  if (value(s.key, names::k_public_key_next)) {
    return make_error(fmt::format("Secret {} holds {}: the rotation is between add and reissue; run --step reissue",
                                  s.key.name, names::k_public_key_next));
  }
  if (!value(s.key, names::k_public_key_previous)) {
    fmt::print(ctx.out, "no previous key to drop: Secret {} holds {} only\n", s.key.name, names::k_public_key);
    return {};
  }
  s.key.data.erase(names::k_public_key_previous);
  NEON_TRY(write(ctx, client, s.key, dry_run));
  fmt::print(ctx.err, "next: restart pageservers and safekeepers so they stop trusting the old key:\n  {}\n",
             restart(ns, "statefulset -l 'app.kubernetes.io/component in (pageserver,safekeeper)'"));
  return {};
}

}  // namespace

OptionSet secrets_rotate_options(const Context& ctx) {
  auto opts = make_options(ctx, "secrets rotate",
                           "Replace the storage auth key in three steps, restarting between them as told: add (a "
                           "next key that pageservers and safekeepers\nalso trust), reissue (every token signed with "
                           "it; the controller and the hook switch to it), drop (the old key goes).");
  add_spec_flag(opts, SpecFlag::live);
  opts.add_options()("step", "add, reissue or drop", cxxopts::value<std::string>()->default_value(""))(
      "dry-run", "Print which Secrets would change");
  return opts;
}

int secrets_rotate_command(Context& ctx, const Args& args) {
  auto opts = secrets_rotate_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const std::string step = (*r)["step"].as<std::string>();
  if (step != "add" && step != "reissue" && step != "drop") {
    return usage_error(ctx, "secrets rotate", "--step must be add, reissue or drop");
  }
  auto spec = load_valid_spec(ctx, (*r)["file"].as<std::string>());
  if (!spec) {
    return k_exit_failure;
  }
  const auto& auth = spec->spec().storage_controller.auth;
  if (!auth.enabled || auth.key_secret.empty() || auth.token_secret.empty() || auth.storage_signing_secret.empty()) {
    return fail(ctx,
                "storageController.auth is off (or names no keySecret, tokenSecret and storageSigningSecret): "
                "there is no storage auth key to rotate");
  }
  const std::string ns = !ctx.globals.namespace_.empty() ? ctx.globals.namespace_ : (*spec)->namespace_;
  auto api = kube::resolve_api_server(ctx, ns);
  if (!api) {
    return fail(ctx, api.error().message);
  }
  http::CurlTransport transport(api->tls);
  kube::Client client(*api, transport);
  auto secrets = read_secrets(client, ns, spec->spec());
  if (!secrets) {
    return fail(ctx, secrets.error().message);
  }
  const bool dry_run = r->count("dry-run") > 0;
  auto done = step == "add"       ? step_add(ctx, client, std::move(*secrets), ns, dry_run)
              : step == "reissue" ? step_reissue(ctx, client, std::move(*secrets), ns, dry_run)
                                  : step_drop(ctx, client, std::move(*secrets), ns, dry_run);
  if (!done) {
    return fail(ctx, done.error().message);
  }
  return k_exit_ok;
}

}  // namespace neon::cli
