#pragma once
// Comparing two rendered clusters object by object, and printing the result as text, Markdown
// (for pull-request comments) or JSON. No I/O: the caller renders both sides.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "generators/resource.hpp"
#include "generators/result.hpp"
#include "generators/spec.hpp"
#include "plugin/adapters/text_diff.hpp"

namespace neon::cli {

/// GitHub's limit for one comment body.
inline constexpr std::size_t k_markdown_budget = 65536;

enum class Action { added, modified, deleted };

struct ObjectChange {
  Action action = Action::modified;
  std::string kind;
  std::string namespace_;
  std::string name;      ///< the head side's name (base side's when deleted)
  std::string old_name;  ///< differs from name when a hash-suffixed object was renamed
  int additions = 0;
  int deletions = 0;
  std::string diff;  ///< unified diff of the YAML, Secret values masked
  /// With spec.gitops.split: project on either side, the folder whose Application or Kustomization
  /// applies it (a stage, or projects/<project>); empty otherwise.
  std::string unit;
  std::string id() const { return kind + "/" + namespace_ + "/" + name; }
};

struct DiffReport {
  std::vector<ObjectChange> changes;  ///< sorted by action, then id
  std::vector<std::string> blocking;  ///< the apply will fail, or data is orphaned: do not merge as is
  std::vector<std::string> warnings;  ///< risky changes: data or availability at stake
};

struct DiffLabels {
  std::string cluster_path;
  std::string base;
  std::string head;
};

DiffReport diff_objects(const std::vector<gen::Json>& before, const std::vector<gen::Json>& after);

/// diff_objects on two rendered streams (render_stream's output). Documents that are the same text
/// on both sides are set aside before parsing, so a large cluster with a small change costs little
/// more memory than its two texts.
Result<DiffReport> diff_streams(std::string_view before, std::string_view after);

/// Adds the blocking findings of the spec change itself: an existing project's tenantId or a
/// branch's timelineId changed, or a project or branch gone (matched by name, then by ID so a
/// rename is no loss). Each orphans data the rendered objects do not show. Either side may be
/// null (a cluster that is new or gone).
void check_spec_changes(const gen::ClusterSpec* before, const gen::ClusterSpec* after, DiffReport& report);

/// With spec.gitops.split: project on either side, sets each change's unit (the head side's, the
/// base side's for a deletion) so the summary groups changes per project, and warns when split
/// itself changes (the objects move to other Applications or Kustomizations). Either side may be
/// null.
void add_units(const gen::ValidSpec* before, const gen::ValidSpec* after, DiffReport& report);

/// The summary's lines grouping the changes by unit (none when no change has one).
std::vector<std::string> unit_summary(const DiffReport& report);

/// What `kubectl neon diff` reports between two specs, both rendered by this binary: the objects'
/// changes (diff_streams) plus the spec's own findings (check_spec_changes).
Result<DiffReport> diff_specs(const gen::ValidSpec& before, const gen::ValidSpec& after);

std::string render_text(const DiffReport& report, const DiffLabels& labels);
/// Keeps the summary whole and drops per-object diffs once `budget` characters would be exceeded,
/// saying so visibly.
std::string render_markdown(const DiffReport& report, const DiffLabels& labels, std::size_t budget);
std::string render_json(const DiffReport& report, const DiffLabels& labels);

}  // namespace neon::cli
