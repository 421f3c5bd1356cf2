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
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/gitops/generate_run.hpp"
#include "plugin/adapters/ids.hpp"
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

void add_common_options(cxxopts::Options& opts) {
  opts.add_options()("f,file", "Cluster spec to edit", cxxopts::value<std::string>()->default_value("neon.yaml"))(
      "repo", "Repository folder to regenerate and commit in", cxxopts::value<std::string>()->default_value("."))(
      "no-commit", "Edit the spec and write the tree, but do not commit");
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

/// Parses a positive integer flag; nullopt (after a usage error) when it is not one.
std::optional<int> positive_flag(Context& ctx, const cxxopts::ParseResult& r, const std::string& name,
                                 const std::string& command, int& exit) {
  const auto v = r[name].as<std::string>();
  try {
    std::size_t used = 0;
    const long n = std::stol(v, &used);
    if (used == v.size() && n > 0 && n <= 1 << 30) {
      return static_cast<int>(n);
    }
  } catch (const std::exception&) {
  }
  exit = usage_error(ctx, command, fmt::format("--{} must be a positive integer, not \"{}\"", name, v));
  return std::nullopt;
}

int project_create(Context& ctx, const Args& args) {
  const std::string cmd = "project create";
  auto opts = make_options(ctx, cmd, "Add a project (tenant) with a main branch to the spec, then regenerate and commit.",
                           "NAME");
  opts.add_options()("pg-version", "Postgres major version", cxxopts::value<std::string>()->default_value("17"))(
      "shards", "Shard count (1: unsharded)", cxxopts::value<std::string>()->default_value("1"))(
      "stripe-size", "Stripe size in 8 KiB pages", cxxopts::value<std::string>()->default_value("2048"));
  add_common_options(opts);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "project NAME", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  gen::NewProject p;
  p.name = pos.front();
  if (!gen::is_dns1123_label(p.name) || p.name.size() > 24) {
    return usage_error(ctx, cmd, fmt::format("\"{}\" is not a valid project name (lowercase letters, digits and '-', "
                                             "starting and ending with a letter or digit, at most 24 characters)",
                                             p.name));
  }
  const auto pg = positive_flag(ctx, *r, "pg-version", cmd, exit);
  const auto shards = pg ? positive_flag(ctx, *r, "shards", cmd, exit) : std::nullopt;
  const auto stripe = shards ? positive_flag(ctx, *r, "stripe-size", cmd, exit) : std::nullopt;
  if (!stripe) {
    return exit;
  }
  p.pg_version = *pg;
  p.shard_count = *shards;
  p.stripe_size = *stripe;
  p.tenant_id = mint_id();
  p.main_timeline_id = mint_id();
  return apply_edit(ctx, common_of(*r), [&](const std::string& t) { return gen::add_project(t, p); },
                    "add project " + p.name);
}

int project_delete(Context& ctx, const Args& args) {
  const std::string cmd = "project delete";
  auto opts = make_options(ctx, cmd, "Remove a project and all its branches from the spec, then regenerate and commit.",
                           "NAME");
  add_common_options(opts);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "project NAME", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  const std::string name = pos.front();
  return apply_edit(ctx, common_of(*r), [&](const std::string& t) { return gen::remove_project(t, name); },
                    "remove project " + name);
}

/// "PROJECT/NAME" -> {project, name}; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> split_branch(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size() || s.find('/', slash + 1) != std::string::npos) {
    return std::nullopt;
  }
  return std::pair<std::string, std::string>{s.substr(0, slash), s.substr(slash + 1)};
}

int branch_create(Context& ctx, const Args& args) {
  const std::string cmd = "branch create";
  auto opts = make_options(ctx, cmd, "Add a branch (timeline) to a project in the spec, then regenerate and commit.",
                           "PROJECT/NAME");
  opts.add_options()("from", "Parent branch (default: the project's root branch)",
                     cxxopts::value<std::string>()->default_value(""))(
      "lsn", "Branch point as an LSN (X/Y)", cxxopts::value<std::string>()->default_value(""))(
      "timestamp", "Branch point as an RFC 3339 time", cxxopts::value<std::string>()->default_value(""));
  add_common_options(opts);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "PROJECT/NAME", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  const auto parts = split_branch(pos.front());
  if (!parts) {
    return usage_error(ctx, cmd, fmt::format("\"{}\" is not PROJECT/NAME", pos.front()));
  }
  gen::NewBranch b;
  b.project = parts->first;
  b.name = parts->second;
  b.parent = (*r)["from"].as<std::string>();
  b.lsn = (*r)["lsn"].as<std::string>();
  b.timestamp = (*r)["timestamp"].as<std::string>();
  if (!gen::is_dns1123_label(b.name)) {
    return usage_error(ctx, cmd, fmt::format("\"{}\" is not a valid branch name (lowercase letters, digits and '-', "
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
  return apply_edit(ctx, common_of(*r), [&](const std::string& t) { return gen::add_branch(t, b); },
                    "add branch " + b.project + "/" + b.name);
}

int branch_delete(Context& ctx, const Args& args) {
  const std::string cmd = "branch delete";
  auto opts = make_options(ctx, cmd, "Remove a branch from the spec, then regenerate and commit.", "PROJECT/NAME");
  add_common_options(opts);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "PROJECT/NAME", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  const auto parts = split_branch(pos.front());
  if (!parts) {
    return usage_error(ctx, cmd, fmt::format("\"{}\" is not PROJECT/NAME", pos.front()));
  }
  return apply_edit(ctx, common_of(*r),
                    [&](const std::string& t) { return gen::remove_branch(t, parts->first, parts->second); },
                    "remove branch " + pos.front());
}

using SubFn = int (*)(Context&, const Args&);

int dispatch(Context& ctx, const Args& args, const std::string& noun, SubFn create, SubFn remove) {
  if (args.empty() || args.front() == "-h" || args.front() == "--help") {
    const bool project = noun == "project";
    return group_help(ctx, noun,
                      project ? "Create or delete a project (a Neon tenant) in the spec, then regenerate and commit."
                              : "Create or delete a branch (a Neon timeline) in the spec, then regenerate and commit.",
                      {{"create", project ? "Add a project with a main branch" : "Add a branch to a project"},
                       {"delete", project ? "Remove a project and all its branches" : "Remove a branch"}},
                      !args.empty());
  }
  const Args rest(args.begin() + 1, args.end());
  if (args.front() == "create") {
    return create(ctx, rest);
  }
  if (args.front() == "delete") {
    return remove(ctx, rest);
  }
  return usage_error(ctx, noun,
                     fmt::format("unknown subcommand \"{}\"{}", args.front(),
                                 gen::suggestion_suffix(args.front(), {"create", "delete"})));
}

}  // namespace

int cmd_project(Context& ctx, const Args& args) { return dispatch(ctx, args, "project", project_create, project_delete); }

int cmd_branch(Context& ctx, const Args& args) { return dispatch(ctx, args, "branch", branch_create, branch_delete); }

}  // namespace neon::cli
