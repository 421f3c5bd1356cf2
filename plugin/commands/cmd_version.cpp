// kubectl neon version [-o json|yaml]
#include <curl/curl.h>
#include <git2.h>

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "build_info.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"

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

OptionSet version_options(const Context& ctx) {
  auto opts = make_options(ctx, "version", "Print the version of kubectl-neon and of its libraries.");
  add_output(opts, {"json", "yaml"}, "", "json or yaml");
  return opts;
}

int cmd_version(Context& ctx, const Args& args) {
  auto opts = version_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto format = output_of(ctx, opts, *r, exit);
  if (!format) {
    return exit;
  }
  int major = 0;
  int minor = 0;
  int rev = 0;
  git_libgit2_version(&major, &minor, &rev);
  const std::string git = fmt::format("{}.{}.{}", major, minor, rev);
  const std::string curl = curl_version_info(CURLVERSION_NOW)->version;
  const std::string& out = *format;
  // kubectl's clientVersion fields where they apply (gitCommit, buildDate, compiler, platform);
  // target is the release archive's os/arch, static whether the binary needs no shared library.
  const nlohmann::ordered_json j = {{"version", NEON_VERSION},
                                    {"gitCommit", NEON_GIT_COMMIT},
                                    {"buildDate", NEON_BUILD_DATE},
                                    {"compiler", fmt::format("gcc {}", __VERSION__)},
                                    {"platform", platform()},
                                    {"target", platform()},
                                    {"static", k_static},
                                    {"libgit2", git},
                                    {"libcurl", curl}};
  if (out.empty()) {
    fmt::print(ctx.out, "kubectl-neon {}\n", NEON_VERSION);
  } else if (out == "json") {
    fmt::print(ctx.out, "{}\n", j.dump(2));
  } else {
    for (const auto& [k, v] : j.items()) {
      fmt::print(ctx.out, "{}: {}\n", k, v.dump());
    }
  }
  return k_exit_ok;
}

}  // namespace neon::cli
