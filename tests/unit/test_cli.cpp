// The command line as users meet it: help texts, usage errors and exit codes (golden transcripts
// under tests/golden/cli), init, schema, global flags and colour.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "generators/validate.hpp"
#include "plugin/commands/cli.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::test::check_golden;
using neon::test::run_cli;
using neon::test::source_dir;

namespace {

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    out += " " + (a.empty() || a.find(' ') != std::string::npos ? "'" + a + "'" : a);
  }
  return out;
}

std::string transcript(const std::vector<std::string>& args, const neon::test::CliResult& r) {
  return fmt::format("$ kubectl neon{}\n--- exit\n{}\n--- stdout\n{}--- stderr\n{}", joined(args), r.exit, r.out,
                     r.err);
}

void golden_run(const std::string& name, const std::vector<std::string>& args, int want_exit) {
  CAPTURE(name);
  const auto r = run_cli(args);
  CHECK(r.exit == want_exit);
  const std::string diff = check_golden("cli/" + name + ".txt", transcript(args, r));
  CHECK_MESSAGE(diff.empty(), diff);
}

std::set<std::string> hex_ids(const std::string& text) {
  static const std::regex k_id("\\b[0-9a-f]{32}\\b");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), k_id); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

}  // namespace

TEST_SUITE("cli") {
  TEST_CASE("help, usage errors and version") {
    golden_run("help", {"--help"}, 0);
    golden_run("help-word", {"help"}, 0);
    golden_run("no-arguments", {}, 2);
    golden_run("unknown-command", {"valdate"}, 2);
    golden_run("unknown-command-far", {"frobnicate"}, 2);
    golden_run("unknown-flag", {"validate", "--bogus"}, 2);
    golden_run("unknown-flag-suggestion", {"validate", "--quite"}, 2);
    golden_run("unknown-shorthand-flag", {"validate", "-qx"}, 2);
    golden_run("flag-without-argument", {"validate", "--file"}, 2);
    golden_run("shorthand-without-argument", {"validate", "-f"}, 2);
    golden_run("unexpected-argument", {"validate", "extra"}, 2);
    golden_run("global-flag-without-value", {"validate", "--context"}, 2);
    golden_run("version", {"version"}, 0);
    golden_run("version-flag", {"--version"}, 0);
    golden_run("version-bad-output", {"version", "-o", "xml"}, 2);
    golden_run("init-bad-profile", {"init", "--profile", "prd", "-f", "-"}, 2);
    golden_run("init-bad-name", {"init", "--name", "Bad_Name", "-f", "-"}, 2);
    golden_run("help-validate-via-help", {"help", "validate"}, 0);
  }

  TEST_CASE("every command has --help") {
    for (const auto& c : neon::cli::commands()) {
      if (c.hidden) {
        continue;
      }
      CAPTURE(c.name);
      const auto r = run_cli({c.name, "--help"});
      const std::string diff = check_golden(fmt::format("cli/help-{}.txt", c.name), transcript({c.name, "--help"}, r));
      CHECK_MESSAGE(diff.empty(), diff);
    }
  }

  TEST_CASE("help texts and usage errors read cleanly for every command") {
    for (const auto& c : neon::cli::commands()) {
      if (c.hidden) {
        continue;
      }
      const std::string name = c.name;
      CAPTURE(name);
      const auto help = run_cli({c.name, "--help"});
      CHECK(help.exit == 0);
      CHECK(help.out.find("(default: \"\")") == std::string::npos);
      CHECK(help.out.find("--args") == std::string::npos);
      if (help.out.find("\nUsage:\n") != std::string::npos) {
        // Commands without sub-verbs share one layout.
        CHECK(help.out.find("\n\nUsage:\n") != std::string::npos);
        CHECK(help.out.find("--kubeconfig PATH") != std::string::npos);
      }
      // A flag no command has: a kubectl-style usage error, with plain quotes only.
      const auto bad = run_cli({c.name, "--no-such-flag"});
      CHECK(bad.exit == 2);
      CHECK(bad.err.rfind("error: ", 0) == 0);
      CHECK(bad.err.find("\xe2\x80") == std::string::npos);
    }
    // Values that look like flags are values; the collector of positionals is not a flag.
    CHECK(run_cli({"init", "--name", "-x", "-f", "-"}).err.find("unknown") == std::string::npos);
    const auto r = run_cli({"validate", "--args", "x"});
    CHECK(r.exit == 2);
    CHECK(r.err.rfind("error: unknown flag: --args", 0) == 0);
  }

  TEST_CASE("every command's --help has an Examples section (kubectl's convention)") {
    const std::map<std::string, std::vector<std::string>> verbs = {
        {"project", {"create", "delete"}},
        {"branch", {"create", "delete"}},
        {"secrets", {"init", "rotate"}},
        {"node", {"pageserver", "safekeeper"}},
        {"hook", {"serve"}},
        {"bootstrap", {"pageserver", "safekeeper", "compute"}}};
    for (const auto& c : neon::cli::commands()) {
      if (c.hidden) {
        continue;
      }
      std::vector<std::vector<std::string>> runs;
      if (auto it = verbs.find(c.name); it != verbs.end()) {
        for (const auto& v : it->second) {
          runs.push_back({c.name, v, "--help"});
        }
      } else {
        runs.push_back({c.name, "--help"});
      }
      for (const auto& args : runs) {
        CAPTURE(args[0] + (args.size() == 3 ? " " + args[1] : ""));
        const auto r = run_cli(args);
        CHECK(r.exit == 0);
        const auto at = r.out.find("\nExamples:\n  ");
        CHECK(at != std::string::npos);
        CHECK(r.out.find("{prog}") == std::string::npos);
      }
    }
  }

  TEST_CASE("command groups list their sub-verbs under Available Commands") {
    const std::map<std::string, std::vector<std::string>> groups = {
        {"project", {"create", "delete"}},
        {"branch", {"create", "delete"}},
        {"hook", {"serve"}},
        {"bootstrap", {"pageserver", "safekeeper", "compute"}},
        {"secrets", {"init", "rotate"}},
        {"node", {"pageserver", "safekeeper"}}};
    for (const auto& [group, verbs] : groups) {
      CAPTURE(group);
      const auto r = run_cli({group, "--help"});
      CHECK(r.exit == 0);
      for (const auto& v : verbs) {
        CHECK(r.out.find("\n  " + v + " ") != std::string::npos);
      }
    }
    const auto bare = run_cli({"project"});
    CHECK(bare.exit == 2);
    CHECK(bare.err.find("Available Commands:") != std::string::npos);
  }

  TEST_CASE("version -o json is JSON") {
    const auto r = run_cli({"version", "-o", "json"});
    REQUIRE(r.exit == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["version"].get<std::string>().rfind("v", 0) == 0);
    CHECK(j.contains("libgit2"));
    CHECK(j.contains("libcurl"));
    // As kubectl's clientVersion: the commit the binary was built from (checked against git in the
    // next test), its date, the platform.
    const std::string commit = j["gitCommit"].get<std::string>();
    CHECK((commit == "unknown" || commit.size() == 40));
    if (commit != "unknown") {
      CHECK(j["buildDate"].get<std::string>().size() == 20);  // 2026-12-05T01:02:03Z
    }
    CHECK(j["platform"] == "linux/amd64");
    CHECK(j["compiler"].get<std::string>().rfind("gcc ", 0) == 0);
    // The release archive's os/arch, and whether it is the static release build (this one is not;
    // tests/release/chroot.sh checks a static one says true).
    CHECK(j["target"] == "linux/amd64");
    CHECK(j["static"] == false);
    const auto y = run_cli({"version", "-o", "yaml"});
    REQUIRE(y.exit == 0);
    CHECK(y.out.find("gitCommit: \"" + j["gitCommit"].get<std::string>() + "\"\n") != std::string::npos);
    CHECK(y.out.find("target: \"linux/amd64\"\nstatic: false\n") != std::string::npos);
  }

  TEST_CASE("version: gitCommit is the source tree's HEAD, or unknown outside a repository" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    const auto j = nlohmann::json::parse(run_cli({"version", "-o", "json"}).out);
    const auto head = neon::test::run_process({"git", "-C", neon::test::source_dir().string(), "rev-parse", "HEAD"});
    if (head.exit == 0) {
      CHECK(j["gitCommit"] == head.out.substr(0, 40));
    } else {
      CHECK(j["gitCommit"] == "unknown");
    }
  }

  TEST_CASE("schema prints the embedded JSON Schema") {
    const auto r = run_cli({"schema"});
    REQUIRE(r.exit == 0);
    CHECK(r.err.empty());
    const auto printed = nlohmann::json::parse(r.out);
    const auto source = nlohmann::json::parse(neon::test::read_text(source_dir() / "schemas/neon-cluster.schema.json"));
    CHECK(printed == source);
    CHECK(printed["properties"]["apiVersion"]["const"] == neon::gen::k_spec_api_version);
  }

  TEST_CASE("init writes a starter with fresh IDs and never overwrites") {
    neon::test::ScratchDir tmp("cli-init");
    const std::string file = (tmp / "neon.yaml").string();
    const std::string starter = neon::test::read_text(source_dir() / "schemas/starters/dev.yaml");

    auto r = run_cli({"init", "-f", file});
    REQUIRE(r.exit == 0);
    CHECK(r.out.empty());
    CHECK(r.err.find("wrote " + file + " (dev profile)") != std::string::npos);
    const std::string first = neon::test::read_text(file);
    const auto ids = hex_ids(first);
    CHECK(ids.size() == hex_ids(starter).size());
    for (const auto& id : hex_ids(starter)) {
      CHECK(ids.count(id) == 0);
    }
    CHECK(run_cli({"validate", "-f", file}).exit == 0);

    // A second init refuses, and leaves the file as it was.
    r = run_cli({"init", "-f", file});
    CHECK(r.exit == 1);
    CHECK(r.err.rfind("error: ", 0) == 0);
    CHECK(neon::test::read_text(file) == first);

    // -f - prints to stdout, again with IDs of its own.
    r = run_cli({"init", "--profile", "prod", "--name", "eu-west", "-f", "-"});
    REQUIRE(r.exit == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("\n  name: eu-west\n") != std::string::npos);
    for (const auto& id : hex_ids(r.out)) {
      CHECK(ids.count(id) == 0);
    }
    const auto loaded = neon::gen::load_spec(r.out, "<init>");
    CHECK(loaded.spec.has_value());
  }

  TEST_CASE("global flags are accepted anywhere") {
    const std::string spec = (source_dir() / "schemas/starters/dev.yaml").string();
    const std::vector<std::vector<std::string>> forms = {
        {"--no-color", "validate", "-f", spec},
        {"validate", "-n", "other", "-f", spec, "--kubeconfig", "/nonexistent/config"},
        {"--context=kind-kind", "validate", "--namespace=x", "-f", spec, "--no-color"},
        {"-nfoo", "validate", "-f", spec},
    };
    for (const auto& args : forms) {
      CAPTURE(joined(args));
      const auto r = run_cli(args);
      CHECK(r.exit == 0);
      CHECK(r.err.empty());
      CHECK(r.out.find("valid") != std::string::npos);
    }
    neon::cli::GlobalFlags flags;
    std::vector<std::string> args = {"status", "--context",       "c1", "-o",       "json",
                                     "-n=ns",  "--kubeconfig=/k", "--", "--context"};
    REQUIRE_FALSE(neon::cli::extract_global_flags(args, flags).has_value());
    CHECK(flags.context == "c1");
    CHECK(flags.namespace_ == "ns");
    CHECK(flags.kubeconfig == "/k");
    CHECK(args == std::vector<std::string>{"status", "-o", "json", "--", "--context"});
  }

  TEST_CASE("colour only on a terminal, never with NO_COLOR or --no-color") {
    const std::string bad = (source_dir() / "tests/golden/specs/invalid/bad-tenant-id.yaml").string();
    auto run_tty = [&](std::vector<std::string> args, const std::map<std::string, std::string>& env) {
      std::istringstream in;
      std::ostringstream out;
      std::ostringstream err;
      neon::cli::Context ctx{out, err, in};
      ctx.err_is_tty = true;
      ctx.env = env;
      ctx.prog = "kubectl neon";
      const int code = neon::cli::run(ctx, std::move(args));
      CHECK(code == 1);
      return err.str();
    };
    const std::string esc = "\033[";
    CHECK(run_tty({"validate", "-f", bad}, {{"TERM", "xterm"}}).find(esc) != std::string::npos);
    CHECK(run_tty({"validate", "-f", bad}, {{"TERM", "xterm"}, {"NO_COLOR", ""}}).find(esc) == std::string::npos);
    CHECK(run_tty({"validate", "-f", bad}, {{"TERM", "xterm"}, {"NO_COLOR", "1"}}).find(esc) == std::string::npos);
    CHECK(run_tty({"--no-color", "validate", "-f", bad}, {{"TERM", "xterm"}}).find(esc) == std::string::npos);
    CHECK(run_tty({"validate", "-f", bad, "--no-color"}, {{"TERM", "xterm"}}).find(esc) == std::string::npos);
    CHECK(run_tty({"validate", "-f", bad}, {{"TERM", "dumb"}}).find(esc) == std::string::npos);
    // Not a terminal (the in-process runner): never colour.
    CHECK(run_cli({"validate", "-f", bad}, "", {{"TERM", "xterm"}}).err.find(esc) == std::string::npos);
  }
}
