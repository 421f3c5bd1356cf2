#pragma once
// YAML text for generated objects. The only place objects become YAML: a small, deterministic
// emitter in kubectl's block style. Strings that YAML 1.1 would read as something else (yes, on,
// 1.0, 0755, null, ...) are quoted; multi-line strings become literal blocks.

#include <string>
#include <string_view>
#include <vector>

#include "generators/resource.hpp"
#include "generators/result.hpp"

namespace neon::gen {

/// One YAML document (no `---`), ending in a newline. Keys keep their insertion order.
std::string to_yaml(const Json& value);

/// Documents separated by `---` lines, in the order given.
std::string to_yaml_stream(const std::vector<Json>& documents);

/// Whether `s` must be quoted to stay a string when read back as YAML 1.1 or 1.2.
bool needs_quotes(std::string_view s);

/// Kustomize's legacy output order: Namespace, ..., Service, ..., Deployment, StatefulSet, ...,
/// then kinds it does not know, then webhooks. Lower sorts first.
int kind_rank(const std::string& kind);

/// Sorts by kind_rank, then kind, then name: the order `kubectl kustomize` prints.
void sort_for_output(std::vector<Json>& objects);

/// Parses a YAML stream (shipped component files) into JSON values. Plain scalars are typed the
/// YAML 1.2 core way (true/false, null, integers, floats); quoted scalars stay strings.
Result<std::vector<Json>> parse_yaml_stream(std::string_view text);

}  // namespace neon::gen
