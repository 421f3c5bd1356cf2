// kubectl neon generate: write the cluster tree and the GitOps bootstrap objects into a Git
// repository and commit exactly the files this tool owns (plugin/gitops/generate_run.hpp says which).
// With --push, the remote is checked before anything is written.
#include <filesystem>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/adapters/git.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/scale_down_guard.hpp"
#include "plugin/gitops/generate_run.hpp"
#include "plugin/gitops/repo_lock.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_token_bytes = 64 * 1024;

struct Options : GenerateOptions {
  std::string remote = "origin";
  bool push = false;
};

/// Exits at once when NEON_FAULT_STEP names `step` (see generate_run.cpp).
void fault_point(const Context& ctx, const char* step) {
  if (ctx.getenv("NEON_FAULT_STEP") == std::optional<std::string>(step)) {
    ::_exit(99);
  }
}

Result<git::Credentials> credentials(const Context& ctx, const std::string& token_file) {
  git::Credentials c;
  if (auto u = ctx.getenv("NEON_GIT_USERNAME"); u && !u->empty()) {
    c.username = *u;
  }
  if (!token_file.empty()) {
    auto t = read_file(token_file, k_max_token_bytes);
    NEON_TRY(t);
    c.token = *t;
    while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) {
      c.token.pop_back();
    }
  } else if (auto t = ctx.getenv("NEON_GIT_TOKEN")) {
    c.token = *t;
  }
  return c;
}

int push_with_retry(Context& ctx, git::Repository& repo, const gen::ValidSpec& spec, const std::string& text,
                    const Options& o, const git::Credentials& creds) {
  const std::string branch = repo.head_branch();
  for (int attempt = 0; attempt < 2; ++attempt) {
    fault_point(ctx, "before-push");
    const auto r = repo.push(o.remote, branch, creds);
    if (r.status == git::PushStatus::ok) {
      fmt::print(ctx.out, "pushed {} to {}\n", branch, o.remote);
      return k_exit_ok;
    }
    if (r.status != git::PushStatus::non_fast_forward || attempt == 1) {
      const char* hint = r.status == git::PushStatus::auth
                             ? "set NEON_GIT_TOKEN (or --git-token-file) for HTTPS, or load a key into ssh-agent"
                         : r.status == git::PushStatus::non_fast_forward
                             ? "the remote keeps moving; pull, then run generate again"
                             : "fix the remote, then run generate --push again; the commit is kept locally";
      return fail(ctx, fmt::format("{}\n  {}", r.message, hint));
    }
    fmt::print(ctx.err, "remote {} moved on; fetching and regenerating on top of it\n", o.remote);
    auto tip = repo.fetch(o.remote, branch, creds);
    if (!tip) {
      return fail(ctx, tip.error().message);
    }
    fault_point(ctx, "after-fetch");
    if (auto reset = repo.reset_to(*tip); !reset) {
      return fail(ctx, reset.error().message + "\n  pull the remote branch by hand, then run generate again");
    }
    GenerateOptions again = o;
    again.branch.clear();
    again.force = true;
    if (write_and_commit(ctx, repo, spec, text, again) == Outcome::failed) {
      return k_exit_failure;
    }
  }
  return k_exit_failure;
}

/// What to do next, in the order a first install works, with paths as the user can type them from
/// the current directory. `file` is the spec read; the built-in spec and stdin are named by the copy
/// in the repository, since the commands that talk to the cluster never read the built-in spec.
void print_next_steps(Context& ctx, const gen::ValidSpec& spec, const std::string& repo, const std::string& file,
                      bool pushed) {
  const auto in_repo = [&](const std::string& rel) {
    return repo.empty() || repo == "." ? rel : (std::filesystem::path(repo) / rel).string();
  };
  const bool on_disk = file != k_default_spec_name && file != "<stdin>";
  const std::string spec_file = on_disk ? file : in_repo(gen::cluster_path(spec) + "/neon.yaml");
  const auto& g = spec->gitops;
  const bool flux = g.target == gen::GitopsTarget::flux;
  int n = 0;
  fmt::print(ctx.out, "\nnext (first install; later changes need only a commit and a push):\n");
  if (g.target != gen::GitopsTarget::none) {
    fmt::print(ctx.out, "  {}. {} must be running in namespace {} (install it first if not)\n", ++n,
               flux ? "Flux" : "Argo CD", flux ? g.flux_namespace : g.argocd_namespace);
  }
  const std::string git_secret = gen::flux_git_secret(spec);
  if (!git_secret.empty()) {
    const bool ssh = gen::flux_git_url(g.repo_url).rfind("ssh://", 0) == 0;
    fmt::print(ctx.out,
               "  {}. create namespace {}, its Secrets and Flux's Git Secret {}/{}:\n"
               "       {} secrets init -f {} {}\n",
               ++n, spec->namespace_, g.flux_namespace, git_secret, ctx.prog, spec_file,
               ssh ? "--git-ssh-key KEY_FILE --git-known-hosts KNOWN_HOSTS_FILE" : "--git-token-file TOKEN_FILE");
  } else {
    fmt::print(ctx.out, "  {}. create namespace {} and its Secrets: {} secrets init -f {}\n", ++n, spec->namespace_,
               ctx.prog, spec_file);
  }
  if (flux && !g.sops_secret.empty()) {
    fmt::print(
        ctx.out,
        "  {}. give Flux the SOPS key: kubectl -n {} create secret generic {} --from-file=age.agekey=AGE_KEY_FILE\n",
        ++n, g.flux_namespace, g.sops_secret);
  }
  switch (g.target) {
    case gen::GitopsTarget::argocd:
    case gen::GitopsTarget::flux:
      if (!pushed) {
        fmt::print(ctx.out, "  {}. push branch {} (the one {} tracks)\n", ++n, g.revision, flux ? "Flux" : "Argo CD");
      }
      fmt::print(ctx.out,
                 "  {}. point {} at it, once: kubectl apply -k {}/\n"
                 "       (it then keeps {}/ itself as Git says: no need to apply it again)\n",
                 ++n, flux ? "Flux" : "Argo CD", in_repo(gen::bootstrap_path(spec)), gen::bootstrap_path(spec));
      break;
    case gen::GitopsTarget::none:
      fmt::print(ctx.out, "  {}. apply it: kubectl apply --server-side -k {}\n", ++n, in_repo(gen::cluster_path(spec)));
      break;
  }
}

/// Commits reach the cluster only on the branch the engine tracks.
void warn_other_branch(Context& ctx, const gen::ValidSpec& spec, const std::string& branch) {
  const auto& g = spec->gitops;
  if (g.target == gen::GitopsTarget::none || branch.empty() || branch == g.revision) {
    return;
  }
  fmt::print(ctx.err,
             "warning: committed on branch {}, but {} tracks {} (spec.gitops.revision): the cluster sees this "
             "change only once it is merged into {}\n",
             branch, g.target == gen::GitopsTarget::flux ? "Flux" : "Argo CD", g.revision, g.revision);
}

}  // namespace

OptionSet generate_options(const Context& ctx) {
  auto opts = make_options(ctx, "generate",
                           "Write the cluster's kustomize tree and GitOps bootstrap objects into a Git repository and "
                           "commit the files kubectl-neon owns (never your own files).");
  add_spec_flag(opts, SpecFlag::files);
  opts.add_options()("repo", "Repository folder (created with git init when missing)",
                     cxxopts::value<std::string>()->default_value("."))(
      "path", "Cluster folder in the repository (default: spec.gitops.path or clusters/<name>)",
      cxxopts::value<std::string>()->default_value(""))("no-commit", "Write the files only")(
      "m,message", "Extra paragraph for the commit message", cxxopts::value<std::string>()->default_value(""))(
      "author", "Commit author \"Name <email>\"", cxxopts::value<std::string>()->default_value(""))(
      "branch", "Commit on this new branch, started at HEAD", cxxopts::value<std::string>()->default_value(""))(
      "push", "Push the branch (never forced)")("remote", "Remote to push to",
                                                cxxopts::value<std::string>()->default_value("origin"))(
      "git-token-file", "File holding the HTTPS token (default: $NEON_GIT_TOKEN)",
      cxxopts::value<std::string>()->default_value(""))(
      "force",
      "Overwrite uncommitted edits to generated files and a cluster folder holding another cluster, and "
      "commit a change that needs work by hand (the commit message lists it) or removes pageservers or "
      "safekeepers the storage controller still uses");
  // Asked only when the spec removes pageservers or safekeepers (scale_down_guard.hpp).
  add_controller_options(opts);
  opts.dirs({"repo"});
  opts.files({"git-token-file"});
  return opts;
}

int cmd_generate(Context& ctx, const Args& args) {
  auto opts = generate_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  Options o;
  o.message = (*r)["message"].as<std::string>();
  o.author = (*r)["author"].as<std::string>();
  o.branch = (*r)["branch"].as<std::string>();
  o.remote = (*r)["remote"].as<std::string>();
  o.commit = r->count("no-commit") == 0;
  o.push = r->count("push") != 0;
  o.force = r->count("force") != 0;
  o.refuse_blocking = true;
  const cxxopts::ParseResult& flags = *r;
  if (o.commit) {  // files written without a commit reach no cluster
    o.scale_down_check = [&ctx, &flags](const gen::ValidSpec& before, const gen::ValidSpec& after) {
      return scale_down_problems(ctx, flags, before.spec(), after.spec());
    };
  }
  if (!o.author.empty() && !git::parse_signature(o.author)) {
    return usage_error(ctx, "generate", "--author must look like \"Name <email>\"");
  }
  if (o.push && !o.commit) {
    return usage_error(ctx, "generate", "--push needs a commit; drop --no-commit");
  }

  auto text = read_spec_text(ctx, (*r)["file"].as<std::string>(), SpecUse::files);
  if (!text) {
    return k_exit_failure;
  }
  gen::LoadResult loaded = gen::load_spec(text->text, text->name);
  if (loaded.spec && !(*r)["path"].as<std::string>().empty()) {
    gen::ClusterSpec s = loaded.spec->spec();
    s.gitops.path = (*r)["path"].as<std::string>();
    loaded = gen::validate(std::move(s));
  }
  if (!loaded.spec) {
    print_diagnostics(ctx, loaded.diagnostics);
    return k_exit_failure;
  }
  const gen::ValidSpec& spec = *loaded.spec;
  auto creds = credentials(ctx, (*r)["git-token-file"].as<std::string>());
  if (!creds) {
    return fail(ctx, creds.error().message);
  }

  git::Library lib;
  bool created = false;
  // With --push the repository and its remote must be there before anything is written.
  auto repo = o.push ? git::Repository::open((*r)["repo"].as<std::string>())
                     : git::Repository::open_or_init((*r)["repo"].as<std::string>(), created, spec->gitops.revision);
  if (!repo) {
    return fail(ctx, repo.error().message);
  }
  if (o.push) {
    if (auto ok = repo->check_remote(o.remote, *creds); !ok) {
      return fail(ctx, fmt::format("{}\n  --push needs a reachable remote; nothing was written or committed "
                                   "(add one with 'git remote add {} URL', or pick one with --remote)",
                                   ok.error().message, o.remote));
    }
  }
  if (created) {
    fmt::print(ctx.out, "created a Git repository in {} (branch {})\n", repo->workdir().string(),
               spec->gitops.revision);
  }
  auto lock = RepoLock::acquire(repo->git_dir());
  if (!lock) {
    return fail(ctx, lock.error().message);
  }
  const Outcome outcome = write_and_commit(ctx, *repo, spec, text->text, o);
  if (outcome == Outcome::failed) {
    return k_exit_failure;
  }
  if (outcome == Outcome::up_to_date && o.commit) {
    fmt::print(ctx.out, "up to date\n");
  }
  if (o.commit) {
    warn_other_branch(ctx, spec, repo->head_branch());
  }
  if (o.push) {
    if (const int rc = push_with_retry(ctx, *repo, spec, text->text, o, *creds); rc != k_exit_ok) {
      return rc;
    }
  }
  print_next_steps(ctx, spec, (*r)["repo"].as<std::string>(), text->name, o.push);
  return k_exit_ok;
}

}  // namespace neon::cli
