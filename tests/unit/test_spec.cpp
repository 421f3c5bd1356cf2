// The cluster spec end to end through `kubectl neon validate -f FILE`: every valid example and
// starter passes, and every invalid case under tests/golden/specs/invalid prints exactly the
// diagnostics in its golden file. Inputs too big or too odd to commit are generated here.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "generators/spec_parse.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"

namespace fs = std::filesystem;
using neon::test::check_golden;
using neon::test::run_cli;
using neon::test::source_dir;

namespace {

std::vector<fs::path> files_in(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ext) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

/// Runs validate on `path` and renders what the user sees, with `path_prefix` shown as `shown_as`
/// so the golden files do not depend on where the tree or the scratch directory lives.
std::string validate_transcript(const fs::path& path, const std::string& path_prefix, const std::string& shown_as) {
  const auto r = run_cli({"validate", "-f", path.string()});
  std::string err = r.err;
  std::string out = r.out;
  replace_all(err, path_prefix, shown_as);
  replace_all(out, path_prefix, shown_as);
  std::string shown = path.string();
  replace_all(shown, path_prefix, shown_as);
  return fmt::format("$ kubectl neon validate -f {}\n--- exit\n{}\n--- stdout\n{}--- stderr\n{}", shown, r.exit, out,
                     err);
}

std::vector<fs::path> valid_specs() {
  auto files = files_in(source_dir() / "schemas/examples", ".yaml");
  const auto starters = files_in(source_dir() / "schemas/starters", ".yaml");
  files.insert(files.end(), starters.begin(), starters.end());
  return files;
}

}  // namespace

TEST_SUITE("spec") {
  TEST_CASE("every example and starter spec is valid") {
    const auto files = valid_specs();
    REQUIRE(files.size() >= 6);
    for (const auto& f : files) {
      CAPTURE(f);
      const auto r = run_cli({"validate", "-f", f.string()});
      CHECK(r.exit == 0);
      CHECK(r.err.find("error") == std::string::npos);  // warnings (monitoring's CRDs) are allowed
      CHECK(r.out.find(": valid (") != std::string::npos);
      const auto loaded = neon::gen::load_spec(neon::test::read_text(f), f.string());
      CHECK(loaded.spec.has_value());
    }
  }

  TEST_CASE("the examples cover what they promise") {
    const auto text = neon::test::read_text(source_dir() / "schemas/examples/prod-sharded-flux.yaml");
    const auto res = neon::gen::load_spec(text, "prod-sharded-flux.yaml");
    REQUIRE(res.spec);
    const auto& s = res.spec->spec();
    CHECK(s.gitops.target == neon::gen::GitopsTarget::flux);
    CHECK(s.object_storage.credentials == neon::gen::CredentialsMode::workload_identity);
    REQUIRE(s.projects.size() == 2);
    CHECK(s.projects[0].shard_count == 4);
    CHECK(s.projects[1].shard_count == 2);
    std::size_t branches = 0;
    int with_parent = 0;
    int with_lsn = 0;
    int with_time = 0;
    int replicas = 0;
    for (const auto& p : s.projects) {
      branches += p.branches.size();
      for (const auto& b : p.branches) {
        with_parent += !b.parent.empty();
        with_lsn += !b.lsn.empty();
        with_time += !b.timestamp.empty();
        replicas += b.compute.read_replicas;
      }
    }
    CHECK(branches == 10);
    CHECK(with_parent >= 3);
    CHECK(with_lsn >= 1);
    CHECK(with_time >= 1);
    CHECK(replicas >= 1);
    const auto prod = neon::gen::load_spec(neon::test::read_text(source_dir() / "schemas/examples/prod-3-zones.yaml"),
                                           "prod-3-zones.yaml");
    REQUIRE(prod.spec);
    CHECK(prod.spec->spec().storage_controller.auth.enabled);
    CHECK(prod.spec->spec().pageservers.zones.size() == 3);
    CHECK(prod.spec->spec().gitops.target == neon::gen::GitopsTarget::argocd);
  }

  TEST_CASE("invalid specs print exactly their golden diagnostics") {
    const fs::path dir = source_dir() / "tests/golden/specs/invalid";
    const auto cases = files_in(dir, ".yaml");
    REQUIRE(cases.size() >= 45);
    const std::string prefix = source_dir().string() + "/";
    for (const auto& f : cases) {
      CAPTURE(f);
      const std::string transcript = validate_transcript(f, prefix, "");
      CHECK(transcript.find("\n--- exit\n1\n--- stdout\n--- stderr\n") != std::string::npos);
      CHECK(transcript.find(": error: ") != std::string::npos);
      const std::string diff = check_golden("specs/invalid/" + f.stem().string() + ".txt", transcript);
      CHECK_MESSAGE(diff.empty(), diff);
    }
    // Every golden belongs to a case: a renamed case must not leave a stale golden behind.
    for (const auto& g : files_in(dir, ".txt")) {
      CAPTURE(g);
      CHECK(fs::exists(fs::path(g).replace_extension(".yaml")));
    }
  }

  TEST_CASE("bad inputs that are generated rather than committed") {
    neon::test::ScratchDir tmp("spec-generated");
    const std::string prefix = tmp.path().string() + "/";
    struct Case {
      std::string name;
      std::string content;  // empty with is_dir false: the file is not created
      bool is_dir = false;
    };
    std::string deep_flow = "apiVersion: kubectl-neon.io/v1alpha1\nkind: NeonCluster\nmetadata: ";
    deep_flow += std::string(5000, '[') + std::string(5000, ']') + "\n";
    std::string deep_block = "apiVersion: kubectl-neon.io/v1alpha1\nkind: NeonCluster\nspec:\n";
    for (int i = 1; i <= 2000; ++i) {
      deep_block += std::string(static_cast<std::size_t>(2 * i), ' ') + "a:\n";
    }
    std::string huge = "# padding\n";
    while (huge.size() <= neon::gen::k_max_spec_bytes) {
      huge += "# " + std::string(1021, 'x') + "\n";
    }
    std::string binary =
        "apiVersion: kubectl-neon.io/v1alpha1\n\x7f"
        "ELF\x02\x01\x01";
    binary += std::string(64, '\0');
    const std::vector<Case> cases = {
        {"missing-file", ""},
        {"directory", "", true},
        {"binary", binary},
        {"deep-flow-nesting", deep_flow},
        {"deep-block-nesting", deep_block},
        {"over-10-mib", huge},
        {"utf8-bom-and-crlf",
         "\xef\xbb\xbf"
         "apiVersion: kubectl-neon.io/v1alpha1\r\nkind: NeonCluster\r\nmetadata:\r\n"
         "  name: Bad_Name\r\n"},
        {"invalid-utf8", "apiVersion: kubectl-neon.io/v1alpha1\nkind: NeonCluster\nmetadata:\n  name: \xff\xfe\n"},
        {"anchor-bomb",
         "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.name);
      const fs::path p = tmp / (c.name + ".yaml");
      if (c.is_dir) {
        fs::create_directories(p);
      } else if (!c.content.empty()) {
        neon::test::write_text(p, c.content);
      }
      const std::string transcript = validate_transcript(p, prefix, "$TMP/");
      CHECK(transcript.find("\n--- exit\n1\n--- stdout\n--- stderr\n") != std::string::npos);
      const std::string diff = check_golden("specs/generated/" + c.name + ".txt", transcript);
      CHECK_MESSAGE(diff.empty(), diff);
    }
  }

  TEST_CASE("text that is not UTF-8 is rejected by line, without echoing the bytes") {
    const std::string head =
        "apiVersion: kubectl-neon.io/v1alpha1\nkind: NeonCluster\n# ok: \xc3\xbc \xe2\x82\xac "
        "\xf0\x9f\x90\x98\n";
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"\xc0\x80", "0xC0"},          // overlong NUL
        {"\xed\xa0\x80", "0xED"},      // UTF-16 surrogate
        {"\xf4\x90\x80\x80", "0xF4"},  // beyond U+10FFFF
        {"\xe2\x82", "0xE2"},          // truncated at the end of the file
        {"\x80", "0x80"},              // a lone continuation byte
    };
    for (const auto& [bytes, shown] : bad) {
      CAPTURE(shown);
      const auto res = neon::gen::load_spec(head + "metadata:\n  name: x" + bytes, "bad.yaml");
      CHECK_FALSE(res.spec.has_value());
      REQUIRE(res.diagnostics.size() == 1);
      const std::string msg = neon::gen::format_diagnostic(res.diagnostics[0]);
      CHECK(msg.rfind("bad.yaml:5:10: error: invalid UTF-8 (byte " + shown + ")", 0) == 0);
      CHECK(msg.find(bytes) == std::string::npos);
    }
    // Multi-byte characters before the bad byte count as one column each.
    const auto res = neon::gen::load_spec("# \xc3\xbc\xc3\xbc\xff\n", "col.yaml");
    REQUIRE(res.diagnostics.size() == 1);
    CHECK(res.diagnostics[0].mark.line == 1);
    CHECK(res.diagnostics[0].mark.col == 5);
  }

  TEST_CASE("a BOM and CRLF line endings read like plain LF text") {
    const auto text = neon::test::read_text(source_dir() / "schemas/starters/dev.yaml");
    std::string crlf = "\xef\xbb\xbf";
    for (const char c : text) {
      crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    const auto res = neon::gen::load_spec(crlf, "crlf.yaml");
    CHECK(res.diagnostics.empty());
    REQUIRE(res.spec.has_value());
    const auto plain = neon::gen::load_spec(text, "lf.yaml");
    REQUIRE(plain.spec.has_value());
    CHECK((*res.spec)->name == (*plain.spec)->name);
    CHECK((*res.spec)->projects.size() == (*plain.spec)->projects.size());
  }

  TEST_CASE("control characters from the spec are printed escaped") {
    std::string text = neon::test::read_text(source_dir() / "schemas/starters/dev.yaml");
    const auto pos = text.find("\n  name: ");
    REQUIRE(pos != std::string::npos);
    const auto end = text.find('\n', pos + 1);
    text.replace(pos, end - pos, "\n  name: \"dev\\e[31mred\"");
    const auto r = run_cli({"validate", "-f", "-"}, text);
    CHECK(r.exit == 1);
    CHECK(r.err.find('\x1b') == std::string::npos);
    CHECK(r.err.find("dev\\x1b[31mred") != std::string::npos);
  }

  TEST_CASE("validate reads standard input") {
    const auto text = neon::test::read_text(source_dir() / "schemas/starters/dev.yaml");
    auto r = run_cli({"validate", "-f", "-"}, text);
    CHECK(r.exit == 0);
    CHECK(r.out == "-: valid (1 project, 1 pageserver, 3 safekeepers)\n");
    r = run_cli({"validate", "-f", "-"}, "kind: [\n");
    CHECK(r.exit == 1);
    CHECK(r.err.rfind("<stdin>:", 0) == 0);
    r = run_cli({"validate", "-q", "-f", "-"}, text);
    CHECK(r.exit == 0);
    CHECK(r.out.empty());
  }

  TEST_CASE("no crash on any prefix of a valid spec") {
    // Truncated files exercise every half-written construct the parser can meet.
    const auto text = neon::test::read_text(source_dir() / "schemas/examples/prod-sharded-flux.yaml");
    int rejected = 0;
    for (std::size_t n = 0; n < text.size(); n += 37) {
      const auto res = neon::gen::load_spec(std::string_view(text).substr(0, n), "cut.yaml");
      if (!res.spec) {
        ++rejected;
        CHECK(!res.diagnostics.empty());
      }
    }
    CHECK(rejected > 0);
  }
}
