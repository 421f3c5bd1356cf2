// Which cluster a folder of the repository holds (see cluster_folder.hpp).
#include "plugin/gitops/cluster_folder.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "generators/validate.hpp"
#include "plugin/adapters/files.hpp"

namespace neon::cli {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> disk_text(const fs::path& path) {
  auto r = read_file(path, 64 * 1024 * 1024);
  return r ? std::optional<std::string>(std::move(*r)) : std::nullopt;
}

/// Cluster folders next to ours that hold a neon.yaml, ours left out.
std::vector<std::string> sibling_clusters(const fs::path& root, const std::string& ours) {
  std::vector<std::string> out;
  const auto slash = ours.rfind('/');
  const std::string parent = slash == std::string::npos ? "" : ours.substr(0, slash);
  std::error_code ec;
  for (fs::directory_iterator it(root / parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = (parent.empty() ? "" : parent + "/") + it->path().filename().string();
    if (rel != ours && it->is_directory(ec) && fs::exists(it->path() / "neon.yaml", ec)) {
      out.push_back(rel);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string spec_name(const std::string& text) {
  const auto loaded = gen::load_spec(text, "neon.yaml");
  return loaded.spec ? (*loaded.spec)->name : std::string();
}

}  // namespace

Result<void> check_cluster_folder(const git::Repository& repo, const gen::ValidSpec& spec,
                                  const std::string& cluster_path, const std::string& bootstrap_path) {
  const std::string file = cluster_path + "/neon.yaml";
  std::optional<std::string> theirs;
  if (repo.head_commit()) {
    auto committed = repo.read_tree("HEAD", file);
    if (committed && committed->count(file) > 0) {
      theirs = committed->at(file);
    }
  }
  if (!theirs) {
    theirs = disk_text(repo.workdir() / file);
  }
  const std::string other = theirs ? spec_name(*theirs) : std::string();
  if (!other.empty() && other != spec->name) {
    return make_error(fmt::format(
        "{} holds cluster \"{}\" (its neon.yaml), not \"{}\"; generating here would replace that cluster's tree.\n"
        "  give each cluster its own folder: set spec.gitops.path (or --path) to clusters/{}, or pass --force to "
        "replace \"{}\"",
        cluster_path, other, spec->name, spec->name, other));
  }
  return check_siblings(repo, spec, cluster_path, bootstrap_path);
}

Result<void> check_siblings(const git::Repository& repo, const gen::ValidSpec& spec, const std::string& cluster_path,
                            const std::string& bootstrap_path) {
  for (const auto& sibling : sibling_clusters(repo.workdir(), cluster_path)) {
    auto text = disk_text(repo.workdir() / sibling / "neon.yaml");
    if (text && spec_name(*text) == spec->name) {
      return make_error(fmt::format(
          "{} also holds a cluster named \"{}\"; two clusters with one name would share {}/ and their GitOps "
          "objects.\n  rename one (metadata.name), or pass --force",
          sibling, spec->name, bootstrap_path));
    }
  }
  return {};
}

}  // namespace neon::cli
