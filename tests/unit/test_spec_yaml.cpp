// The spec reader at the YAML level, through the real binary where it matters: inputs that made
// yaml-cpp 0.7's LoadAll loop forever (issue #11 item 9) answer at once with one clear error,
// YAML syntax errors are reported once at their place and stop there (item 10), and every input
// the spec fuzzer ever failed on (tests/fuzz/regressions/) gets an answer within a time limit.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "generators/layout.hpp"
#include "generators/spec_parse.hpp"
#include "generators/spec_text.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"

namespace fs = std::filesystem;
using neon::test::source_dir;

namespace {

/// `kubectl-neon ARGS...` as a child process, killed after 20 s: a regression to an endless loop
/// fails the test instead of hanging the suite (exit 137).
neon::test::ProcResult run_binary_with_deadline(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"timeout", "-s", "KILL", "20", NEON_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return neon::test::run_process(argv);
}

/// The diagnostics load_spec gives for `text`, formatted.
std::vector<std::string> diagnostics_of(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& d : neon::gen::load_spec(text, "s.yaml").diagnostics) {
    out.push_back(neon::gen::format_diagnostic(d));
  }
  return out;
}

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + what.size())) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_SUITE("spec-yaml") {
  TEST_CASE("inputs that made yaml-cpp 0.7 loop forever get one error at once (issue #11 item 9)") {
    neon::test::ScratchDir tmp("spec-yaml-hang");
    struct Case {
      std::string text;
      std::string error;  // the whole diagnostic after the file name
    };
    const std::vector<Case> cases = {
        {" ,", ":1:2: error: invalid YAML: unexpected \",\""},
        {",\"#,\"", ":1:1: error: invalid YAML: unexpected \",\""},
        {"]", ":1:1: error: invalid YAML: illegal flow end"},
        {"}\n", ":1:1: error: invalid YAML: illegal flow end"},
        {"apiVersion: v1\n...\n,\n", ":3:1: error: invalid YAML: unexpected \",\""},
        {"a: 1\n---\n,\n", ":3:1: error: invalid YAML: unexpected \",\""},
    };
    int i = 0;
    for (const auto& c : cases) {
      CAPTURE(c.text);
      const fs::path f = tmp / ("hang-" + std::to_string(i++) + ".yaml");
      neon::test::write_text(f, c.text);
      for (const char* command : {"validate", "render"}) {
        CAPTURE(command);
        const auto r = run_binary_with_deadline({command, "-f", f.string()});
        REQUIRE_MESSAGE(r.exit == 1, "exit " << r.exit << " (137: killed after 20 s)");
        CHECK(r.out.empty());
        CHECK(r.err.find(f.string() + c.error + "\n") != std::string::npos);
        CHECK(count_of(r.err, "error:") == 1);
      }
    }
  }

  TEST_CASE("an unterminated quoted string is one error at the quote, and nothing after it (issue #11 item 10)") {
    const std::string head = "apiVersion: kubectl-neon.io/v1alpha1\nkind: NeonCluster\nmetadata:\n  name: x\nspec:\n";
    CHECK(diagnostics_of(head + "  objectStorage:\n    bucket: \"neon\n    region: eu\n") ==
          std::vector<std::string>{"s.yaml:7:13: error: invalid YAML: unterminated quoted string"});
    CHECK(diagnostics_of(head + "  objectStorage: {bucket: 'it''s\n") ==
          std::vector<std::string>{"s.yaml:6:27: error: invalid YAML: unterminated quoted string"});
    CHECK(diagnostics_of(head + "  profile: !!str &p \"dev\\\"\n") ==
          std::vector<std::string>{"s.yaml:6:21: error: invalid YAML: unterminated quoted string"});
    // Closed strings with escaped quotes, and quotes inside plain text, are fine.
    for (const std::string ok : {"  profile: \"de\\\"v\"\n", "  profile: 'de''v'\n", "  profile: it's \"x\n"}) {
      CAPTURE(ok);
      const auto d = diagnostics_of(head + ok);
      CHECK(std::none_of(d.begin(), d.end(), [](const std::string& s) { return s.find("invalid YAML") != s.npos; }));
    }
  }

  TEST_CASE("aliases that loop or explode, and strings that are not text, are one error") {
    CHECK(diagnostics_of("a: &a [1, *a]\n") ==
          std::vector<std::string>{
              "s.yaml:1:11: error: invalid YAML: an alias inside the node it refers to makes an endless cycle"});
    std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i <= 6; ++i) {
      bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
      for (int j = 0; j < 10; ++j) {
        bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
      }
      bomb += "]\n";
    }
    const auto d = diagnostics_of(bomb);
    REQUIRE(d.size() == 1);
    CHECK(d[0].rfind("s.yaml:5:", 0) == 0);
    CHECK(d[0].find("error: invalid YAML: aliases add more than 100000 nodes to the document") != std::string::npos);
    for (const auto& [bad, value] :
         std::vector<std::pair<std::string, std::string>>{{"a: \"x\\0y\"\n", std::string("x\0y", 3)},
                                                          {"a: \"\\x01\"\n", "\x01"},
                                                          {"a: \"\\e\"\n", "\x1b"},
                                                          {"a: \"\\x7f\"\n", "\x7f"}}) {
      CAPTURE(bad);
      CHECK(diagnostics_of(bad) ==
            std::vector<std::string>{"s.yaml:1:4: error: this string holds a control character (from an escape such "
                                     "as \\0, \\e or \\x01), which no field of the spec takes: \"" +
                                     value + "\""});
    }
    // An escape that makes a character is fine: \xff is U+00FF.
    const auto ok = diagnostics_of("a: \"\\xff\"\n");
    CHECK(std::none_of(ok.begin(), ok.end(), [](const std::string& s) { return s.find("control") != s.npos; }));
  }

  TEST_CASE("load_yaml_stream reads every document of a good stream") {
    std::vector<YAML::Node> docs;
    std::vector<neon::gen::Diagnostic> diags;
    REQUIRE(neon::gen::load_yaml_stream("a: 1\n---\nb: [2]\n---\n", "s.yaml", docs, diags));
    CHECK(diags.empty());
    REQUIRE(docs.size() == 3);
    CHECK(docs[1]["b"][0].as<int>() == 2);
    CHECK(docs[2].IsNull());
    docs.clear();
    CHECK(neon::gen::load_yaml_stream("", "s.yaml", docs, diags));
    CHECK(docs.empty());
  }

  TEST_CASE("every input the spec fuzzer ever failed on gets an answer in time, and survives generate") {
    const fs::path dir = source_dir() / "tests/fuzz/regressions";
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.is_regular_file()) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 9);
    for (const auto& f : files) {
      CAPTURE(f);
      const auto r = run_binary_with_deadline({"validate", "-f", f.string()});
      REQUIRE_MESSAGE((r.exit == 0 || r.exit == 1), "exit " << r.exit << " (137: killed after 20 s)\n" << r.err);
      if (r.exit == 1) {
        CHECK(r.err.find(": error: ") != std::string::npos);
      }
      // In-process too, so that the sanitizers of the test build see the whole path.
      const auto res = neon::gen::load_spec(neon::test::read_text(f), f.string());
      CHECK(res.spec.has_value() == (r.exit == 0));
      if (res.spec) {
        CHECK(!neon::gen::generate_tree(*res.spec).empty());
        CHECK(!neon::gen::render_stream(*res.spec).empty());
      }
    }
  }
}
