// kubectl neon generate: write the cluster tree and the GitOps bootstrap objects into a Git
// repository and commit exactly the files this tool owns.
//
// Owned paths: every generated file under the cluster folder (those carrying the generated header,
// present or just removed), `<cluster>/neon.yaml`, and `bootstrap/<name>/`. User-owned skeletons
// (local/<tier>/kustomization.yaml) are committed once, when first created, and never again.
//
// Crash safety: files are written atomically, the index is written under libgit2's lock, and a
// commit only becomes visible when HEAD's ref moves. A run killed at any step leaves a tree that the
// next run recognises as its own output (same bytes as it would write), so it converges.
#include <filesystem>
#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <set>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "plugin/cli.hpp"
#include "plugin/commands.hpp"
#include "plugin/files.hpp"
#include "plugin/generate_run.hpp"
#include "plugin/git.hpp"
#include "plugin/repo_lock.hpp"
#include "plugin/spec_input.hpp"
#include "plugin/tree_writer.hpp"

namespace neon::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_token_bytes = 64 * 1024;

struct Options {
  std::string message;
  std::string author;
  std::string branch;
  std::string remote = "origin";
  bool commit = true;
  bool push = false;
  bool force = false;
  std::string subject;              ///< overrides the described change in the commit subject
  std::vector<std::string> extra;   ///< more paths to stage
};

/// Exits at once (no destructors, no cleanup) when NEON_FAULT_STEP names `step`: tests use it to
/// prove a run killed there leaves a consistent repository.
void fault_point(const Context& ctx, const char* step) {
  if (ctx.getenv("NEON_FAULT_STEP") == std::optional<std::string>(step)) {
    ::_exit(99);
  }
}

/// Everything one render produces: the files and which of them the tool owns.
struct Desired {
  gen::FileTree files;               ///< cluster tree + neon.yaml + bootstrap
  std::set<std::string> user_owned;  ///< created once, never overwritten
  std::string cluster_path;
  std::string bootstrap_path;
};

/// Cluster folders next to ours that hold a neon.yaml, ours included.
std::vector<std::string> cluster_paths(const fs::path& root, const std::string& ours) {
  std::set<std::string> out{ours};
  const auto slash = ours.rfind('/');
  const std::string parent = slash == std::string::npos ? "" : ours.substr(0, slash);
  std::error_code ec;
  for (fs::directory_iterator it(root / parent, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && fs::exists(it->path() / "neon.yaml", ec)) {
      out.insert((parent.empty() ? "" : parent + "/") + it->path().filename().string());
    }
  }
  return {out.begin(), out.end()};
}

Desired render(const gen::ValidSpec& spec, const std::string& spec_text, const fs::path& root) {
  Desired d;
  d.cluster_path = gen::cluster_path(spec);
  d.bootstrap_path = gen::bootstrap_path(spec);
  d.files = gen::generate_tree(spec);
  d.files[d.cluster_path + "/neon.yaml"] = spec_text;
  for (auto& [path, bytes] : gen::bootstrap_tree(spec, cluster_paths(root, d.cluster_path))) {
    d.files[path] = bytes;
  }
  for (auto& p : gen::user_owned_paths(spec)) {
    d.user_owned.insert(p);
  }
  return d;
}

std::optional<std::string> disk_text(const fs::path& path) {
  auto r = read_file(path, 64 * 1024 * 1024);
  return r ? std::optional<std::string>(std::move(*r)) : std::nullopt;
}

/// Changed paths (against HEAD) that the tool owns and would stage, and those the user edited.
struct Classified {
  std::vector<std::string> to_stage;
  std::vector<std::string> edited;  ///< owned, and not what this run would write
};

Result<Classified> classify(git::Repository& repo, const Desired& d) {
  auto changed = repo.changed_paths({d.cluster_path + "/", d.bootstrap_path + "/"});
  NEON_TRY(changed);
  std::map<std::string, std::string> head;
  if (repo.head_commit()) {
    auto cluster = repo.read_tree("HEAD", d.cluster_path + "/");
    NEON_TRY(cluster);
    auto boot = repo.read_tree("HEAD", d.bootstrap_path + "/");
    NEON_TRY(boot);
    head = std::move(*cluster);
    head.insert(boot->begin(), boot->end());
  }
  Classified c;
  const fs::path root = repo.workdir();
  for (const auto& p : *changed) {
    const auto on_disk = disk_text(root / p);
    const auto want = d.files.find(p);
    const auto in_head = head.find(p);
    if (d.user_owned.count(p) > 0) {
      if (in_head == head.end() && on_disk && want != d.files.end() && *on_disk == want->second) {
        c.to_stage.push_back(p);
      }
      continue;
    }
    const bool owned = want != d.files.end() || (on_disk && gen::is_generated(*on_disk)) ||
                       (in_head != head.end() && gen::is_generated(in_head->second));
    if (!owned) {
      continue;
    }
    c.to_stage.push_back(p);
    const bool as_desired = want != d.files.end() ? (on_disk && *on_disk == want->second) : !on_disk;
    if (!as_desired) {
      c.edited.push_back(p);
    }
  }
  return c;
}

/// Writes the bootstrap folder: replaces changed files, removes generated files no longer wanted.
Result<void> write_bootstrap(const Desired& d, const fs::path& root) {
  const std::string prefix = d.bootstrap_path + "/";
  for (const auto& [path, bytes] : d.files) {
    if (path.rfind(prefix, 0) == 0 && disk_text(root / path) != std::optional<std::string>(bytes)) {
      std::error_code mk;
      fs::create_directories((root / path).parent_path(), mk);
      if (mk) {
        return Error{fmt::format("{}: {}", (root / path).parent_path().string(), mk.message())};
      }
      NEON_TRY(write_file_atomic(root / path, bytes));
    }
  }
  std::error_code ec;
  for (fs::directory_iterator it(root / d.bootstrap_path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = prefix + it->path().filename().string();
    auto text = disk_text(it->path());
    if (d.files.count(rel) == 0 && text && gen::is_generated(*text)) {
      fs::remove(it->path(), ec);
    }
  }
  return {};
}

std::set<std::string> branch_names(const gen::ClusterSpec& s) {
  std::set<std::string> out;
  for (const auto& p : s.projects) {
    for (const auto& b : p.branches) {
      out.insert(p.name + "/" + b.name);
    }
  }
  return out;
}

/// What changed in the spec, in words, for the commit subject.
std::vector<std::string> describe(const std::optional<gen::ValidSpec>& old_spec, const gen::ValidSpec& now) {
  std::vector<std::string> out;
  if (!old_spec) {
    return out;
  }
  const auto& a = old_spec->spec();
  const auto& b = now.spec();
  const auto before = branch_names(a);
  const auto after = branch_names(b);
  for (const auto& n : after) {
    if (before.count(n) == 0) {
      out.push_back("add branch " + n);
    }
  }
  for (const auto& n : before) {
    if (after.count(n) == 0) {
      out.push_back("remove branch " + n);
    }
  }
  if (a.safekeepers.count != b.safekeepers.count) {
    out.push_back(fmt::format("scale safekeepers to {}", b.safekeepers.count));
  }
  if (a.pageservers.count != b.pageservers.count) {
    out.push_back(fmt::format("scale pageservers to {}", b.pageservers.count));
  }
  if (a.images.storage != b.images.storage) {
    const auto colon = b.images.storage.rfind(':');
    out.push_back("bump storage image to " +
                  (colon == std::string::npos ? b.images.storage : b.images.storage.substr(colon + 1)));
  }
  return out;
}

std::string commit_message(const gen::ValidSpec& spec, const std::optional<gen::ValidSpec>& old_spec, bool first,
                           const std::vector<std::string>& files, const std::string& extra,
                           const std::string& what_override) {
  const std::string count = fmt::format("{} file{}", files.size(), files.size() == 1 ? "" : "s");
  std::string subject;
  if (first) {
    subject = fmt::format("neon({}): generate cluster tree ({})", spec->name, count);
  } else {
    auto what = what_override.empty() ? describe(old_spec, spec) : std::vector<std::string>{what_override};
    subject = what.empty() ? fmt::format("neon({}): update {}", spec->name, count)
                           : fmt::format("neon({}): {} ({})", spec->name, fmt::join(what, ", "), count);
  }
  std::string msg = subject + "\n";
  if (!extra.empty()) {
    msg += "\n" + extra + "\n";
  }
  msg += "\n";
  for (const auto& f : files) {
    msg += "  " + f + "\n";
  }
  return msg;
}

git::Signature resolve_author(const Context& ctx, const git::Repository& repo, const std::string& flag) {
  if (auto s = git::parse_signature(flag)) {
    return *s;
  }
  auto name = ctx.getenv("GIT_AUTHOR_NAME");
  auto email = ctx.getenv("GIT_AUTHOR_EMAIL");
  if (name && email && !name->empty() && !email->empty()) {
    return {*name, *email};
  }
  name = repo.config_string("user.name");
  email = repo.config_string("user.email");
  if (name && email && !name->empty() && !email->empty()) {
    return {*name, *email};
  }
  return {"kubectl-neon", "kubectl-neon@localhost"};
}

std::optional<gen::ValidSpec> old_spec_at_head(git::Repository& repo, const std::string& cluster_path) {
  if (!repo.head_commit()) {
    return std::nullopt;
  }
  auto files = repo.read_tree("HEAD", cluster_path + "/neon.yaml");
  if (!files || files->empty()) {
    return std::nullopt;
  }
  return gen::load_spec(files->begin()->second, "HEAD:neon.yaml").spec;
}

enum class Outcome { committed, up_to_date, failed };

/// One pass: write, stage, commit. Prints what it did.
Outcome write_and_commit(Context& ctx, git::Repository& repo, const gen::ValidSpec& spec, const std::string& text,
                         const Options& o) {
  const fs::path root = repo.workdir();
  const Desired d = render(spec, text, root);
  auto before = classify(repo, d);
  if (!before) {
    fail(ctx, before.error().message);
    return Outcome::failed;
  }
  if (!before->edited.empty() && !o.force) {
    fmt::print(ctx.err, "error: these generated files have uncommitted edits; commit or discard them, or pass "
                        "--force to overwrite:\n");
    for (const auto& p : before->edited) {
      fmt::print(ctx.err, "  {}\n", p);
    }
    return Outcome::failed;
  }
  if (!o.branch.empty()) {
    if (auto r = repo.switch_to_new_branch(o.branch); !r) {
      fail(ctx, r.error().message);
      return Outcome::failed;
    }
  }
  gen::FileTree cluster_files;
  for (const auto& [p, b] : d.files) {
    if (p.rfind(d.bootstrap_path + "/", 0) != 0) {
      cluster_files[p] = b;
    }
  }
  auto report = write_tree(cluster_files, root, tree_scope(spec));
  if (!report) {
    fail(ctx, report.error().message);
    return Outcome::failed;
  }
  if (auto r = write_bootstrap(d, root); !r) {
    fail(ctx, r.error().message);
    return Outcome::failed;
  }
  fault_point(ctx, "after-write");
  fmt::print(ctx.out, "wrote {} ({} changed, {} removed)\n", (root / d.cluster_path).string(),
             report->written.size(), report->removed.size());
  if (!o.commit) {
    return Outcome::up_to_date;
  }
  auto after = classify(repo, d);
  if (!after) {
    fail(ctx, after.error().message);
    return Outcome::failed;
  }
  for (const auto& p : o.extra) {
    if (std::find(after->to_stage.begin(), after->to_stage.end(), p) == after->to_stage.end()) {
      after->to_stage.push_back(p);
    }
  }
  if (auto r = repo.stage(after->to_stage); !r) {
    fail(ctx, r.error().message);
    return Outcome::failed;
  }
  fault_point(ctx, "after-stage");
  auto staged = repo.staged_changes();
  if (!staged) {
    fail(ctx, staged.error().message);
    return Outcome::failed;
  }
  if (staged->empty()) {
    return Outcome::up_to_date;
  }
  const bool first = !repo.head_commit();
  const auto msg = commit_message(spec, old_spec_at_head(repo, d.cluster_path), first, *staged, o.message, o.subject);
  auto id = repo.commit(msg, resolve_author(ctx, repo, o.author));
  if (!id) {
    fail(ctx, id.error().message);
    return Outcome::failed;
  }
  fault_point(ctx, "after-commit");
  fmt::print(ctx.out, "committed {} on {}: {}", id->substr(0, 12), repo.head_branch(), msg.substr(0, msg.find('\n') + 1));
  return Outcome::committed;
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
    Options again = o;
    again.branch.clear();
    again.force = true;
    if (write_and_commit(ctx, repo, spec, text, again) == Outcome::failed) {
      return k_exit_failure;
    }
  }
  return k_exit_failure;
}

/// What to do next, with paths as the user can type them from the current directory.
void print_next_steps(Context& ctx, const gen::ValidSpec& spec, const std::string& repo, const std::string& file) {
  const auto in_repo = [&](const std::string& rel) {
    return repo.empty() || repo == "." ? rel : (std::filesystem::path(repo) / rel).string();
  };
  fmt::print(ctx.out, "\nnext:\n  1. create the Secrets first: {} secrets init{}\n", ctx.prog,
             file.empty() ? "" : " -f " + file);
  switch (spec->gitops.target) {
    case gen::GitopsTarget::argocd:
    case gen::GitopsTarget::flux:
      fmt::print(ctx.out, "  2. push, then point {} at it once: kubectl apply -k {}/\n",
                 spec->gitops.target == gen::GitopsTarget::argocd ? "Argo CD" : "Flux",
                 in_repo(gen::bootstrap_path(spec)));
      break;
    case gen::GitopsTarget::none:
      fmt::print(ctx.out, "  2. apply it: kubectl apply --server-side -k {}\n", in_repo(gen::cluster_path(spec)));
      break;
  }
}

}  // namespace

int generate_into_repo(Context& ctx, const gen::ValidSpec& spec, const std::string& text, const GenerateRun& run) {
  Options o;
  o.commit = run.commit;
  o.subject = run.subject;
  o.extra = run.extra;
  git::Library lib;
  bool created = false;
  auto repo = git::Repository::open_or_init(run.repo, created);
  if (!repo) {
    return fail(ctx, repo.error().message);
  }
  auto lock = RepoLock::acquire(repo->git_dir());
  if (!lock) {
    return fail(ctx, lock.error().message);
  }
  const Outcome outcome = write_and_commit(ctx, *repo, spec, text, o);
  if (outcome == Outcome::failed) {
    return k_exit_failure;
  }
  if (outcome == Outcome::up_to_date && o.commit) {
    fmt::print(ctx.out, "up to date\n");
  }
  return k_exit_ok;
}

int cmd_generate(Context& ctx, const Args& args) {
  auto opts = make_options(ctx, "generate",
                           "Write the cluster's kustomize tree and GitOps bootstrap objects into a Git repository and "
                           "commit the files kubectl-neon owns (never your own files).");
  opts.add_options()("f,file", "Cluster spec (- for stdin; default: the embedded dev spec)",
                     cxxopts::value<std::string>()->default_value(""))(
      "repo", "Repository folder (created with git init when missing)", cxxopts::value<std::string>()->default_value("."))(
      "path", "Cluster folder in the repository (default: spec.gitops.path or clusters/<name>)",
      cxxopts::value<std::string>()->default_value(""))("no-commit", "Write the files only")(
      "m,message", "Extra paragraph for the commit message", cxxopts::value<std::string>()->default_value(""))(
      "author", "Commit author \"Name <email>\"", cxxopts::value<std::string>()->default_value(""))(
      "branch", "Commit on this new branch, started at HEAD", cxxopts::value<std::string>()->default_value(""))(
      "push", "Push the branch (never forced)")("remote", "Remote to push to",
                                                cxxopts::value<std::string>()->default_value("origin"))(
      "git-token-file", "File holding the HTTPS token (default: $NEON_GIT_TOKEN)",
      cxxopts::value<std::string>()->default_value(""))("force", "Overwrite uncommitted edits to generated files");
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
  if (!o.author.empty() && !git::parse_signature(o.author)) {
    return usage_error(ctx, "generate", "--author must look like \"Name <email>\"");
  }
  if (o.push && !o.commit) {
    return usage_error(ctx, "generate", "--push needs a commit; drop --no-commit");
  }

  auto text = read_spec_text(ctx, (*r)["file"].as<std::string>());
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
  auto repo = git::Repository::open_or_init((*r)["repo"].as<std::string>(), created);
  if (!repo) {
    return fail(ctx, repo.error().message);
  }
  if (created) {
    fmt::print(ctx.out, "created a Git repository in {} (branch main)\n", repo->workdir().string());
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
  if (o.push) {
    if (const int rc = push_with_retry(ctx, *repo, spec, text->text, o, *creds); rc != k_exit_ok) {
      return rc;
    }
  }
  print_next_steps(ctx, spec, (*r)["repo"].as<std::string>(), (*r)["file"].as<std::string>());
  return k_exit_ok;
}

}  // namespace neon::cli
