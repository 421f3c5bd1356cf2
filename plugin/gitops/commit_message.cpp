// The commit message of `generate` and who signs the commit.
#include "plugin/gitops/commit_message.hpp"

#include <set>

#include <fmt/format.h>

namespace neon::cli {

namespace {

std::set<std::string> branch_names(const gen::ClusterSpec& s) {
  std::set<std::string> out;
  for (const auto& p : s.projects) {
    for (const auto& b : p.branches) {
      out.insert(p.name + "/" + b.name);
    }
  }
  return out;
}

/// What changed in the spec, in words, for the commit subject.
std::vector<std::string> describe(const std::optional<gen::ValidSpec>& old_spec, const gen::ValidSpec& now) {
  std::vector<std::string> out;
  if (!old_spec) {
    return out;
  }
  const auto& a = old_spec->spec();
  const auto& b = now.spec();
  const auto before = branch_names(a);
  const auto after = branch_names(b);
  for (const auto& n : after) {
    if (before.count(n) == 0) {
      out.push_back("add branch " + n);
    }
  }
  for (const auto& n : before) {
    if (after.count(n) == 0) {
      out.push_back("remove branch " + n);
    }
  }
  if (a.safekeepers.count != b.safekeepers.count) {
    out.push_back(fmt::format("scale safekeepers to {}", b.safekeepers.count));
  }
  if (a.pageservers.count != b.pageservers.count) {
    out.push_back(fmt::format("scale pageservers to {}", b.pageservers.count));
  }
  if (a.images.storage != b.images.storage) {
    const auto colon = b.images.storage.rfind(':');
    out.push_back("bump storage image to " +
                  (colon == std::string::npos ? b.images.storage : b.images.storage.substr(colon + 1)));
  }
  return out;
}

}  // namespace

std::string commit_message(const gen::ValidSpec& spec, const std::optional<gen::ValidSpec>& old_spec, bool first,
                           const std::vector<std::string>& files, const std::string& extra,
                           const std::string& what_override, const std::vector<std::string>& by_hand) {
  const std::string count = fmt::format("{} file{}", files.size(), files.size() == 1 ? "" : "s");
  std::string subject;
  if (first) {
    subject = fmt::format("neon({}): generate cluster tree ({})", spec->name, count);
  } else {
    auto what = what_override.empty() ? describe(old_spec, spec) : std::vector<std::string>{what_override};
    subject = what.empty() ? fmt::format("neon({}): update {}", spec->name, count)
                           : fmt::format("neon({}): {} ({})", spec->name, fmt::join(what, ", "), count);
  }
  std::string msg = subject + "\n";
  if (!extra.empty()) {
    msg += "\n" + extra + "\n";
  }
  if (!by_hand.empty()) {
    msg += "\nCommitted with --force. A sync cannot do this; do it by hand:\n";
    for (const auto& b : by_hand) {
      msg += "  - " + b + "\n";
    }
  }
  msg += "\n";
  for (const auto& f : files) {
    msg += "  " + f + "\n";
  }
  return msg;
}

git::Signature resolve_author(const Context& ctx, const git::Repository& repo, const std::string& flag) {
  if (auto s = git::parse_signature(flag)) {
    return *s;
  }
  auto name = ctx.getenv("GIT_AUTHOR_NAME");
  auto email = ctx.getenv("GIT_AUTHOR_EMAIL");
  if (name && email && !name->empty() && !email->empty()) {
    return {*name, *email};
  }
  name = repo.config_string("user.name");
  email = repo.config_string("user.email");
  if (name && email && !name->empty() && !email->empty()) {
    return {*name, *email};
  }
  return {"kubectl-neon", "kubectl-neon@localhost"};
}

}  // namespace neon::cli
