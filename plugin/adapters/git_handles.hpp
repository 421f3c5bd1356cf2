#pragma once
// libgit2 handles owned by std::unique_ptr, and the helpers git.cpp and git_remote.cpp share.
// Included only by the git adapter's own .cpp files.

#include <memory>
#include <string>
#include <vector>

#include <git2.h>

#include "generators/result.hpp"

namespace neon::cli::git::detail {

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Freer<T, Free>>;

using IndexPtr = Handle<git_index, git_index_free>;
using TreePtr = Handle<git_tree, git_tree_free>;
using CommitPtr = Handle<git_commit, git_commit_free>;
using SignaturePtr = Handle<git_signature, git_signature_free>;
using RemotePtr = Handle<git_remote, git_remote_free>;
using ReferencePtr = Handle<git_reference, git_reference_free>;
using ObjectPtr = Handle<git_object, git_object_free>;
using ConfigPtr = Handle<git_config, git_config_free>;
using StatusListPtr = Handle<git_status_list, git_status_list_free>;
using DiffPtr = Handle<git_diff, git_diff_free>;
using BlobPtr = Handle<git_blob, git_blob_free>;

/// Strings kept alive for a git_strarray.
struct StrArray {
  explicit StrArray(const std::vector<std::string>& items) : m_items(items) {
    for (auto& s : m_items) {
      m_ptrs.push_back(s.data());
    }
    array.strings = m_ptrs.data();
    array.count = m_ptrs.size();
  }
  git_strarray array{};

private:
  std::vector<std::string> m_items;
  std::vector<char*> m_ptrs;
};

/// The error of a failed libgit2 call, with libgit2's own message.
Error last_error(const std::string& what, int code);

/// The 40 hex digits of `oid`.
std::string oid_hex(const git_oid& oid);

/// The commit `rev` names (a branch, HEAD, an id).
Result<CommitPtr> lookup_commit(git_repository* repo, const std::string& rev);

/// The tree of the commit `rev` names.
Result<TreePtr> lookup_tree(git_repository* repo, const std::string& rev);

}  // namespace neon::cli::git::detail
