#include "plugin/adapters/git_handles.hpp"

#include <fmt/format.h>

namespace neon::cli::git::detail {

Error last_error(const std::string& what, int code) {
  const ::git_error* e = git_error_last();
  return make_error(
      fmt::format("{}: {} ({})", what, e != nullptr && e->message != nullptr ? e->message : "unknown error", code));
}

std::string oid_hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

Result<CommitPtr> lookup_commit(git_repository* repo, const std::string& rev) {
  git_object* obj = nullptr;
  int rc = git_revparse_single(&obj, repo, rev.c_str());
  if (rc != 0) {
    return last_error(fmt::format("cannot resolve {}", rev), rc);
  }
  ObjectPtr owned(obj);
  git_object* peeled = nullptr;
  rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
  if (rc != 0) {
    return last_error(fmt::format("{} is not a commit", rev), rc);
  }
  return CommitPtr(reinterpret_cast<git_commit*>(peeled));
}

Result<TreePtr> lookup_tree(git_repository* repo, const std::string& rev) {
  auto commit = lookup_commit(repo, rev);
  NEON_TRY(commit);
  git_tree* tree = nullptr;
  const int rc = git_commit_tree(&tree, commit->get());
  if (rc != 0) {
    return last_error(fmt::format("cannot read the tree of {}", rev), rc);
  }
  return TreePtr(tree);
}

}  // namespace neon::cli::git::detail
