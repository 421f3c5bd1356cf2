// kubectl neon version [-o json|yaml]
#include <git2.h>
#include <curl/curl.h>

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "plugin/cli.hpp"
#include "plugin/commands.hpp"

#ifndef NEON_VERSION
#define NEON_VERSION "v0.0.0-dev"
#endif

namespace neon::cli {

int cmd_version(Context& ctx, const Args& args) {
  auto opts = make_options(ctx, "version", "Print the version of kubectl-neon and of its libraries.");
  opts.add_options()("o,output", "json or yaml", cxxopts::value<std::string>()->default_value(""));
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  int major = 0;
  int minor = 0;
  int rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  const std::string git = fmt::format("{}.{}.{}", major, minor, rev);
  const std::string curl = curl_version_info(CURLVERSION_NOW)->version;
  const std::string out = (*r)["output"].as<std::string>();
  if (out.empty()) {
    fmt::print(ctx.out, "kubectl-neon {}\n", NEON_VERSION);
  } else if (out == "json") {
    nlohmann::ordered_json j = {{"version", NEON_VERSION}, {"libgit2", git}, {"libcurl", curl}};
    fmt::print(ctx.out, "{}\n", j.dump(2));
  } else if (out == "yaml") {
    fmt::print(ctx.out, "version: {}\nlibgit2: {}\nlibcurl: {}\n", NEON_VERSION, git, curl);
  } else {
    return usage_error(ctx, "version", fmt::format("-o must be json or yaml, got \"{}\"", out));
  }
  return k_exit_ok;
}

}  // namespace neon::cli
