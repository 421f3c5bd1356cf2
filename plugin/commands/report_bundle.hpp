#pragma once
// The support bundle of `kubectl neon report`: where it goes (-o FILE.tar.gz or -o DIR/), the
// private staging folder its files are written into, and the last step that makes it appear
// whole: the system `tar` (no shell) into a hidden file renamed into place, or a rename of the
// staging folder. Until then nothing is at the output path; a failure removes everything.
// Also the redaction every file goes through before it is written.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/result.hpp"
#include "plugin/adapters/context.hpp"
#include "plugin/adapters/files.hpp"

namespace neon::cli::report {

struct Output {
  enum class Kind { tarball, folder };
  Kind kind = Kind::tarball;
  std::filesystem::path parent;  ///< the folder it goes into (must exist)
  std::string name;              ///< FILE.tar.gz or DIR, without a slash
  std::string top;               ///< tarball: the one folder inside it (the name without .tar.gz)
  std::string shown;             ///< as given
  std::string as_folder;         ///< tarball: the same path as a folder, DIR/ (for a hint)
};

/// The -o value as an Output: `x.tar.gz` or `x.tgz` is a tarball, `x/` a folder. A message for
/// a usage error otherwise.
std::variant<Output, std::string> parse_output(const std::string& value);

/// Where the output must not be blocked: the parent folder exists, nothing is at the path (an
/// empty folder is fine for the folder form). A message otherwise.
std::optional<std::string> check_output(const Output& out);

/// Removes what it knows about: secrets it was told of, and anything that looks like a JWT.
class Redactor {
public:
  /// A credential this command used (the controller token, the kubeconfig's bearer token).
  void credential(const std::string& value);
  /// A Secret's value (with --no-redact, not given).
  void secret(const std::string& value);
  /// `text` with every known value and every JWT ("eyJ<b64>.<b64>.<b64>") replaced by [REDACTED].
  std::string scrub(std::string text) const;

private:
  std::vector<std::string> m_values;
};

/// A SecretList's items without their values: each data key keeps its name and size, and the
/// last-applied-configuration annotation (a copy of the whole Secret) and managedFields go.
nlohmann::json redact_secrets(const nlohmann::json& items);

/// A file of the bundle and what it holds, for the summary.
struct Entry {
  std::string path;
  std::size_t bytes = 0;
  std::string note;
};

class Bundle {
public:
  /// Creates the staging folder beside the output. `tar` is the program's path (tarball only).
  static Result<Bundle> open(const Output& out, std::string tar);
  Bundle(Bundle&& other) noexcept;
  Bundle& operator=(Bundle&&) = delete;
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;
  ~Bundle();  ///< removes the staging folder and any partial archive

  /// Writes `rel` ("controller/nodes.json") with owner-only access.
  Result<void> add(const std::string& rel, const std::string& bytes, const std::string& note = "");
  /// Records a part that could not be read.
  void note_missing(const std::string& rel, const std::string& why) { m_missing.emplace_back(rel, why); }

  const std::vector<Entry>& entries() const { return m_entries; }
  const std::vector<std::pair<std::string, std::string>>& missing() const { return m_missing; }

  /// Makes the output appear: runs tar and renames the archive into place, or renames the folder.
  /// Returns the size of what was written (the archive, or the files).
  Result<std::size_t> finish(const Context& ctx);

private:
  Bundle() = default;
  Output m_out;
  std::string m_tar;
  std::string m_staging;  ///< name of the staging folder in m_out.parent
  UniqueFd m_root;        ///< where the files go: the staging folder, or its `top` folder
  std::vector<Entry> m_entries;
  std::vector<std::pair<std::string, std::string>> m_missing;
  bool m_done = false;
};

}  // namespace neon::cli::report
