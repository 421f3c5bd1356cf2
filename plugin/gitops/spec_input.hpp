#pragma once
// Loading the cluster spec for a command. One rule for every command:
//   -f FILE names the spec (`-f -`: stdin);
//   without -f, ./neon.yaml if it exists;
//   otherwise only the commands that just write files (validate, render, generate) fall back to
//   the built-in dev example spec, and say so on stderr. A command that talks to a cluster or a
//   controller (attach, detach, drain, fill, status, secrets, bootstrap...) never uses the
//   built-in spec: its fixed tenant IDs would act on a live system.

#include <optional>
#include <string>
#include <vector>

#include "generators/diagnostics.hpp"
#include "generators/spec.hpp"
#include "plugin/adapters/context.hpp"

namespace neon::cli {

inline constexpr const char* k_default_spec_name = "<built-in dev spec>";

/// The spec a command reads when -f is not given, relative to the current directory.
inline constexpr const char* k_local_spec = "neon.yaml";

/// Whether a command may fall back to the built-in dev spec.
enum class SpecUse {
  files,  ///< validate, render, generate: writes files only, may use the built-in spec
  live,   ///< talks to a cluster or a controller: -f or ./neon.yaml, never the built-in spec
};

/// The file a command reads: `file` when given (also "-"), else ./neon.yaml when it exists, else ""
/// (the built-in spec, which only SpecUse::files may read).
std::string spec_file_for(const std::string& file);

/// Whether a spec is there to read without falling back: -f given or ./neon.yaml present. For
/// commands that read a spec only when there is one (status names tenants from it).
bool spec_available(const std::string& file);

struct SpecText {
  std::string text;
  std::string name;  ///< for diagnostics: the path, "<stdin>" or the embedded default
};

/// Reads the spec text for the -f value `file` ("" = not given, "-" = stdin) by the rule above.
/// Prints an error (or, falling back, a note) and returns nullopt on failure.
std::optional<SpecText> read_spec_text(Context& ctx, const std::string& file, SpecUse use = SpecUse::live);

/// Reads, parses and validates. Prints every diagnostic and returns nullopt if there is one.
std::optional<gen::ValidSpec> load_valid_spec(Context& ctx, const std::string& file, SpecUse use = SpecUse::live);

void print_diagnostics(Context& ctx, const std::vector<gen::Diagnostic>& diags);

}  // namespace neon::cli
