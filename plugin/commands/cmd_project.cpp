// kubectl neon project create|delete and branch create|delete: edit the spec file in place (every
// line outside the edited item stays as written), check the result validates, check the
// repository (a Git repository, no uncommitted edits to generated files, the cluster folder is
// this cluster's), and only then write the spec, regenerate the tree and commit spec and tree
// together. Any failure leaves the spec file byte for byte as it was.
#include <filesystem>
#include <functional>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/spec_edit.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/adapters/ids.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/purge.hpp"
#include "plugin/gitops/generate_run.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_spec_bytes = 10 * 1024 * 1024;

struct Common {
  std::string file;
  std::string repo;
  bool commit = true;
};

void add_common_options(OptionSet& opts) {
  add_spec_flag(opts, SpecFlag::edit);
  opts.add_options()("repo", "Repository folder to regenerate and commit in",
                     cxxopts::value<std::string>()->default_value("."))(
      "no-commit", "Edit the spec and write the tree, but do not commit");
  opts.dirs({"repo"});
}

void add_role_options(OptionSet& opts, const std::string& whose) {
  opts.add_options()("role", "A login role, " + whose + "; repeat for more (password: secrets init)",
                     cxxopts::value<std::vector<std::string>>())(
      "database", "A database NAME or NAME:OWNER (owner: the first --role); repeat for more",
      cxxopts::value<std::vector<std::string>>());
}

std::vector<std::string> list_of(const cxxopts::ParseResult& r, const std::string& flag) {
  return r.count(flag) != 0 ? r[flag].as<std::vector<std::string>>() : std::vector<std::string>{};
}

Common common_of(const cxxopts::ParseResult& r) {
  return {r["file"].as<std::string>(), r["repo"].as<std::string>(), r.count("no-commit") == 0};
}

/// The spec file's path relative to the repository, when it lives inside it.
std::vector<std::string> spec_in_repo(const std::string& file, const std::string& repo) {
  std::error_code ec;
  const fs::path f = fs::weakly_canonical(fs::absolute(file, ec), ec);
  const fs::path r = fs::weakly_canonical(fs::absolute(repo, ec), ec);
  if (ec) {
    return {};
  }
  const fs::path rel = f.lexically_relative(r);
  if (rel.empty() || *rel.begin() == ".." || rel.is_absolute()) {
    return {};
  }
  return {rel.generic_string()};
}

/// Reads the spec, applies `edit`, validates, writes, regenerates and commits.
int apply_edit(Context& ctx, const Common& c, const std::function<Result<std::string>(const std::string&)>& edit,
               const std::string& subject) {
  if (c.file == "-") {
    return usage_error(ctx, "project", "-f must name a file: the spec is edited in place");
  }
  auto text = read_file(c.file, k_max_spec_bytes);
  if (!text) {
    return fail(ctx, text.error().message);
  }
  auto edited = edit(*text);
  if (!edited) {
    return fail(ctx, edited.error().message);
  }
  auto loaded = gen::load_spec(*edited, c.file);
  if (!loaded.spec) {
    fmt::print(ctx.err, "error: the edited spec would not be valid; {} is unchanged\n", c.file);
    print_diagnostics(ctx, loaded.diagnostics);
    return k_exit_failure;
  }
  GenerateRun run;
  run.repo = c.repo;
  run.commit = c.commit;
  run.subject = subject;
  run.extra = spec_in_repo(c.file, c.repo);
  run.spec_file = c.file;
  run.spec_original = *text;
  const int rc = generate_into_repo(ctx, *loaded.spec, *edited, run);
  if (rc == k_exit_ok) {
    fmt::print(ctx.out, "{}: {}\n", c.file, subject);
  }
  return rc;
}

OptionSet project_create_options(const Context& ctx) {
  auto opts =
      make_options(ctx, "project create",
                   "Add a project (tenant) with a main branch to the spec, then regenerate and commit.", "NAME");
  add_int(opts, "pg-version", "Postgres major version", "17");
  add_int(opts, "shards", "Shard count (1: unsharded)", "1");
  add_int(opts, "stripe-size", "Stripe size in 8 KiB pages", "2048");
  add_role_options(opts, "main's");
  add_common_options(opts);
  return opts;
}

int project_create(Context& ctx, const Args& args) {
  const std::string cmd = "project create";
  auto opts = project_create_options(ctx);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "project NAME", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  gen::NewProject p;
  p.name = pos.front();
  if (!gen::is_dns1123_label(p.name) || p.name.size() > 24) {
    return usage_error(ctx, cmd,
                       fmt::format("\"{}\" is not a valid project name (lowercase letters, digits and '-', "
                                   "starting and ending with a letter or digit, at most 24 characters)",
                                   p.name));
  }
  constexpr IntRange k_positive{1, 1 << 30};
  std::optional<long long> pg;
  std::optional<long long> shards;
  std::optional<long long> stripe;
  if (!int_of(ctx, opts, *r, "pg-version", k_positive, pg, exit) ||
      !int_of(ctx, opts, *r, "shards", k_positive, shards, exit) ||
      !int_of(ctx, opts, *r, "stripe-size", k_positive, stripe, exit)) {
    return exit;
  }
  p.pg_version = static_cast<int>(*pg);
  p.shard_count = static_cast<int>(*shards);
  p.stripe_size = static_cast<int>(*stripe);
  p.tenant_id = mint_id();
  p.main_timeline_id = mint_id();
  p.roles = list_of(*r, "role");
  p.databases = list_of(*r, "database");
  return apply_edit(
      ctx, common_of(*r), [&](const std::string& t) { return gen::add_project(t, p); }, "add project " + p.name);
}

/// --purge, --yes and the controller flags of project delete and branch delete.
void add_purge_options(OptionSet& opts, const std::string& what) {
  opts.add_options()(
      "purge", "After the commit, delete the " + what + " and its data through the storage controller (asks first)")(
      "y,yes", "Do not ask for confirmation");
  add_controller_options(opts);
}

/// project delete / branch delete: the spec edit, then with --purge the controller's delete.
int delete_with_purge(Context& ctx, const std::string& cmd, const cxxopts::ParseResult& r, const std::string& project,
                      const std::string& branch, const std::function<Result<std::string>(const std::string&)>& edit,
                      const std::string& subject) {
  const Common c = common_of(r);
  if (r.count("purge") == 0) {
    return apply_edit(ctx, c, edit, subject);
  }
  if (!c.commit) {
    return usage_error(ctx, cmd, "--purge deletes data once the spec change is committed: drop --no-commit");
  }
  auto spec = load_valid_spec(ctx, c.file);
  if (!spec) {
    return k_exit_failure;
  }
  auto target = purge_target(spec->spec(), project, branch);
  if (!target) {
    return fail(ctx, target.error().message);
  }
  int exit = 0;
  auto where = controller_from_flags(ctx, cmd, r, (*spec)->namespace_, Kubeconfig::allowed, exit);
  if (!where) {
    return exit;
  }
  if (auto code = confirm(ctx, cmd, "purge",
                          fmt::format("Remove {} from the spec and delete it, with all its data, from the storage "
                                      "controller?",
                                      target->what),
                          r.count("yes") != 0, "nothing changed")) {
    return *code;
  }
  if (const int rc = apply_edit(ctx, c, edit, subject); rc != k_exit_ok) {
    return rc;
  }
  Controller controller(*where);
  if (auto done = purge(controller.client, *target); !done) {
    const int code = controller_failure(ctx, controller, done.error());
    fmt::print(ctx.err,
               "hint: the spec no longer has {}, but the storage controller still does; run the same purge through "
               "`{} sync -f {} --prune` once the controller answers\n",
               target->what, ctx.prog, c.file);
    return code;
  }
  fmt::print(ctx.out, "{}: deleted from the storage controller\n", target->what);
  return k_exit_ok;
}

OptionSet project_delete_options(const Context& ctx) {
  auto opts = make_options(ctx, "project delete",
                           "Remove a project and all its branches from the spec, then regenerate and commit.", "NAME");
  add_common_options(opts);
  add_purge_options(opts, "project's tenant");
  return opts;
}

int project_delete(Context& ctx, const Args& args) {
  auto opts = project_delete_options(ctx);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "project NAME", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  const std::string name = pos.front();
  return delete_with_purge(
      ctx, "project delete", *r, name, "", [&](const std::string& t) { return gen::remove_project(t, name); },
      "remove project " + name);
}

/// "PROJECT/NAME" -> {project, name}; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> split_branch(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size() ||
      s.find('/', slash + 1) != std::string::npos) {
    return std::nullopt;
  }
  return std::pair<std::string, std::string>{s.substr(0, slash), s.substr(slash + 1)};
}

/// The command line of a branch sub-verb: its flags and the one PROJECT/NAME operand.
struct BranchArgs {
  cxxopts::ParseResult flags;
  std::string project;
  std::string name;
};

/// Parses `args` with `opts`; a missing or malformed PROJECT/NAME is a usage error.
std::optional<BranchArgs> parse_branch_args(Context& ctx, OptionSet& opts, const std::string& cmd, const Args& args,
                                            int& exit) {
  auto r = parse_one_operand(ctx, opts, args, "PROJECT/NAME", exit);
  if (!r) {
    return std::nullopt;
  }
  const std::string operand = positionals(*r).front();
  const auto parts = split_branch(operand);
  if (!parts) {
    exit = usage_error(ctx, cmd, fmt::format("\"{}\" is not PROJECT/NAME", operand));
    return std::nullopt;
  }
  return BranchArgs{*r, parts->first, parts->second};
}

OptionSet branch_create_options(const Context& ctx) {
  auto opts =
      make_options(ctx, "branch create",
                   "Add a branch (timeline) to a project in the spec, then regenerate and commit.", "PROJECT/NAME");
  opts.add_options()("from", "Parent branch (default: the project's root branch)",
                     cxxopts::value<std::string>()->default_value(""))(
      "lsn", "Branch point as an LSN (X/Y)", cxxopts::value<std::string>()->default_value(""))(
      "timestamp", "Branch point as an RFC 3339 time", cxxopts::value<std::string>()->default_value(""));
  add_role_options(opts, "the branch's own (none: its parent's)");
  add_common_options(opts);
  return opts;
}

int branch_create(Context& ctx, const Args& args) {
  const std::string cmd = "branch create";
  auto opts = branch_create_options(ctx);
  int exit = 0;
  auto parsed = parse_branch_args(ctx, opts, cmd, args, exit);
  if (!parsed) {
    return exit;
  }
  const cxxopts::ParseResult& r = parsed->flags;
  gen::NewBranch b;
  b.project = parsed->project;
  b.name = parsed->name;
  b.parent = r["from"].as<std::string>();
  b.lsn = r["lsn"].as<std::string>();
  b.timestamp = r["timestamp"].as<std::string>();
  b.roles = list_of(r, "role");
  b.databases = list_of(r, "database");
  if (!gen::is_dns1123_label(b.name)) {
    return usage_error(ctx, cmd,
                       fmt::format("\"{}\" is not a valid branch name (lowercase letters, digits and '-', "
                                   "starting and ending with a letter or digit)",
                                   b.name));
  }
  if (!b.lsn.empty() && !b.timestamp.empty()) {
    return usage_error(ctx, cmd, "--lsn and --timestamp are mutually exclusive");
  }
  if (!b.lsn.empty() && !gen::is_lsn(b.lsn)) {
    return usage_error(ctx, cmd, fmt::format("--lsn must look like 0/169AD58, not \"{}\"", b.lsn));
  }
  if (!b.timestamp.empty() && !gen::is_rfc3339(b.timestamp)) {
    return usage_error(ctx, cmd, fmt::format("--timestamp must be RFC 3339, not \"{}\"", b.timestamp));
  }
  b.timeline_id = mint_id();
  return apply_edit(
      ctx, common_of(r), [&](const std::string& t) { return gen::add_branch(t, b); },
      "add branch " + b.project + "/" + b.name);
}

OptionSet branch_delete_options(const Context& ctx) {
  auto opts =
      make_options(ctx, "branch delete", "Remove a branch from the spec, then regenerate and commit.", "PROJECT/NAME");
  add_common_options(opts);
  add_purge_options(opts, "branch's timeline");
  return opts;
}

int branch_delete(Context& ctx, const Args& args) {
  const std::string cmd = "branch delete";
  auto opts = branch_delete_options(ctx);
  int exit = 0;
  auto parsed = parse_branch_args(ctx, opts, cmd, args, exit);
  if (!parsed) {
    return exit;
  }
  return delete_with_purge(
      ctx, cmd, parsed->flags, parsed->project, parsed->name,
      [&](const std::string& t) { return gen::remove_branch(t, parsed->project, parsed->name); },
      "remove branch " + parsed->project + "/" + parsed->name);
}

}  // namespace

const VerbGroup& project_verbs() {
  static const VerbGroup k_group{
      "Create or delete a project (a Neon tenant) in the spec, then regenerate and commit.",
      {{"create", "Add a project with a main branch", project_create, project_create_options},
       {"delete", "Remove a project and all its branches", project_delete, project_delete_options}}};
  return k_group;
}

const VerbGroup& branch_verbs() {
  static const VerbGroup k_group{"Create or delete a branch (a Neon timeline) in the spec, then regenerate and commit.",
                                 {{"create", "Add a branch to a project", branch_create, branch_create_options},
                                  {"delete", "Remove a branch", branch_delete, branch_delete_options}}};
  return k_group;
}

}  // namespace neon::cli
