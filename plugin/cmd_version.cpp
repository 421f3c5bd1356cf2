// kubectl neon version [-o json|yaml]
#include <git2.h>
#include <curl/curl.h>

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "plugin/cli.hpp"
#include "plugin/commands.hpp"

#ifndef NEON_VERSION
#define NEON_VERSION "v0.0.0-dev"
#endif

namespace neon::cli {
namespace {

/// `linux/amd64`, as kubectl prints its platform.
constexpr const char* platform() {
#if defined(__x86_64__)
  return "linux/amd64";
#elif defined(__aarch64__)
  return "linux/arm64";
#else
  return "linux/unknown";
#endif
}

#ifdef NEON_STATIC_BUILD
constexpr bool k_static = true;  // NEON_STATIC=ON (.ci/static.cmake)
#else
constexpr bool k_static = false;
#endif

}  // namespace

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
  // kubectl's clientVersion fields where they apply (gitCommit, buildDate, compiler, platform);
  // target is the release archive's os/arch, static whether the binary needs no shared library.
  const nlohmann::ordered_json j = {{"version", NEON_VERSION},   {"gitCommit", NEON_GIT_COMMIT},
                                    {"buildDate", NEON_BUILD_DATE}, {"compiler", fmt::format("gcc {}", __VERSION__)},
                                    {"platform", platform()},      {"target", platform()},
                                    {"static", k_static},          {"libgit2", git},
                                    {"libcurl", curl}};
  if (out.empty()) {
    fmt::print(ctx.out, "kubectl-neon {}\n", NEON_VERSION);
  } else if (out == "json") {
    fmt::print(ctx.out, "{}\n", j.dump(2));
  } else if (out == "yaml") {
    for (const auto& [k, v] : j.items()) {
      fmt::print(ctx.out, "{}: {}\n", k, v.dump());
    }
  } else {
    return usage_error(ctx, "version", fmt::format("-o must be json or yaml, got \"{}\"", out));
  }
  return k_exit_ok;
}

}  // namespace neon::cli
