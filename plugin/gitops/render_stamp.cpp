// The render stamp of a cluster (see render_stamp.hpp).
#include "plugin/gitops/render_stamp.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "plugin/adapters/files.hpp"

namespace neon::cli {

namespace {

constexpr const char* k_stamp_header = "kubectl-neon render stamp 1\n";

/// The running binary, told apart from every other build by its file's identity: a rebuilt or
/// upgraded binary is another file (another inode, size or modification time).
std::string binary_identity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) {
    return "";
  }
  return fmt::format("{}:{}:{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

std::filesystem::path stamp_path(const git::Repository& repo, const std::string& cluster_path) {
  return repo.git_dir() / "kubectl-neon" / ("render-" + git::blob_id(cluster_path).substr(0, 16));
}

/// The text a stamp holds for `in` with HEAD as it is now, or "" when it cannot say.
Result<std::string> stamp_text(const git::Repository& repo, const StampInput& in) {
  const std::string key = stamp_key(in);
  if (key.empty()) {
    return std::string();
  }
  auto cluster = repo.tree_id(in.cluster_path);
  NEON_TRY(cluster);
  auto bootstrap = repo.tree_id(in.bootstrap_path);
  NEON_TRY(bootstrap);
  if (cluster->empty()) {
    return std::string();
  }
  return fmt::format("{}input {}\ncluster {} {}\nbootstrap {} {}\n", k_stamp_header, key, *cluster, in.cluster_path,
                     bootstrap->empty() ? "-" : *bootstrap, in.bootstrap_path);
}

}  // namespace

std::string stamp_key(const StampInput& in) {
  const std::string exe = binary_identity();
  if (exe.empty()) {
    return "";
  }
  std::string all = exe;
  for (const std::string* part : {&in.cluster_path, &in.bootstrap_path, &in.spec_text}) {
    all += '\0';
    all += std::to_string(part->size());
    all += '\0';
    all += *part;
  }
  return git::blob_id(all);
}

Result<bool> stamp_holds(const git::Repository& repo, const StampInput& in) {
  auto recorded = read_file(stamp_path(repo, in.cluster_path), 64 * 1024);
  if (!recorded) {
    return false;  // none yet (or unreadable): the full path decides
  }
  auto now = stamp_text(repo, in);
  NEON_TRY(now);
  if (now->empty() || *now != *recorded) {
    return false;
  }
  auto changed = repo.changed_paths({in.cluster_path + "/", in.bootstrap_path + "/"});
  NEON_TRY(changed);
  return changed->empty();
}

Result<void> write_stamp(const git::Repository& repo, const StampInput& in) {
  auto text = stamp_text(repo, in);
  NEON_TRY(text);
  const auto path = stamp_path(repo, in.cluster_path);
  if (auto held = read_file(path, 64 * 1024); held && *held == *text) {
    return {};  // as it is: not even rewritten
  }
  auto dir = open_dir(path.parent_path(), true);
  NEON_TRY(dir);
  if (text->empty()) {
    return remove_at(dir->get(), path.filename().string(), path.string());
  }
  return write_atomic_at(dir->get(), path.filename().string(), *text, Overwrite::yes, Access::shared, path.string());
}

}  // namespace neon::cli
