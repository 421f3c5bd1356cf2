#pragma once
// The write-and-commit pass of `kubectl neon generate`, shared with the commands that edit the spec
// and then regenerate (project, branch): one commit holds the edited spec and the tree rendered
// from it.
//
// Owned paths: every generated file under the cluster folder (those carrying the generated header,
// present or just removed), `<cluster>/neon.yaml`, `<cluster>/kubectl-neon.sum` and
// `bootstrap/<name>/`. User-owned skeletons (local/<stage>/kustomization.yaml) are committed once,
// when first created, and never again.
//
// kubectl-neon.sum records the Git blob id of every file the program last wrote. It tells the
// program's own output (a --no-commit run, a failed commit) from the user's edits, and shows which
// committed files were edited by hand since (generate then says which change it reverts).
//
// Before anything is written: the cluster folder must not hold another cluster's spec, no
// generated file may carry the user's uncommitted edits, and (generate) the change must not be one
// that a sync cannot carry out (--force overrides all three).

#include <functional>
#include <string>
#include <vector>

#include "generators/result.hpp"
#include "generators/spec.hpp"
#include "plugin/adapters/context.hpp"
#include "plugin/adapters/git.hpp"

namespace neon::cli {

/// The record of generated files, beside the cluster's neon.yaml.
inline constexpr const char* k_sum_file = "kubectl-neon.sum";

struct GenerateOptions {
  std::string message;  ///< extra paragraph for the commit message
  std::string author;   ///< "Name <email>"; empty: environment, git config, default
  std::string branch;   ///< commit on this new branch
  bool commit = true;   ///< false: write the files only
  bool force = false;   ///< overwrite edits, replace another cluster's folder, commit blocking changes
  /// Refuse a change that `kubectl neon diff` marks as blocking (against the spec committed at HEAD),
  /// or that drops an object holding data, unless `force`; forced, the commit message lists the work
  /// left to do by hand.
  bool refuse_blocking = false;
  std::string subject;             ///< overrides the described change in the commit subject
  std::vector<std::string> extra;  ///< more paths (relative to the repository) to stage
  /// Runs once the checks passed, before the first file is written (project commands write the
  /// edited spec here). A failure stops the run with nothing written.
  std::function<Result<void>()> before_write;
  /// Set: when the spec at HEAD has more pageservers or safekeepers than `after`, what still stands
  /// in the way in the storage controller (nodes not deleted or decommissioned); a non-empty
  /// answer refuses the run unless `force`.
  std::function<std::vector<std::string>(const gen::ValidSpec& before, const gen::ValidSpec& after)> scale_down_check;
};

enum class Outcome { committed, up_to_date, failed };

/// One pass: check, write, stage, commit. Prints what it did and every error.
Outcome write_and_commit(Context& ctx, git::Repository& repo, const gen::ValidSpec& spec, const std::string& text,
                         const GenerateOptions& o);

struct GenerateRun {
  std::string repo = ".";          ///< repository folder (created with git init when missing)
  bool commit = true;              ///< false: write the files only
  std::string subject;             ///< commit subject after "neon(<name>): "; empty: describe the change
  std::vector<std::string> extra;  ///< more paths (relative to the repository) to commit, e.g. the spec file
  std::string spec_file;           ///< written with `spec_text` after the checks; restored on failure
  std::string spec_original;       ///< the bytes spec_file had before
};

/// Writes the cluster tree of `spec` (whose text is `text`) into the repository and commits the
/// owned files, as generate does. When `run.spec_file` is set, it is written only once the
/// repository passed every check, and put back byte for byte if a later step fails. Prints
/// progress and errors; returns the exit code.
int generate_into_repo(Context& ctx, const gen::ValidSpec& spec, const std::string& text, const GenerateRun& run);

/// The kubectl-neon.sum that generate writes for `spec` (read from `text`): the Git blob id of
/// every file it owns. Needs a git::Library alive.
std::string rendered_sums(const gen::ValidSpec& spec, const std::string& text);

}  // namespace neon::cli
