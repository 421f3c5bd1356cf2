#include "plugin/adapters/git.hpp"

#include <algorithm>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <git2.h>

#include "plugin/adapters/git_handles.hpp"

namespace neon::cli::git {

using namespace detail;  // NOLINT(google-build-using-namespace): this library's own handles

Library::Library() { git_libgit2_init(); }
Library::~Library() { git_libgit2_shutdown(); }

void Repository::Deleter::operator()(git_repository* repo) const { git_repository_free(repo); }

std::optional<Signature> parse_signature(const std::string& text) {
  const auto lt = text.find('<');
  const auto gt = text.rfind('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt || gt + 1 != text.size()) {
    return std::nullopt;
  }
  std::string name = text.substr(0, lt);
  while (!name.empty() && name.back() == ' ') {
    name.pop_back();
  }
  std::string email = text.substr(lt + 1, gt - lt - 1);
  if (name.empty() || email.empty()) {
    return std::nullopt;
  }
  return Signature{name, email};
}

Result<Repository> Repository::open(const std::filesystem::path& dir) {
  git_repository* repo = nullptr;
  const int rc = git_repository_open_ext(&repo, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  if (rc != 0) {
    return last_error(fmt::format("{} is not a Git repository", dir.string()), rc);
  }
  return Repository(repo);
}

Result<Repository> Repository::open_or_init(const std::filesystem::path& dir, bool& created,
                                            const std::string& initial_branch) {
  created = false;
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir, ec);
  if (exists && std::filesystem::exists(dir / ".git", ec)) {
    return open(dir);
  }
  if (exists && !std::filesystem::is_empty(dir, ec)) {
    return make_error(fmt::format("{} is not a Git repository (run git init there, or pass --repo)", dir.string()));
  }
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_MKPATH;
  opts.initial_head = initial_branch.c_str();
  git_repository* repo = nullptr;
  const int rc = git_repository_init_ext(&repo, dir.c_str(), &opts);
  if (rc != 0) {
    return last_error(fmt::format("cannot create a Git repository at {}", dir.string()), rc);
  }
  created = true;
  return Repository(repo);
}

std::filesystem::path Repository::workdir() const {
  const char* w = git_repository_workdir(m_repo.get());
  return w != nullptr ? std::filesystem::path(w) : std::filesystem::path();
}

std::filesystem::path Repository::git_dir() const { return git_repository_path(m_repo.get()); }

std::optional<std::string> Repository::head_commit() const {
  git_oid oid;
  if (git_reference_name_to_id(&oid, m_repo.get(), "HEAD") != 0) {
    return std::nullopt;
  }
  return oid_hex(oid);
}

std::string Repository::head_branch() const {
  git_reference* ref = nullptr;
  if (git_reference_lookup(&ref, m_repo.get(), "HEAD") != 0) {
    return "";
  }
  ReferencePtr owned(ref);
  if (git_reference_type(ref) != GIT_REFERENCE_SYMBOLIC) {
    return "";
  }
  std::string target = git_reference_symbolic_target(ref);
  const std::string prefix = "refs/heads/";
  return target.rfind(prefix, 0) == 0 ? target.substr(prefix.size()) : target;
}

std::optional<std::string> Repository::config_string(const std::string& key) const {
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, m_repo.get()) != 0) {
    return std::nullopt;
  }
  ConfigPtr owned(cfg);
  const char* value = nullptr;
  if (git_config_get_string(&value, cfg, key.c_str()) != 0 || value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

Result<std::vector<std::string>> Repository::changed_paths(const std::vector<std::string>& paths) const {
  std::vector<std::string> specs;
  for (const auto& p : paths) {
    specs.push_back(!p.empty() && p.back() == '/' ? p.substr(0, p.size() - 1) : p);
  }
  StrArray spec_array(specs);
  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
  opts.pathspec = spec_array.array;
  git_status_list* list = nullptr;
  const int rc = git_status_list_new(&list, m_repo.get(), &opts);
  if (rc != 0) {
    return last_error("cannot read the status", rc);
  }
  StatusListPtr owned(list);
  std::set<std::string> out;
  for (std::size_t i = 0; i < git_status_list_entrycount(list); ++i) {
    const git_status_entry* e = git_status_byindex(list, i);
    for (const git_diff_delta* d : {e->head_to_index, e->index_to_workdir}) {
      if (d != nullptr) {
        out.insert(d->new_file.path != nullptr ? d->new_file.path : d->old_file.path);
      }
    }
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<void> Repository::stage(const std::vector<std::string>& paths) {
  git_index* index = nullptr;
  int rc = git_repository_index(&index, m_repo.get());
  if (rc != 0) {
    return last_error("cannot open the index", rc);
  }
  IndexPtr owned(index);
  const auto root = workdir();
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(root / p, ec)) {
      rc = git_index_add_bypath(index, p.c_str());
    } else {
      rc = git_index_remove_bypath(index, p.c_str());
    }
    if (rc != 0) {
      return last_error(fmt::format("cannot stage {}", p), rc);
    }
  }
  rc = git_index_write(index);
  if (rc != 0) {
    return last_error("cannot write the index", rc);
  }
  return {};
}

Result<std::vector<std::string>> Repository::staged_changes() const {
  git_index* index = nullptr;
  int rc = git_repository_index(&index, m_repo.get());
  if (rc != 0) {
    return last_error("cannot open the index", rc);
  }
  IndexPtr owned_index(index);
  rc = git_index_read(index, 0);  // stage_changes wrote the file
  if (rc != 0) {
    return last_error("cannot read the index", rc);
  }
  TreePtr head_tree;
  if (auto head = head_commit()) {
    auto commit = lookup_commit(m_repo.get(), *head);
    NEON_TRY(commit);
    git_tree* tree = nullptr;
    rc = git_commit_tree(&tree, commit->get());
    if (rc != 0) {
      return last_error("cannot read HEAD's tree", rc);
    }
    head_tree.reset(tree);
  }
  git_diff* diff = nullptr;
  rc = git_diff_tree_to_index(&diff, m_repo.get(), head_tree.get(), index, nullptr);
  if (rc != 0) {
    return last_error("cannot compare the index with HEAD", rc);
  }
  DiffPtr owned_diff(diff);
  std::set<std::string> out;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff); ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff, i);
    out.insert(d->new_file.path != nullptr ? d->new_file.path : d->old_file.path);
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Result<std::string> Repository::commit(const std::string& message, const Signature& author) {
  git_index* index = nullptr;
  int rc = git_repository_index(&index, m_repo.get());
  if (rc != 0) {
    return last_error("cannot open the index", rc);
  }
  IndexPtr owned_index(index);
  rc = git_index_read(index, 0);
  if (rc != 0) {
    return last_error("cannot read the index", rc);
  }
  git_oid tree_oid;
  rc = git_index_write_tree(&tree_oid, index);
  if (rc != 0) {
    return last_error("cannot write the tree", rc);
  }
  git_tree* tree = nullptr;
  rc = git_tree_lookup(&tree, m_repo.get(), &tree_oid);
  if (rc != 0) {
    return last_error("cannot read the tree", rc);
  }
  TreePtr owned_tree(tree);
  git_signature* sig = nullptr;
  rc = git_signature_now(&sig, author.name.c_str(), author.email.c_str());
  if (rc != 0) {
    return last_error("invalid author", rc);
  }
  SignaturePtr owned_sig(sig);
  CommitPtr parent;
  if (auto head = head_commit()) {
    auto c = lookup_commit(m_repo.get(), *head);
    NEON_TRY(c);
    parent = std::move(*c);
  }
  const git_commit* parents[1] = {parent.get()};
  git_oid commit_oid;
  rc = git_commit_create(&commit_oid, m_repo.get(), "HEAD", sig, sig, "UTF-8", message.c_str(), tree, parent ? 1 : 0,
                         parents);
  if (rc != 0) {
    return last_error("cannot commit", rc);
  }
  // Keeps the trees just written in the index's cache: the next commit rebuilds only the folders
  // it changes. The commit is made already; a failure here costs only that.
  static_cast<void>(git_index_write(index));
  return oid_hex(commit_oid);
}

Result<void> Repository::switch_to_new_branch(const std::string& name) {
  const std::string refname = "refs/heads/" + name;
  if (git_reference_is_valid_name(refname.c_str()) == 0) {
    return make_error(fmt::format("invalid branch name \"{}\"", name));
  }
  auto head = head_commit();
  if (head) {
    git_reference* ref = nullptr;
    if (git_branch_lookup(&ref, m_repo.get(), name.c_str(), GIT_BRANCH_LOCAL) == 0) {
      ReferencePtr owned(ref);
      const git_oid* target = git_reference_target(ref);
      if (target == nullptr || oid_hex(*target) != *head) {
        if (head_branch() != name) {
          return make_error(
              fmt::format("branch {} already exists and does not point at HEAD; delete it or "
                          "choose another --branch",
                          name));
        }
      }
    } else {
      auto commit = lookup_commit(m_repo.get(), *head);
      NEON_TRY(commit);
      const int rc = git_branch_create(&ref, m_repo.get(), name.c_str(), commit->get(), 0);
      if (rc != 0) {
        return last_error(fmt::format("cannot create branch {}", name), rc);
      }
      ReferencePtr owned(ref);
    }
  }
  const int rc = git_repository_set_head(m_repo.get(), refname.c_str());
  if (rc != 0) {
    return last_error(fmt::format("cannot switch to branch {}", name), rc);
  }
  return {};
}

std::string blob_id(const std::string& bytes) {
  git_oid oid;
  if (git_odb_hash(&oid, bytes.data(), bytes.size(), GIT_OBJECT_BLOB) != 0) {
    return std::string();
  }
  return oid_hex(oid);
}

Result<void> Repository::reset_to(const std::string& rev) {
  auto commit = lookup_commit(m_repo.get(), rev);
  NEON_TRY(commit);
  auto* obj = reinterpret_cast<git_object*>(commit->get());
  git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
  co.checkout_strategy = GIT_CHECKOUT_SAFE;
  int rc = git_checkout_tree(m_repo.get(), obj, &co);
  if (rc != 0) {
    return last_error(fmt::format("cannot check out {}", rev), rc);
  }
  rc = git_reset(m_repo.get(), obj, GIT_RESET_MIXED, nullptr);
  if (rc != 0) {
    return last_error(fmt::format("cannot move the branch to {}", rev), rc);
  }
  return {};
}

namespace {
struct WalkState {
  git_repository* repo = nullptr;
  std::string prefix;
  std::map<std::string, std::string> files;
  int error = 0;
};

int walk_entry(const char* root, const git_tree_entry* entry, void* payload) {
  auto* st = static_cast<WalkState*>(payload);
  const std::string path = std::string(root) + git_tree_entry_name(entry);
  if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
    const std::string dir = path + "/";
    const bool relevant = dir.rfind(st->prefix, 0) == 0 || st->prefix.rfind(dir, 0) == 0;
    return relevant ? 0 : 1;
  }
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || path.rfind(st->prefix, 0) != 0) {
    return 0;
  }
  git_blob* blob = nullptr;
  st->error = git_blob_lookup(&blob, st->repo, git_tree_entry_id(entry));
  if (st->error != 0) {
    return -1;
  }
  BlobPtr owned(blob);
  st->files[path] = std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                                static_cast<std::size_t>(git_blob_rawsize(blob)));
  return 0;
}
}  // namespace

Result<std::map<std::string, std::string>> Repository::read_tree(const std::string& rev,
                                                                 const std::string& prefix) const {
  auto owned = lookup_tree(m_repo.get(), rev);
  NEON_TRY(owned);
  git_tree* tree = owned->get();
  WalkState st;
  st.repo = m_repo.get();
  st.prefix = prefix;
  const int rc = git_tree_walk(tree, GIT_TREEWALK_PRE, walk_entry, &st);
  if (rc != 0) {
    return last_error(fmt::format("cannot read the tree of {}", rev), st.error != 0 ? st.error : rc);
  }
  return std::move(st.files);
}

}  // namespace neon::cli::git
