// kubectl neon diff: what a change to the spec does to the rendered cluster.
//
// Each side is the cluster's neon.yaml (from a commit, or from the working tree) rendered with
// render_stream by this binary: deterministic, offline, no kubectl and no checkout needed, and the
// difference shown is exactly the one the spec change causes. With -f SPEC the head side is that
// file (a spec edited outside the repository), compared with the committed cluster it names. Kustomize patches a user
// adds under local/ are not part of either side.
//
// Blocking findings: an immutable field changed (the apply fails), or the spec changed an ID that
// ties a project or branch to its data, or dropped one (data orphaned). Warnings: changes that put
// data or availability at stake (scale-downs, deletions, restarts of stateful pods).
//
// Exit status: 0 no change, 1 changes, 2 or more an error (as kubectl diff).
#include <algorithm>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/emit.hpp"
#include "generators/layout.hpp"
#include "generators/spec_parse.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/adapters/git.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/gitops/diff_report.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_worktree = "working tree";

int error(Context& ctx, const std::string& message) {
  fmt::print(ctx.err, "error: {}\n", message);
  return k_exit_diff_error;
}

/// The cluster folder: --path, or the only `clusters/*/neon.yaml` in the working tree.
Result<std::string> find_cluster_path(const fs::path& root, const std::string& flag) {
  if (!flag.empty()) {
    std::string p = flag;
    while (!p.empty() && p.back() == '/') {
      p.pop_back();
    }
    return p;
  }
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::directory_iterator it(root / "clusters", ec), end; !ec && it != end; it.increment(ec)) {
    if (fs::exists(it->path() / "neon.yaml", ec)) {
      found.push_back("clusters/" + it->path().filename().string());
    }
  }
  if (found.size() == 1) {
    return found.front();
  }
  std::sort(found.begin(), found.end());
  return make_error(found.empty() ? "no clusters/<name>/neon.yaml in the repository; pass --path"
                                  : fmt::format("several clusters ({}); pass --path", fmt::join(found, ", ")));
}

/// The spec text of one side; "" when that side has no spec (the cluster is new or gone).
Result<std::string> side_text(const git::Repository& repo, const std::string& rev, const std::string& file) {
  if (rev == k_worktree) {
    std::error_code ec;
    if (!fs::exists(repo.workdir() / file, ec)) {
      return std::string();
    }
    return read_file(repo.workdir() / file, gen::k_max_spec_bytes);
  }
  auto files = repo.read_tree(rev, file);
  NEON_TRY(files);
  auto it = files->find(file);
  return it == files->end() ? std::string() : it->second;
}

/// One side rendered: its spec (none when the side has no spec) and render_stream's text.
struct Side {
  std::optional<gen::ValidSpec> spec;
  std::string rendered;
};

Result<Side> render_side(Context& ctx, const std::string& text, const std::string& label) {
  if (text.empty()) {
    return Side{};
  }
  gen::LoadResult res = gen::load_spec(text, label);
  if (!res.spec) {
    print_diagnostics(ctx, res.diagnostics);
    return make_error(fmt::format("the spec in {} is not valid", label));
  }
  std::string rendered = gen::render_stream(*res.spec);
  return Side{std::move(res.spec), std::move(rendered)};
}

}  // namespace

OptionSet diff_options(const Context& ctx) {
  auto opts = make_options(ctx, "diff",
                           "Compare the rendered cluster of two sides (default: HEAD against the working tree;\n"
                           "with -f, HEAD against that spec file).\n"
                           "Exit status: 0 no change, 1 changes, 2 error.");
  opts.add_options()("repo", "Repository folder", cxxopts::value<std::string>()->default_value("."))(
      "path", "Cluster folder (default: the only clusters/<name>/)", cxxopts::value<std::string>()->default_value(""))(
      "base", "Base revision", cxxopts::value<std::string>()->default_value("HEAD"))(
      "head", "Head revision (default: the working tree)", cxxopts::value<std::string>()->default_value(""));
  add_spec_flag(opts, SpecFlag::head);
  add_output(opts, {"text", "markdown", "json"}, "text", "text, markdown or json");
  opts.dirs({"repo", "path"});
  return opts;
}

int cmd_diff(Context& ctx, const Args& args) {
  auto opts = diff_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto output = output_of(ctx, opts, *r, exit);
  if (!output) {
    return exit;
  }
  const std::string format = *output;
  const std::string spec_file = (*r)["file"].as<std::string>();
  if (!spec_file.empty() && !(*r)["head"].as<std::string>().empty()) {
    return usage_error(ctx, "diff", "-f and --head both name the head side; give one");
  }
  // With -f the head side is that file, read as the other commands read -f.
  std::optional<SpecText> file_text;
  if (!spec_file.empty()) {
    file_text = read_spec_text(ctx, spec_file);
    if (!file_text) {
      return k_exit_diff_error;
    }
  }
  git::Library lib;
  auto repo = git::Repository::open((*r)["repo"].as<std::string>());
  if (!repo) {
    return error(ctx, repo.error().message);
  }
  const std::string base = (*r)["base"].as<std::string>();
  std::string head = (*r)["head"].as<std::string>().empty() ? k_worktree : (*r)["head"].as<std::string>();
  Result<Side> after = Side{};
  std::string path_flag = (*r)["path"].as<std::string>();
  if (file_text) {
    head = file_text->name;
    after = render_side(ctx, file_text->text, file_text->name);
    if (!after) {
      return error(ctx, after.error().message);
    }
    if (path_flag.empty() && after->spec) {
      path_flag = gen::cluster_path(*after->spec);  // where generate would write this spec
    }
  }
  auto path = find_cluster_path(repo->workdir(), path_flag);
  if (!path) {
    return error(ctx, path.error().message);
  }
  const std::string file = *path + "/neon.yaml";
  auto base_text = side_text(*repo, base, file);
  if (!base_text) {
    return error(ctx, base_text.error().message);
  }
  auto before = render_side(ctx, *base_text, base + ":" + file);
  if (!before) {
    return error(ctx, before.error().message);
  }
  if (!file_text) {
    auto head_text = side_text(*repo, head, file);
    if (!head_text) {
      return error(ctx, head_text.error().message);
    }
    after = render_side(ctx, *head_text, head == k_worktree ? file : head + ":" + file);
    if (!after) {
      return error(ctx, after.error().message);
    }
  }
  auto diffed = diff_streams(before->rendered, after->rendered);
  if (!diffed) {
    return error(ctx, diffed.error().message);
  }
  DiffReport& report = *diffed;
  check_spec_changes(before->spec ? &before->spec->spec() : nullptr, after->spec ? &after->spec->spec() : nullptr,
                     report);
  add_units(before->spec ? &*before->spec : nullptr, after->spec ? &*after->spec : nullptr, report);
  const DiffLabels labels{*path, base, head};
  if (format == "json") {
    ctx.out << render_json(report, labels);
  } else if (format == "markdown") {
    ctx.out << render_markdown(report, labels, k_markdown_budget);
  } else {
    ctx.out << render_text(report, labels);
  }
  return report.changes.empty() && report.blocking.empty() ? k_exit_ok : k_exit_diff_changes;
}

}  // namespace neon::cli
