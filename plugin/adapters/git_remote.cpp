// Remotes: checking, pushing and fetching over HTTPS (token) or SSH (agent), through libgit2.
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <git2.h>

#include "plugin/adapters/ca_bundle.hpp"
#include "plugin/adapters/git.hpp"
#include "plugin/adapters/git_handles.hpp"

namespace neon::cli::git {

using namespace detail;  // NOLINT(google-build-using-namespace): this library's own handles

namespace {

struct RemotePayload {
  const Credentials* creds = nullptr;
  int attempts = 0;
  bool gave_up = false;
  std::vector<std::string> rejections;
};

int acquire_credentials(git_credential** out, const char* /*url*/, const char* username_from_url,
                        unsigned int allowed_types, void* payload) {
  auto* p = static_cast<RemotePayload*>(payload);
  if (++p->attempts > p->creds->max_attempts) {
    p->gave_up = true;
    return GIT_EAUTH;
  }
  const std::string ssh_user = username_from_url != nullptr ? username_from_url : "git";
  if ((allowed_types & GIT_CREDENTIAL_SSH_KEY) != 0) {
    return git_credential_ssh_key_from_agent(out, ssh_user.c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 && !p->creds->token.empty()) {
    const std::string user =
        username_from_url != nullptr && *username_from_url != '\0' ? username_from_url : p->creds->username;
    return git_credential_userpass_plaintext_new(out, user.c_str(), p->creds->token.c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_USERNAME) != 0) {
    return git_credential_username_new(out, ssh_user.c_str());
  }
  return GIT_PASSTHROUGH;
}

int record_update(const char* refname, const char* status, void* payload) {
  if (status != nullptr) {
    static_cast<RemotePayload*>(payload)->rejections.push_back(fmt::format("{}: {}", refname, status));
  }
  return 0;
}

/// The system's CAs (found like Go does, ca_bundle.hpp) for HTTPS remotes: the paths compiled
/// into a static build's OpenSSL are the build machine's. Only paths that exist are given.
void use_system_cas() {
  const auto cas = tls::system_ca_locations();
  std::error_code ec;
  const bool file = !cas.file.empty() && std::filesystem::is_regular_file(cas.file, ec);
  const bool dir =
      !cas.dir.empty() && (cas.dir.find(':') != std::string::npos || std::filesystem::is_directory(cas.dir, ec));
  if (file || dir) {
    // A failure leaves libgit2's defaults; the push then reports the certificate error itself.
    (void)git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file ? cas.file.c_str() : nullptr,
                           dir ? cas.dir.c_str() : nullptr);
  }
}

git_remote_callbacks make_callbacks(RemotePayload& payload) {
  use_system_cas();
  git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
  cb.credentials = acquire_credentials;
  cb.push_update_reference = record_update;
  cb.payload = &payload;
  return cb;
}

Result<RemotePtr> lookup_remote(git_repository* repo, const std::string& remote_name) {
  git_remote* remote = nullptr;
  const int rc = git_remote_lookup(&remote, repo, remote_name.c_str());
  if (rc != 0) {
    return last_error(fmt::format("no remote named {}", remote_name), rc);
  }
  return RemotePtr(remote);
}

}  // namespace

Result<void> Repository::check_remote(const std::string& remote_name, const Credentials& creds) const {
  auto owned = lookup_remote(m_repo.get(), remote_name);
  if (!owned) {
    return owned.error();
  }
  git_remote* remote = owned->get();
  RemotePayload payload;
  payload.creds = &creds;
  const git_remote_callbacks callbacks = make_callbacks(payload);
  const int rc = git_remote_connect(remote, GIT_DIRECTION_PUSH, &callbacks, nullptr, nullptr);
  if (payload.gave_up) {
    return make_error(fmt::format("authentication to {} failed after {} attempts", remote_name, creds.max_attempts));
  }
  if (rc != 0) {
    return last_error(fmt::format("cannot connect to remote {}", remote_name), rc);
  }
  git_remote_disconnect(remote);
  return {};
}

PushResult Repository::push(const std::string& remote_name, const std::string& branch, const Credentials& creds) {
  auto owned = lookup_remote(m_repo.get(), remote_name);
  if (!owned) {
    return {PushStatus::error, owned.error().message};
  }
  git_remote* remote = owned->get();
  int rc = 0;
  RemotePayload payload;
  payload.creds = &creds;
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  opts.callbacks = make_callbacks(payload);
  StrArray refspecs({fmt::format("refs/heads/{0}:refs/heads/{0}", branch)});
  rc = git_remote_push(remote, &refspecs.array, &opts);
  if (payload.gave_up) {
    return {PushStatus::auth,
            fmt::format("authentication to {} failed after {} attempts", remote_name, creds.max_attempts)};
  }
  if (rc == GIT_ENONFASTFORWARD) {
    return {PushStatus::non_fast_forward, last_error("push rejected", rc).message};
  }
  if (rc == GIT_EAUTH) {
    return {PushStatus::auth, last_error("authentication failed", rc).message};
  }
  if (rc != 0) {
    return {PushStatus::error, last_error("push failed", rc).message};
  }
  if (!payload.rejections.empty()) {
    std::string all;
    for (const auto& r : payload.rejections) {
      all += (all.empty() ? "" : "; ") + r;
    }
    return {PushStatus::rejected, "the remote rejected the push: " + all};
  }
  return {};
}

Result<std::string> Repository::fetch(const std::string& remote_name, const std::string& branch,
                                      const Credentials& creds) {
  auto owned = lookup_remote(m_repo.get(), remote_name);
  if (!owned) {
    return owned.error();
  }
  git_remote* remote = owned->get();
  int rc = 0;
  RemotePayload payload;
  payload.creds = &creds;
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.callbacks = make_callbacks(payload);
  const std::string tracking = fmt::format("refs/remotes/{}/{}", remote_name, branch);
  StrArray refspecs({fmt::format("+refs/heads/{}:{}", branch, tracking)});
  rc = git_remote_fetch(remote, &refspecs.array, &opts, nullptr);
  if (rc != 0) {
    return last_error(fmt::format("cannot fetch {} from {}", branch, remote_name), rc);
  }
  git_oid oid;
  rc = git_reference_name_to_id(&oid, m_repo.get(), tracking.c_str());
  if (rc != 0) {
    return last_error(fmt::format("{} has no branch {}", remote_name, branch), rc);
  }
  return oid_hex(oid);
}

}  // namespace neon::cli::git
