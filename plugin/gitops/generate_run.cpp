// The write-and-commit pass shared by generate, project and branch (see generate_run.hpp).
//
// Crash safety: files are written atomically, the index is written under libgit2's lock, and a
// commit only becomes visible when HEAD's ref moves. A run killed at any step leaves a tree that the
// next run recognises as its own output (kubectl-neon.sum says so), so it converges.
//
// Cost: the index's stat data tells which files are untouched (Repository::tracked), so only the
// others are read; a run that changes nothing writes nothing, not even the index. What is staged
// is just what differed before the run plus what it wrote or removed, from the bytes in memory.
#include "plugin/gitops/generate_run.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include "generators/emit.hpp"
#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "generators/stages.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/gitops/cluster_folder.hpp"
#include "plugin/gitops/commit_message.hpp"
#include "plugin/gitops/diff_report.hpp"
#include "plugin/gitops/render_stamp.hpp"
#include "plugin/gitops/repo_lock.hpp"
#include "plugin/gitops/sum_file.hpp"
#include "plugin/gitops/tree_writer.hpp"

namespace neon::cli {

namespace fs = std::filesystem;

namespace {

/// Exits at once (no destructors, no cleanup) when NEON_FAULT_STEP names `step`: tests use it to
/// prove a run killed there leaves a consistent repository.
void fault_point(const Context& ctx, const char* step) {
  if (ctx.getenv("NEON_FAULT_STEP") == std::optional<std::string>(step)) {
    ::_exit(99);
  }
}

/// Everything one render produces: the files and which of them the tool owns.
struct Desired {
  gen::FileTree files;               ///< cluster tree + neon.yaml + kubectl-neon.sum + bootstrap
  std::set<std::string> user_owned;  ///< created once, never overwritten
  std::string cluster_path;
  std::string bootstrap_path;
  std::string sum_path;
  Sums sums;  ///< what kubectl-neon.sum records
};

Desired render(const gen::ValidSpec& spec, const std::string& spec_text) {
  Desired d;
  d.cluster_path = gen::cluster_path(spec);
  d.bootstrap_path = gen::bootstrap_path(spec);
  d.sum_path = d.cluster_path + "/" + k_sum_file;
  d.files = gen::generate_tree(spec);
  d.files[d.cluster_path + "/neon.yaml"] = spec_text;
  for (auto& [path, bytes] : gen::bootstrap_tree(spec)) {
    d.files[path] = bytes;
  }
  for (auto& p : gen::user_owned_paths(spec)) {
    d.user_owned.insert(p);
  }
  for (const auto& [path, bytes] : d.files) {
    if (d.user_owned.count(path) == 0) {
      d.sums[path] = git::blob_id(bytes);
    }
  }
  d.files[d.sum_path] = sums_text(d.sums);
  return d;
}

std::optional<std::string> disk_text(const fs::path& path) {
  auto r = read_file(path, 64 * 1024 * 1024);
  return r ? std::optional<std::string>(std::move(*r)) : std::nullopt;
}

/// Changed paths (against HEAD) that the tool owns and would stage, those the user edited, and
/// committed hand edits this run overwrites.
struct Classified {
  std::vector<std::string> to_stage;
  std::vector<std::string> edited;    ///< owned, uncommitted, neither this run's nor a previous run's output
  std::vector<std::string> reverted;  ///< committed, differs from what kubectl-neon wrote, overwritten now
  std::map<std::string, git::Repository::Tracked> tracked;  ///< blob ids in HEAD, index, work tree
  /// True when `path` holds `bytes` on disk, known from the index without reading the file.
  bool on_disk_is(const std::string& path, const std::string& bytes) const {
    const auto t = tracked.find(path);
    return t != tracked.end() && !t->second.disk.empty() && t->second.disk == git::blob_id(bytes);
  }
};

Result<Classified> classify(git::Repository& repo, const Desired& d, const std::vector<std::string>& inputs) {
  auto changed = repo.changed_paths({d.cluster_path + "/", d.bootstrap_path + "/"});
  NEON_TRY(changed);
  Classified c;
  // Blob ids only: HEAD's bytes are read just for the few paths that need them.
  auto tracked = repo.tracked({d.cluster_path + "/", d.bootstrap_path + "/"});
  NEON_TRY(tracked);
  c.tracked = std::move(*tracked);
  std::map<std::string, std::string> head_bytes;
  const auto head_text = [&](const std::string& p) -> std::optional<std::string> {
    const auto t = c.tracked.find(p);
    if (t == c.tracked.end() || t->second.head.empty()) {
      return std::nullopt;
    }
    auto cached = head_bytes.find(p);
    if (cached == head_bytes.end()) {
      auto blob = repo.read_blob(t->second.head);
      cached = head_bytes.emplace(p, blob ? std::move(*blob) : std::string()).first;
    }
    return cached->second;
  };
  const fs::path root = repo.workdir();
  const auto disk_sum_text = disk_text(root / d.sum_path);
  const Sums disk_sums = disk_sum_text ? parse_sums(*disk_sum_text) : Sums{};
  const auto head_sum = head_text(d.sum_path);
  const Sums head_sums = head_sum ? parse_sums(*head_sum) : Sums{};
  const auto owned_text = [](const std::string& text) { return gen::is_generated(text); };

  for (const auto& p : *changed) {
    const auto on_disk = disk_text(root / p);
    const auto want = d.files.find(p);
    const auto in_head = head_text(p);
    if (d.user_owned.count(p) > 0) {
      if (!in_head && on_disk && want != d.files.end() && *on_disk == want->second) {
        c.to_stage.push_back(p);
      }
      continue;
    }
    const bool owned = want != d.files.end() || (on_disk && owned_text(*on_disk)) || (in_head && owned_text(*in_head));
    if (!owned) {
      continue;
    }
    c.to_stage.push_back(p);
    const bool as_desired = want != d.files.end() ? (on_disk && *on_disk == want->second) : !on_disk;
    // What an earlier run wrote and did not commit (--no-commit, a failed commit) is no edit.
    const auto recorded = disk_sums.find(p);
    const bool earlier_output =
        disk_sum_text && (on_disk ? recorded != disk_sums.end() && recorded->second == git::blob_id(*on_disk)
                                  : recorded == disk_sums.end());
    const bool input = std::find(inputs.begin(), inputs.end(), p) != inputs.end();
    if (!as_desired && !earlier_output && !input && p != d.sum_path) {
      c.edited.push_back(p);
    }
  }
  for (const auto& [p, t] : c.tracked) {
    const auto recorded = head_sums.find(p);
    if (t.head.empty() || recorded == head_sums.end() || recorded->second == t.head) {
      continue;
    }
    const auto text = head_text(p).value_or(std::string());
    const auto want = d.files.find(p);
    if (want == d.files.end() ? owned_text(text) : want->second != text) {
      c.reverted.push_back(p);
    }
  }
  return c;
}

/// Where a change to the generated file `path` belongs instead.
std::string where_changes_go(const Desired& d, const std::string& path) {
  if (path == d.cluster_path + "/neon.yaml") {
    return "edit the spec you generate from; this file is a copy of it";
  }
  if (path.rfind(d.bootstrap_path + "/", 0) == 0) {
    return "bootstrap/ is rewritten from spec.gitops on every run; change the spec, or patch these objects from a "
           "kustomization of your own outside bootstrap/";
  }
  std::string rel = path.substr(d.cluster_path.size() + 1);
  std::string first = rel.substr(0, rel.find('/'));
  if (first == "projects" && rel.find('/', first.size() + 1) != std::string::npos) {  // split: project
    const std::string folder = rel.substr(0, rel.find('/', first.size() + 1));
    return fmt::format("put such changes in {}/local/{}/kustomization.yaml (a kustomize Component kept across runs)",
                       d.cluster_path, folder);
  }
  if (first == "components") {
    rel = rel.substr(first.size() + 1);
    first = rel.substr(0, rel.find('/'));
  }
  const gen::Stage* stage = gen::stage_of(first);
  for (const auto& s : gen::stages()) {
    if (stage == nullptr && first == s.name) {
      stage = &s;
    }
  }
  return fmt::format("put such changes in {}/local/{}/kustomization.yaml (a kustomize Component kept across runs)",
                     d.cluster_path, stage != nullptr ? stage->name : "<stage>");
}

/// Writes the bootstrap folder: replaces changed files, removes generated files no longer wanted.
/// Returns the paths it wrote or removed.
Result<std::vector<std::string>> write_bootstrap(const Desired& d, const fs::path& root, const Classified& known) {
  const std::string prefix = d.bootstrap_path + "/";
  std::vector<std::string> changed;
  for (const auto& [path, bytes] : d.files) {
    if (path.rfind(prefix, 0) == 0 && !known.on_disk_is(path, bytes) &&
        disk_text(root / path) != std::optional<std::string>(bytes)) {
      changed.push_back(path);
      // Below the repository root without following links, like the cluster tree (tree_writer).
      auto top = open_dir(root, false);
      NEON_TRY(top);
      const fs::path rel(path);
      auto dir = open_below(top->get(), rel.parent_path().string(), true);
      NEON_TRY(dir);
      NEON_TRY(write_atomic_at(dir->get(), rel.filename().string(), bytes, Overwrite::yes, Access::shared,
                               (root / path).string()));
    }
  }
  std::error_code ec;
  for (fs::directory_iterator it(root / d.bootstrap_path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = prefix + it->path().filename().string();
    auto text = disk_text(it->path());
    if (d.files.count(rel) == 0 && text && gen::is_generated(*text)) {
      fs::remove(it->path(), ec);
      changed.push_back(rel);
    }
  }
  return changed;
}

std::optional<std::string> old_spec_text(git::Repository& repo, const std::string& cluster_path) {
  if (!repo.head_commit()) {
    return std::nullopt;
  }
  auto files = repo.read_tree("HEAD", cluster_path + "/neon.yaml");
  if (!files || files->empty()) {
    return std::nullopt;
  }
  return files->begin()->second;
}

std::optional<gen::ValidSpec> old_spec_at_head(git::Repository& repo, const std::string& cluster_path) {
  const auto text = old_spec_text(repo, cluster_path);
  return text ? gen::load_spec(*text, "HEAD:neon.yaml").spec : std::nullopt;
}

/// What this change needs done by hand: the blocking findings of `kubectl neon diff` between the
/// spec at HEAD and `spec` (both rendered by this binary). Empty when there is no committed spec.
std::vector<std::string> blocking_findings(git::Repository& repo, const Desired& d, const gen::ValidSpec& spec) {
  const auto text = old_spec_text(repo, d.cluster_path);
  if (!text || *text == d.files.at(d.cluster_path + "/neon.yaml")) {
    return {};  // the same spec: nothing to do by hand (and no two renders to compare)
  }
  const auto old = gen::load_spec(*text, "HEAD:neon.yaml").spec;
  if (!old) {
    return {};
  }
  auto report = diff_specs(*old, spec);
  return report ? report->blocking : std::vector<std::string>{};
}

Outcome failed(Context& ctx, const std::string& message) {
  fail(ctx, message);
  return Outcome::failed;
}

Outcome render_and_commit(Context& ctx, git::Repository& repo, const gen::ValidSpec& spec, const std::string& text,
                          const GenerateOptions& o) {
  fault_point(ctx, "render");
  const fs::path root = repo.workdir();
  const Desired d = render(spec, text);
  if (auto r = discard_staging(root, d.cluster_path); !r) {  // a killed run's staging is no user edit
    return failed(ctx, r.error().message);
  }
  auto before = classify(repo, d, o.extra);
  if (!before) {
    return failed(ctx, before.error().message);
  }
  if (!before->edited.empty() && !o.force) {
    fmt::print(ctx.err,
               "error: these generated files have uncommitted edits; commit or discard them, or pass "
               "--force to overwrite:\n");
    for (const auto& p : before->edited) {
      fmt::print(ctx.err, "  {}\n", p);
    }
    return Outcome::failed;
  }
  if (!o.force) {
    if (auto r = check_cluster_folder(repo, spec, d.cluster_path, d.bootstrap_path); !r) {
      return failed(ctx, r.error().message);
    }
  }
  const std::vector<std::string> by_hand =
      o.refuse_blocking ? blocking_findings(repo, d, spec) : std::vector<std::string>{};
  if (!by_hand.empty() && !o.force) {
    fmt::print(ctx.err, "error: this change needs work by hand that no sync can do (kubectl neon diff shows it):\n");
    for (const auto& b : by_hand) {
      fmt::print(ctx.err, "  - {}\n", b);
    }
    fmt::print(ctx.err,
               "nothing was written; undo the change in the spec, or pass --force to commit it anyway (the "
               "commit message then lists this work)\n");
    return Outcome::failed;
  }
  if (o.scale_down_check && !o.force) {
    const auto old = old_spec_at_head(repo, d.cluster_path);
    const std::vector<std::string> in_use = old ? o.scale_down_check(*old, spec) : std::vector<std::string>{};
    if (!in_use.empty()) {
      fmt::print(ctx.err,
                 "error: fewer pageservers or safekeepers, and the storage controller is not done with the "
                 "nodes whose pods go away:\n");
      for (const auto& line : in_use) {
        fmt::print(ctx.err, "  - {}\n", line);
      }
      fmt::print(ctx.err,
                 "nothing was written; run those first, or pass --force (the pods then go while the "
                 "controller still places tenants or timelines on them)\n");
      return Outcome::failed;
    }
  }
  if (o.before_write) {
    if (auto r = o.before_write(); !r) {
      return failed(ctx, r.error().message);
    }
  }
  if (!o.branch.empty()) {
    if (auto r = repo.switch_to_new_branch(o.branch); !r) {
      return failed(ctx, r.error().message);
    }
  }
  gen::FileTree cluster_files;
  for (const auto& [p, b] : d.files) {
    if (p.rfind(d.bootstrap_path + "/", 0) != 0) {
      cluster_files[p] = b;
    }
  }
  TreeScope scope = tree_scope(spec);
  scope.after_staging = [&ctx] { fault_point(ctx, "after-staging"); };
  scope.known_same = [&](const std::string& p, const std::string& bytes) {
    const auto t = before->tracked.find(p);
    if (t == before->tracked.end() || t->second.disk.empty()) {
      return false;
    }
    if (d.user_owned.count(p) > 0) {
      return true;  // it exists: kept as it is
    }
    const auto id = d.sums.find(p);
    return t->second.disk == (id != d.sums.end() ? id->second : git::blob_id(bytes));
  };
  auto report = write_tree(cluster_files, root, scope);
  if (!report) {
    return failed(ctx, report.error().message);
  }
  auto boot = write_bootstrap(d, root, *before);
  if (!boot) {
    return failed(ctx, boot.error().message);
  }
  fault_point(ctx, "after-write");
  for (const auto& p : before->reverted) {
    fmt::print(ctx.err,
               "warning: {} had a committed change that kubectl-neon did not generate; this run reverts it\n"
               "  {}\n",
               p, where_changes_go(d, p));
  }
  fmt::print(ctx.out, "wrote {} ({} changed, {} removed)\n", (root / d.cluster_path).string(), report->written.size(),
             report->removed.size());
  if (!o.commit) {
    return Outcome::up_to_date;
  }
  // What differed before this run, and what it wrote or removed: every other file is as it was,
  // the same in the work tree, the index and HEAD (no second scan of the work tree).
  std::set<std::string> to_stage(before->to_stage.begin(), before->to_stage.end());
  using Paths = const std::vector<std::string>*;
  for (Paths list : {Paths(&report->written), Paths(&report->removed), Paths(&*boot), Paths(&o.extra)}) {
    to_stage.insert(list->begin(), list->end());
  }
  if (to_stage.empty()) {
    return Outcome::up_to_date;  // nothing written: the index and HEAD stay as they are
  }
  std::vector<git::Repository::Change> changes;
  for (const auto& p : to_stage) {
    const auto want = d.files.find(p);
    const bool from_memory = want != d.files.end() && std::find(o.extra.begin(), o.extra.end(), p) == o.extra.end();
    changes.push_back({p, from_memory ? &want->second : nullptr});
  }
  if (auto r = repo.stage_changes(changes); !r) {
    return failed(ctx, r.error().message);
  }
  fault_point(ctx, "after-stage");
  auto staged = repo.staged_changes();
  if (!staged) {
    return failed(ctx, staged.error().message);
  }
  if (staged->empty()) {
    return Outcome::up_to_date;
  }
  const bool first = !repo.head_commit();
  const auto msg =
      commit_message(spec, old_spec_at_head(repo, d.cluster_path), first, *staged, o.message, o.subject, by_hand);
  auto id = repo.commit(msg, resolve_author(ctx, repo, o.author));
  if (!id) {
    return failed(ctx, id.error().message);
  }
  fault_point(ctx, "after-commit");
  fmt::print(ctx.out, "committed {} on {}: {}", id->substr(0, 12), repo.head_branch(),
             msg.substr(0, msg.find('\n') + 1));
  return Outcome::committed;
}

}  // namespace

Outcome write_and_commit(Context& ctx, git::Repository& repo, const gen::ValidSpec& spec, const std::string& text,
                         const GenerateOptions& o) {
  const StampInput stamp{text, gen::cluster_path(spec), gen::bootstrap_path(spec)};
  // Nothing changed since a run of this binary with this spec committed it: no render needed.
  const bool plain = o.commit && !o.force && o.branch.empty() && o.extra.empty() && !o.before_write;
  if (plain) {
    const auto holds = stamp_holds(repo, stamp);
    if (holds && *holds && check_siblings(repo, spec, stamp.cluster_path, stamp.bootstrap_path)) {
      fmt::print(ctx.out, "wrote {} (0 changed, 0 removed)\n", (repo.workdir() / stamp.cluster_path).string());
      return Outcome::up_to_date;
    }
  }
  const Outcome outcome = render_and_commit(ctx, repo, spec, text, o);
  if (outcome != Outcome::failed && o.commit) {
    (void)write_stamp(repo, stamp);  // a cache: without it the next run renders and compares
  }
  return outcome;
}

int generate_into_repo(Context& ctx, const gen::ValidSpec& spec, const std::string& text, const GenerateRun& run) {
  GenerateOptions o;
  o.commit = run.commit;
  o.subject = run.subject;
  o.extra = run.extra;
  bool spec_written = false;
  if (!run.spec_file.empty()) {
    o.before_write = [&]() -> Result<void> {
      NEON_TRY(write_file_atomic(run.spec_file, text));
      spec_written = true;
      return {};
    };
  }
  const auto restore = [&]() -> int {
    if (run.spec_file.empty()) {
      return k_exit_failure;
    }
    if (!spec_written) {
      fmt::print(ctx.err, "{} is unchanged\n", run.spec_file);
      return k_exit_failure;
    }
    if (auto r = write_file_atomic(run.spec_file, run.spec_original); !r) {
      return fail(ctx, fmt::format("{}; could not put back the spec: {}", run.spec_file, r.error().message));
    }
    fmt::print(ctx.err, "{} is unchanged (put back as it was)\n", run.spec_file);
    return k_exit_failure;
  };
  git::Library lib;
  bool created = false;
  auto repo = git::Repository::open_or_init(run.repo, created);
  if (!repo) {
    fail(ctx, repo.error().message);
    return restore();
  }
  auto lock = RepoLock::acquire(repo->git_dir());
  if (!lock) {
    fail(ctx, lock.error().message);
    return restore();
  }
  const Outcome outcome = write_and_commit(ctx, *repo, spec, text, o);
  if (outcome == Outcome::failed) {
    return restore();
  }
  if (outcome == Outcome::up_to_date && o.commit) {
    fmt::print(ctx.out, "up to date\n");
  }
  return k_exit_ok;
}

std::string rendered_sums(const gen::ValidSpec& spec, const std::string& text) {
  const Desired d = render(spec, text);
  return d.files.at(d.sum_path);
}

}  // namespace neon::cli
