// One convention for every command, through the built binary: shell completion offers exactly the
// flags each command (and sub-verb) accepts, -o and other enum flags offer exactly the values the
// command takes, file flags complete paths, --wait/--no-wait, integer flags, sub-verb groups and
// the exit codes users see.
#include <doctest/doctest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "plugin/adapters/context.hpp"
#include "tests/support/run.hpp"

namespace {

using Words = std::vector<std::string>;

/// Runs the built kubectl-neon in a scratch folder, with no kubeconfig and a controller URL that
/// refuses connections, so nothing a test runs can reach a real cluster.
class Neon {
public:
  Neon() : m_dir("cli-conventions") {
    m_env = {{"KUBECONFIG", (m_dir / "no-kubeconfig").string()},
             {"NEON_STORAGE_CONTROLLER_URL", "http://127.0.0.1:9"},
             {"NEON_STORAGE_CONTROLLER_TOKEN", ""},
             {"NO_COLOR", "1"}};
  }

  neon::test::ProcResult operator()(const Words& args) const {
    Words argv = {NEON_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return neon::test::run_process(argv, m_dir.path(), m_env);
  }

  /// `__complete` for `args` (the last word is the one being completed): the words and directive.
  std::pair<Words, std::string> complete(Words args) const {
    args.insert(args.begin(), "__complete");
    const auto r = (*this)(args);
    REQUIRE(r.exit == 0);
    Words words;
    std::string directive;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] == ':') {
        directive = line;
      } else {
        words.push_back(line);
      }
    }
    return {words, directive};
  }

private:
  neon::test::ScratchDir m_dir;
  std::map<std::string, std::string> m_env;
};

/// Every command and sub-verb, as the words that name it: from completion's command list and the
/// "Available Commands:" of each group's help.
std::vector<Words> every_command(const Neon& neon) {
  std::vector<Words> out;
  for (const auto& name : neon.complete({""}).first) {
    const auto help = neon({name, "--help"});
    REQUIRE(help.exit == 0);
    const auto at = help.out.find("Available Commands:\n");
    if (at == std::string::npos) {
      out.push_back({name});
      continue;
    }
    std::istringstream in(help.out.substr(at + 20));
    for (std::string line; std::getline(in, line) && !line.empty();) {
      std::istringstream words(line);
      std::string verb;
      words >> verb;
      out.push_back({name, verb});
    }
  }
  return out;
}

/// The flags a --help lists (its own and the global ones), with their placeholders ("" for a switch).
std::map<std::string, std::string> help_flags(const std::string& help) {
  static const std::regex k_line(R"(^(?:  -\w, |      )(--[a-z0-9-]+)(?: ([A-Z_]+))?)");
  std::map<std::string, std::string> out;
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, k_line)) {
      out[m[1]] = m[2];
    }
  }
  return out;
}

Words with(Words base, const Words& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

std::string name_of(const Words& cmd) {
  std::string out;
  for (const auto& w : cmd) {
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

}  // namespace

TEST_SUITE("cli conventions") {
  TEST_CASE("every command and sub-verb completes exactly the flags its --help lists, and each is accepted") {
    const Neon neon;
    const auto commands = every_command(neon);
    REQUIRE(commands.size() >= 20);
    for (const auto& cmd : commands) {
      CAPTURE(name_of(cmd));
      const auto help = neon(with(cmd, {"--help"}));
      REQUIRE(help.exit == 0);
      const auto listed = help_flags(help.out);
      REQUIRE(listed.count("--help") == 1);
      const auto offered = neon.complete(with(cmd, {"--"})).first;
      const std::set<std::string> offered_set(offered.begin(), offered.end());
      for (const auto& [flag, placeholder] : listed) {
        CHECK_MESSAGE(offered_set.count(flag) == 1, name_of(cmd) << ": " << flag << " is in --help, not completed");
      }
      for (const auto& flag : offered) {
        CHECK_MESSAGE(listed.count(flag) == 1, name_of(cmd) << ": " << flag << " is completed, not in --help");
        // Unknown flags are refused before --help is looked at: exit 0 means the command knows it.
        const auto known = neon(with(cmd, {flag, "1", "--help"}));
        CHECK_MESSAGE(known.exit == 0, name_of(cmd) << " refuses the flag it completes: " << flag << "\n" << known.err);
      }
    }
  }

  TEST_CASE("-o and --profile offer exactly the values the command accepts") {
    const Neon neon;
    int with_output = 0;
    for (const auto& cmd : every_command(neon)) {
      CAPTURE(name_of(cmd));
      const auto listed = help_flags(neon(with(cmd, {"--help"})).out);
      if (listed.count("--output") == 0) {
        const auto words = neon.complete(with(cmd, {"-o", ""})).first;  // -o is no flag here
        CHECK(
            std::none_of(words.begin(), words.end(), [](const std::string& w) { return w == "json" || w == "yaml"; }));
        continue;
      }
      ++with_output;
      const auto [formats, directive] = neon.complete(with(cmd, {"-o", ""}));
      CHECK(directive == ":4");
      REQUIRE(!formats.empty());
      CHECK(neon.complete(with(cmd, {"--output", ""})).first == formats);
      Words prefixed;
      for (const auto& f : formats) {
        prefixed.push_back("--output=" + f);
      }
      CHECK(neon.complete(with(cmd, {"--output="})).first == prefixed);
      // One message, naming exactly the formats completion offers.
      const auto bad = neon(with(cmd, {"-o", "bogus"}));
      CHECK(bad.exit == 2);
      const std::string want = fmt::format("error: unknown output format \"bogus\" for {}: use one of {}\n",
                                           name_of(cmd), fmt::join(formats, ", "));
      CHECK_MESSAGE(bad.err.rfind(want, 0) == 0, bad.err);
      for (const auto& format : formats) {
        // Run for real (nothing reachable): whatever else fails, not the format.
        const auto r = neon(with(cmd, {"-o", format}));
        CHECK_MESSAGE(r.err.find("output format") == std::string::npos, format << ": " << r.err);
      }
    }
    CHECK(with_output == 7);  // status, diff, secrets init, version, connection-string, rollout, sync
    CHECK(neon.complete({"status", "-o", ""}).first == Words{"table", "wide", "json", "yaml"});
    CHECK(neon.complete({"diff", "-o", ""}).first == Words{"text", "markdown", "json"});
    CHECK(neon.complete({"version", "-o", "j"}).first == Words{"json"});

    const auto profiles = neon.complete({"init", "--profile", ""});
    CHECK(profiles.first == Words{"dev", "prod"});
    CHECK(profiles.second == ":4");
    const auto bad = neon({"init", "--profile", "prd", "-f", "-"});
    CHECK(bad.exit == 2);
    CHECK(bad.err.find("--profile must be dev or prod, got \"prd\"") != std::string::npos);
    for (const auto& p : profiles.first) {
      CHECK(neon({"init", "--profile", p, "-f", "-"}).exit == 0);
    }
  }

  TEST_CASE("file and folder flags complete paths; other values complete nothing") {
    const Neon neon;
    int files = 0;
    int dirs = 0;
    for (const auto& cmd : every_command(neon)) {
      CAPTURE(name_of(cmd));
      for (const auto& [flag, placeholder] : help_flags(neon(with(cmd, {"--help"})).out)) {
        if (placeholder.empty()) {
          continue;
        }
        CAPTURE(flag);
        const auto [words, directive] = neon.complete(with(cmd, {flag, ""}));
        if (placeholder == "FILE" || flag == "--kubeconfig") {
          ++files;
          CHECK(directive == ":0");  // cobra's default: the shell completes file names
          CHECK(words.empty());
        } else if (placeholder == "DIR") {
          ++dirs;
          CHECK(directive == ":16");  // cobra's FilterDirs
        } else {
          CHECK(directive == ":4");
        }
      }
    }
    CHECK(files > 20);
    CHECK(dirs >= 6);
    // The flags named in issue 12, and the token files of every kind.
    CHECK(neon.complete({"generate", "--git-token-file", ""}).second == ":0");
    CHECK(neon.complete({"secrets", "init", "--git-ssh-key", ""}).second == ":0");
    CHECK(neon.complete({"generate", "--repo", ""}).second == ":16");
    CHECK(neon.complete({"attach", "x", "-f", ""}).second == ":0");
  }

  TEST_CASE("attach, drain and fill wait by default; --no-wait returns at once; both is a usage error") {
    const Neon neon;
    for (const std::string cmd : {"attach", "drain", "fill"}) {
      CAPTURE(cmd);
      const auto listed = help_flags(neon({cmd, "--help"}).out);
      CHECK(listed.count("--wait") == 1);
      CHECK(listed.count("--no-wait") == 1);
      CHECK(neon({cmd, "--help"}).out.find("(the default)") != std::string::npos);
      const auto both = neon({cmd, "11", "--wait", "--no-wait"});
      CHECK(both.exit == 2);
      CHECK(both.err.rfind("error: --wait and --no-wait cannot be used together\n", 0) == 0);
    }
  }

  TEST_CASE("integer flags are parsed as integers, with a usage error for words and out-of-range values") {
    const Neon neon;
    const std::vector<std::pair<Words, std::string>> cases = {
        {{"attach", "app", "--shard", "abc"}, "--shard must be a whole number from 0 to 255, not \"abc\""},
        {{"attach", "app", "--shard", "-1"}, "--shard must be a whole number from 0 to 255, not \"-1\""},
        {{"attach", "app", "--secondaries", "-1"}, "--secondaries must be a whole number of at least 0, not \"-1\""},
        {{"attach", "app", "--node", "1x"}, "--node must be a whole number of at least 0, not \"1x\""},
        {{"project", "create", "app", "--shards", "abc"}, "--shards must be a whole number from 1 to"},
        {{"project", "create", "app", "--pg-version", "0"}, "--pg-version must be a whole number from 1 to"},
        {{"drain", "eleven"}, "NODE (a pageserver id) must be a whole number of at least 0, not \"eleven\""},
        {{"fill", "-1"}, ""},  // a negative node id reads as a flag: refused all the same
        {{"bootstrap", "pageserver", "--zone-number", "two", "--workdir", "w", "--config", "c"},
         "--zone-number must be a whole number from 1 to"},
    };
    for (const auto& [args, message] : cases) {
      CAPTURE(name_of(args));
      const auto r = neon(args);
      CHECK(r.exit == 2);
      CHECK(r.err.rfind("error: " + message, 0) == 0);
    }
  }

  TEST_CASE("command groups share one sub-verb table: help, did-you-mean, completion") {
    const Neon neon;
    const std::vector<std::pair<std::string, Words>> groups = {{"project", {"create", "delete"}},
                                                               {"branch", {"create", "delete"}},
                                                               {"secrets", {"init", "rotate"}},
                                                               {"node", {"pageserver", "safekeeper"}},
                                                               {"hook", {"serve"}},
                                                               {"bootstrap", {"pageserver", "safekeeper", "compute"}}};
    for (const auto& [group, verbs] : groups) {
      CAPTURE(group);
      const auto bare = neon({group});
      CHECK(bare.exit == 2);
      CHECK(bare.err.find("Available Commands:") != std::string::npos);
      const auto help = neon({group, "--help"});
      CHECK(help.exit == 0);
      CHECK(help.out.find("Available Commands:") != std::string::npos);
      const std::string typo = verbs.front().substr(0, verbs.front().size() - 1) + "x";
      const auto bad = neon({group, typo});
      CHECK(bad.exit == 2);
      CHECK(bad.err.rfind(fmt::format("error: unknown subcommand \"{}\" (did you mean \"{}\"?)\n", typo, verbs.front()),
                          0) == 0);
      auto offered = neon.complete({group, ""}).first;
      offered.erase(std::remove(offered.begin(), offered.end(), "--help"), offered.end());
      CHECK(offered == verbs);
    }
  }

  TEST_CASE("one exit-code enum keeps the numbers users see") {
    using namespace neon::cli;
    static_assert(k_exit_ok == 0 && k_exit_failure == 1 && k_exit_usage == 2 && k_exit_unreachable == 3);
    static_assert(k_exit_diff_changes == 1 && k_exit_diff_error == 2);
    const Neon neon;
    CHECK(neon({"status"}).exit == k_exit_unreachable);  // nothing listens on 127.0.0.1:9
    CHECK(neon({"diff", "--repo", "/nonexistent"}).exit == k_exit_diff_error);
    CHECK(neon({"version"}).exit == k_exit_ok);
  }
}
