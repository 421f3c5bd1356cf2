#pragma once
// Diagnostics for the cluster spec: `FILE:LINE:COL: error: <field path>: <message>` (or `warning:`).

#include <string>
#include <string_view>
#include <vector>

namespace neon::gen {

/// A position in the spec file, 1-based. Zero means unknown.
struct Mark {
  int line = 0;
  int col = 0;
};

/// What a diagnostic says about its path, for rules that must not restate it: a field the parser
/// found missing or of the wrong form has no value that a later rule could check.
enum class DiagKind {
  other,    ///< anything else (a rule of validate, an unknown field, a duplicate key)
  missing,  ///< a required field is absent
  invalid,  ///< the value has the wrong type or is not one of the allowed values
};

struct Diagnostic {
  std::string file;
  Mark mark;
  std::string path;  ///< field path such as `spec.projects[0].branches[1].parent`; may be empty
  std::string message;
  bool warning = false;  ///< printed as `warning:`; never makes a spec invalid
  DiagKind kind = DiagKind::other;
};

/// Renders one diagnostic in compiler style.
std::string format_diagnostic(const Diagnostic& d);

/// Sorts by position (stable for equal positions) and removes exact duplicates.
void sort_diagnostics(std::vector<Diagnostic>& diags);

/// Levenshtein distance, bounded: returns `limit + 1` once the distance exceeds `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit = 64);

/// The closest of `candidates` to `word` when it is close enough to be a likely typo, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// ` (did you mean "x"?)` or "" — ready to append to a message.
std::string suggestion_suffix(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace neon::gen
