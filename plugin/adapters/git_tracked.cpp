// What HEAD, the index and the work tree hold, from the index's stat data instead of a read of
// every file, and staging from bytes held in memory (see git.hpp).
#include <sys/stat.h>

#include <cstring>

#include <fmt/format.h>
#include <git2.h>

#include "plugin/adapters/files.hpp"
#include "plugin/adapters/git.hpp"
#include "plugin/adapters/git_handles.hpp"

namespace neon::cli::git {

using namespace detail;  // NOLINT(google-build-using-namespace): this library's own handles

namespace {

using TreeEntryPtr = Handle<git_tree_entry, git_tree_entry_free>;

constexpr std::size_t k_max_file_bytes = 64 * 1024 * 1024;

struct Walk {
  std::string prefix;
  std::map<std::string, Repository::Tracked>* out = nullptr;
};

int collect_blob(const char* root, const git_tree_entry* entry, void* payload) {
  auto* w = static_cast<Walk*>(payload);
  if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
    (*w->out)[w->prefix + root + git_tree_entry_name(entry)].head = oid_hex(*git_tree_entry_id(entry));
  }
  return 0;
}

struct Stamp {
  std::int64_t seconds = 0;
  std::int64_t nanoseconds = 0;
};

/// An entry written no earlier than the index itself may have changed in the same tick: racy.
bool racy(const git_index_entry& e, const Stamp& index_mtime) {
  if (e.mtime.seconds != index_mtime.seconds) {
    return e.mtime.seconds > index_mtime.seconds;
  }
  return e.mtime.nanoseconds == 0 || e.mtime.nanoseconds >= index_mtime.nanoseconds;
}

bool stat_matches(const git_index_entry& e, const struct stat& st) {
  return e.file_size == static_cast<std::uint32_t>(st.st_size) &&
         e.mtime.seconds == static_cast<std::int32_t>(st.st_mtim.tv_sec) &&
         (e.mtime.nanoseconds == 0 || e.mtime.nanoseconds == static_cast<std::uint32_t>(st.st_mtim.tv_nsec)) &&
         e.ino == static_cast<std::uint32_t>(st.st_ino) && ((e.mode & 0100U) != 0) == ((st.st_mode & 0100U) != 0);
}

std::string disk_id(const std::filesystem::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return "";
  }
  auto bytes = read_file(file, k_max_file_bytes);
  return bytes ? blob_id(*bytes) : std::string("unreadable");
}

void fill_stat(git_index_entry& e, const struct stat& st) {
  e.ctime.seconds = static_cast<std::int32_t>(st.st_ctim.tv_sec);
  e.ctime.nanoseconds = static_cast<std::uint32_t>(st.st_ctim.tv_nsec);
  e.mtime.seconds = static_cast<std::int32_t>(st.st_mtim.tv_sec);
  e.mtime.nanoseconds = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
  e.dev = static_cast<std::uint32_t>(st.st_dev);
  e.ino = static_cast<std::uint32_t>(st.st_ino);
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.file_size = static_cast<std::uint32_t>(st.st_size);
  e.mode = (st.st_mode & 0100U) != 0 ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
}

Result<IndexPtr> open_index(git_repository* repo) {
  git_index* index = nullptr;
  int rc = git_repository_index(&index, repo);
  if (rc != 0) {
    return last_error("cannot open the index", rc);
  }
  IndexPtr owned(index);
  rc = git_index_read(index, 0);  // the file may have changed since the repository opened it
  if (rc != 0) {
    return last_error("cannot read the index", rc);
  }
  return owned;
}

}  // namespace

Result<std::map<std::string, Repository::Tracked>> Repository::tracked(const std::vector<std::string>& prefixes) const {
  std::map<std::string, Tracked> out;
  if (auto head = head_commit()) {
    auto owned_tree = lookup_tree(m_repo.get(), *head);
    NEON_TRY(owned_tree);
    git_tree* tree = owned_tree->get();
    for (const auto& prefix : prefixes) {
      git_tree_entry* entry = nullptr;
      if (git_tree_entry_bypath(&entry, tree, prefix.substr(0, prefix.size() - 1).c_str()) != 0) {
        continue;
      }
      TreeEntryPtr owned_entry(entry);
      if (git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
        continue;
      }
      git_tree* sub = nullptr;
      int rc = git_tree_lookup(&sub, m_repo.get(), git_tree_entry_id(entry));
      if (rc != 0) {
        return last_error(fmt::format("cannot read {} at HEAD", prefix), rc);
      }
      TreePtr owned_sub(sub);
      Walk walk{prefix, &out};
      rc = git_tree_walk(sub, GIT_TREEWALK_PRE, collect_blob, &walk);
      if (rc != 0) {
        return last_error(fmt::format("cannot read {} at HEAD", prefix), rc);
      }
    }
  }
  auto index = open_index(m_repo.get());
  NEON_TRY(index);
  Stamp index_mtime;
  struct stat ist {};
  if (::stat((git_dir() / "index").c_str(), &ist) == 0) {
    index_mtime = Stamp{ist.st_mtim.tv_sec, ist.st_mtim.tv_nsec};
  }
  const auto root = workdir();
  const std::size_t count = git_index_entrycount(index->get());
  for (const auto& prefix : prefixes) {
    std::size_t pos = 0;
    if (git_index_find_prefix(&pos, index->get(), prefix.c_str()) != 0) {
      continue;
    }
    for (; pos < count; ++pos) {
      const git_index_entry* e = git_index_get_byindex(index->get(), pos);
      if (std::strncmp(e->path, prefix.c_str(), prefix.size()) != 0) {
        break;
      }
      Tracked& t = out[e->path];
      if (GIT_INDEX_ENTRY_STAGE(e) != 0) {
        t.index = "conflict";  // matches no blob id: never taken for clean
        continue;
      }
      t.index = oid_hex(e->id);
      struct stat st {};
      const auto file = root / e->path;
      if (::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && stat_matches(*e, st) && !racy(*e, index_mtime)) {
        t.disk = t.index;
      } else {
        t.disk = disk_id(file);
      }
    }
  }
  for (auto& [path, t] : out) {
    if (t.index.empty()) {
      t.disk = disk_id(root / path);
    }
  }
  return out;
}

Result<void> Repository::stage_changes(const std::vector<Change>& changes) {
  // The index file opened on its own, not as the repository's: libgit2 then does not re-read
  // every entry just written ("racily clean", same mtime as the index) to smudge its size. Git
  // and tracked() treat such entries as racy when they read the index, so nothing is missed.
  git_index* raw = nullptr;
  int opened = git_index_open(&raw, (git_dir() / "index").c_str());
  if (opened != 0) {
    return last_error("cannot open the index", opened);
  }
  IndexPtr index(raw);
  const auto root = workdir();
  for (const auto& c : changes) {
    const auto file = root / c.path;
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      const int rc = git_index_remove_bypath(index.get(), c.path.c_str());
      if (rc != 0) {
        return last_error(fmt::format("cannot stage {}", c.path), rc);
      }
      continue;
    }
    std::string from_disk;
    const std::string* bytes = c.bytes;
    if (bytes == nullptr) {
      auto read = read_file(file, k_max_file_bytes);
      NEON_TRY(read);
      from_disk = std::move(*read);
      bytes = &from_disk;
    }
    git_index_entry e{};
    fill_stat(e, st);
    e.path = c.path.c_str();
    int rc = git_blob_create_from_buffer(&e.id, m_repo.get(), bytes->data(), bytes->size());
    if (rc == 0) {
      rc = git_index_add(index.get(), &e);
    }
    if (rc != 0) {
      return last_error(fmt::format("cannot stage {}", c.path), rc);
    }
  }
  const int rc = git_index_write(index.get());
  if (rc != 0) {
    return last_error("cannot write the index", rc);
  }
  return {};
}

Result<std::string> Repository::read_blob(const std::string& id) const {
  git_oid oid;
  int rc = git_oid_fromstr(&oid, id.c_str());
  git_blob* blob = nullptr;
  if (rc == 0) {
    rc = git_blob_lookup(&blob, m_repo.get(), &oid);
  }
  if (rc != 0) {
    return last_error(fmt::format("cannot read blob {}", id), rc);
  }
  BlobPtr owned(blob);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                     static_cast<std::size_t>(git_blob_rawsize(blob)));
}

Result<std::string> Repository::tree_id(const std::string& path) const {
  if (!head_commit()) {
    return std::string();
  }
  auto tree = lookup_tree(m_repo.get(), "HEAD");
  NEON_TRY(tree);
  git_tree_entry* entry = nullptr;
  const int rc = git_tree_entry_bypath(&entry, tree->get(), path.c_str());
  if (rc == GIT_ENOTFOUND) {
    return std::string();
  }
  if (rc != 0) {
    return last_error(fmt::format("cannot look up {} in HEAD", path), rc);
  }
  TreeEntryPtr held(entry);
  return git_tree_entry_type(entry) == GIT_OBJECT_TREE ? oid_hex(*git_tree_entry_id(entry)) : std::string();
}

}  // namespace neon::cli::git
