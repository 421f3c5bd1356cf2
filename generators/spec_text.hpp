#pragma once
// Checks on the raw spec text before YAML parsing: size, binary data, UTF-8, tabs in indentation
// and nesting deep enough to exhaust the parser's stack. yaml-cpp accepts some of these silently
// and chokes on others. And the one way to turn spec text into YAML documents (load_yaml_stream),
// which stops where yaml-cpp 0.7 would loop forever or read past an unterminated string.

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "generators/diagnostics.hpp"

namespace neon::gen {

/// Appends a diagnostic for every problem found; returns false when the text must not be parsed.
bool prescan_spec_text(std::string_view text, const std::string& file, std::vector<Diagnostic>& diags);

/// Nodes that aliases may add to a document beyond those written out (an alias repeats its
/// anchor's whole subtree for whoever walks the tree).
inline constexpr std::size_t k_max_alias_nodes = 100000;

/// Every YAML document of `text`, like YAML::LoadAll, but in bounded time and memory and with
/// the syntax errors yaml-cpp 0.7 lets through. On bad YAML, appends exactly one diagnostic
/// ("invalid YAML: ...", at its place) and returns false. It stops on:
/// - a token no document can start with (` ,`, `]`): yaml-cpp 0.7 returns an empty document
///   without consuming it, so LoadAll pushes empty documents forever (fixed upstream after 0.8.0);
/// - a quoted string that is never closed, which yaml-cpp 0.7 silently ends at the end of the file;
/// - aliases that would add more than k_max_alias_nodes nodes;
/// - anything yaml-cpp itself rejects.
bool load_yaml_stream(std::string_view text, const std::string& file, std::vector<YAML::Node>& docs,
                      std::vector<Diagnostic>& diags);

}  // namespace neon::gen
