// kubectl neon diff: golden outputs for typical spec changes, and the report's rules.
#include <doctest/doctest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "generators/embedded.hpp"
#include "plugin/gitops/diff_report.hpp"
#include "tests/support/big_spec.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::cli::diff_objects;
using neon::gen::Json;
using neon::test::check_golden;
using neon::test::run_cli;
using neon::test::run_process;
using neon::test::ScratchDir;
using neon::test::write_text;

namespace {

std::string dev_spec() { return std::string(*neon::gen::embedded("schemas/starters/dev.yaml")); }

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, from);
  return text.replace(pos, from.size(), to);
}

std::string with_dev_branch() {
  return replace(dev_spec(), "          compute:\n            size: 0.25\n",
                 "          compute:\n            size: 0.25\n"
                 "        - name: dev\n          timelineId: 5a3c1e0f9b8d47e2a6c4b2d1e0f9a8b7\n          parent: main\n"
                 "          compute:\n            size: 0.25\n");
}

/// A repository whose HEAD holds `base` as clusters/dev/neon.yaml and whose working tree holds `head`.
void make_repo(const fs::path& dir, const std::string& base, const std::string& head) {
  REQUIRE(run_process({"git", "init", "-q", "-b", "main", dir.string()}, {}, neon::test::k_git_env).exit == 0);
  write_text(dir / "clusters/dev/neon.yaml", base);
  REQUIRE(run_process({"git", "add", "."}, dir, neon::test::k_git_env).exit == 0);
  REQUIRE(run_process({"git", "commit", "-q", "-m", "base"}, dir, neon::test::k_git_env).exit == 0);
  write_text(dir / "clusters/dev/neon.yaml", head);
}

void check_case(const std::string& name, const std::string& base, const std::string& head) {
  ScratchDir dir("diff-" + name);
  make_repo(dir.path(), base, head);
  for (const char* format : {"text", "markdown", "json"}) {
    CAPTURE(format);
    auto r = run_cli({"diff", "--repo", dir.path().string(), "-o", format});
    CHECK_MESSAGE(r.exit == 1, r.err);
    const std::string ext = std::string(format) == "markdown" ? "md" : format;
    const auto mismatch = check_golden("diff/" + name + "." + ext, r.out);
    CHECK_MESSAGE(mismatch.empty(), mismatch);
  }
}

Json statefulset(const std::string& name, int replicas, const std::string& storage) {
  return Json{
      {"apiVersion", "apps/v1"},
      {"kind", "StatefulSet"},
      {"metadata", Json{{"name", name}, {"namespace", "neon"}}},
      {"spec",
       Json{{"replicas", replicas},
            {"serviceName", name},
            {"volumeClaimTemplates",
             Json::array({Json{{"metadata", Json{{"name", "data"}}},
                               {"spec", Json{{"resources", Json{{"requests", Json{{"storage", storage}}}}}}}}})}}}};
}

/// The dev spec with `projects: []`.
std::string without_projects() {
  const std::string text = dev_spec();
  const auto from = text.find("  projects:\n");
  const auto to = text.find("  gitops:\n");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  return text.substr(0, from) + "  projects: []\n" + text.substr(to);
}

/// `kubectl-neon diff` through the real binary, one run per output format.
std::map<std::string, neon::test::ProcResult> diff_all_formats(const fs::path& repo) {
  std::map<std::string, neon::test::ProcResult> out;
  for (const char* format : {"text", "markdown", "json"}) {
    out[format] = run_process({NEON_BINARY, "diff", "--repo", repo.string(), "-o", format}, repo);
  }
  return out;
}

/// Whether `finding` is reported as blocking in `format`'s output.
bool blocking_in(const std::string& format, const std::string& out, const std::string& finding) {
  if (format == "json") {
    const auto j = nlohmann::json::parse(out);
    for (const auto& b : j["blocking"]) {
      if (b.get<std::string>().find(finding) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  const std::string marker = format == "text" ? "BLOCKING: " : "**Blocking:** ";
  return out.find(marker + finding) != std::string::npos;
}

}  // namespace

TEST_SUITE("gitops") {
  TEST_CASE("diff: add branch" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    check_case("add-branch", dev_spec(), with_dev_branch());
  }
  TEST_CASE("diff: remove branch" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    check_case("remove-branch", with_dev_branch(), dev_spec());
  }
  TEST_CASE("diff: scale safekeepers" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    check_case("scale-safekeepers", dev_spec(),
               replace(dev_spec(), "  safekeepers:\n    count: 3\n", "  safekeepers:\n    count: 1\n"));
  }
  TEST_CASE("diff: image bump" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    check_case(
        "image-bump", dev_spec(),
        replace(dev_spec(), "storage: docker.io/neondatabase/neon:8463", "storage: docker.io/neondatabase/neon:8470"));
  }

  TEST_CASE("diff: no change exits 0; errors exit 2" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("diff-none");
    make_repo(dir.path(), dev_spec(), dev_spec());
    auto same = run_cli({"diff", "--repo", dir.path().string()});
    CHECK(same.exit == 0);
    CHECK(same.out.find("no changes") != std::string::npos);
    auto bad_ref = run_cli({"diff", "--repo", dir.path().string(), "--base", "no-such-ref"});
    CHECK(bad_ref.exit == 2);
    write_text(dir / "clusters/dev/neon.yaml", "apiVersion: nope\n");
    CHECK(run_cli({"diff", "--repo", dir.path().string()}).exit == 2);
    CHECK(run_cli({"diff", "--repo", dir.path().string(), "-o", "yaml"}).exit == 2);
  }

  TEST_CASE("diff: immutable fields and objects with data leaving the tree are blocking, fewer safekeepers warn") {
    const auto report = diff_objects({statefulset("safekeeper", 3, "5Gi"), statefulset("pageserver", 2, "10Gi")},
                                     {statefulset("safekeeper", 1, "8Gi")});
    REQUIRE(report.changes.size() == 2);
    CHECK(report.changes[0].action == neon::cli::Action::modified);
    CHECK(report.changes[1].action == neon::cli::Action::deleted);
    REQUIRE(report.blocking.size() == 2);
    CHECK(report.blocking[0].find("StatefulSet/neon/safekeeper: immutable field spec/volumeClaimTemplates") !=
          std::string::npos);
    CHECK(report.blocking[1].find("StatefulSet/neon/pageserver leaves the tree: syncs never prune it") !=
          std::string::npos);
    CHECK(report.blocking[1].find("kubectl neon drain") != std::string::npos);
    REQUIRE(report.warnings.size() == 2);
    CHECK(report.warnings[0].find("fewer safekeepers (3 -> 1)") != std::string::npos);
    CHECK(report.warnings[1].find("pageserver StatefulSet StatefulSet/neon/pageserver removed") != std::string::npos);
  }

  TEST_CASE("diff: Secret values are masked, hash-suffixed ConfigMaps are paired") {
    const Json secret_a{{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"metadata", Json{{"name", "s"}, {"namespace", "neon"}}},
                        {"data", Json{{"token", "c2VjcmV0MQ=="}, {"same", "eA=="}}}};
    Json secret_b = secret_a;
    secret_b["data"]["token"] = "c2VjcmV0Mg==";
    const Json cm_a{{"apiVersion", "v1"},
                    {"kind", "ConfigMap"},
                    {"metadata", Json{{"name", "conf-5c2h8mgk9t"}, {"namespace", "neon"}}},
                    {"data", Json{{"a", "1"}}}};
    Json cm_b = cm_a;
    cm_b["metadata"]["name"] = "conf-7f4b9c6d2m";
    cm_b["data"]["a"] = "2";
    const auto report = diff_objects({secret_a, cm_a}, {secret_b, cm_b});
    REQUIRE(report.changes.size() == 2);
    for (const auto& c : report.changes) {
      CHECK(c.action == neon::cli::Action::modified);
      CHECK(c.diff.find("c2VjcmV0") == std::string::npos);
    }
    const auto& secret = report.changes[1].kind == "Secret" ? report.changes[1] : report.changes[0];
    CHECK(secret.diff.find("\n-  token: \"*** (before)\"") != std::string::npos);
    CHECK(secret.diff.find("\n+  token: \"*** (after)\"") != std::string::npos);
    CHECK(secret.diff.find("   same: \"***\"") != std::string::npos);
    const auto& cm = report.changes[1].kind == "ConfigMap" ? report.changes[1] : report.changes[0];
    CHECK(cm.name == "conf-7f4b9c6d2m");
    CHECK(cm.old_name == "conf-5c2h8mgk9t");
  }

  TEST_CASE("diff: markdown stays under the budget and says it was truncated") {
    std::vector<Json> after;
    for (int i = 0; i < 400; ++i) {
      after.push_back(statefulset("set-" + std::to_string(i), 1, "1Gi"));
    }
    const auto report = diff_objects({}, after);
    const auto md = neon::cli::render_markdown(report, {"clusters/dev", "HEAD", "working tree"}, 20000);
    CHECK(md.size() <= 20000);
    CHECK(md.find("**Truncated:**") != std::string::npos);
    CHECK(md.find("set-399") != std::string::npos);  // the summary is kept whole
    const auto full = neon::cli::render_markdown(report, {"clusters/dev", "HEAD", "working tree"}, 10000000);
    CHECK(full.find("**Truncated:**") == std::string::npos);
  }

  TEST_CASE("diff: a changed tenantId or timelineId, or a project or branch gone, is blocking in every format" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    const std::string tenant = "294ca7a45747bee9a5a893416ee7ad81";
    const std::string timeline = "0eb4f5ec83a41a90e2cd41c5d9912de6";
    struct Case {
      std::string name;
      std::string head;
      std::string finding;
    };
    const std::vector<Case> cases = {
        {"tenant", replace(dev_spec(), tenant, "11112222333344445555666677778888"),
         "project app: tenantId changed (" + tenant + " -> 11112222333344445555666677778888)"},
        {"timeline", replace(dev_spec(), timeline, "99990000aaaabbbbccccddddeeeeffff"),
         "branch app/main: timelineId changed (" + timeline + " -> 99990000aaaabbbbccccddddeeeeffff)"},
        {"project", without_projects(), "project app (tenant " + tenant + ") removed from the spec"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.name);
      ScratchDir dir("diff-ids-" + c.name);
      make_repo(dir.path(), dev_spec(), c.head);
      for (const auto& [format, r] : diff_all_formats(dir.path())) {
        CAPTURE(format);
        CHECK_MESSAGE(r.exit == 1, r.err);
        CHECK_MESSAGE(blocking_in(format, r.out, c.finding), r.out);
      }
    }
    // A branch gone, and a renamed project (same tenant) is no loss.
    ScratchDir dir("diff-ids-branch");
    make_repo(dir.path(), with_dev_branch(), dev_spec());
    for (const auto& [format, r] : diff_all_formats(dir.path())) {
      CAPTURE(format);
      CHECK(blocking_in(format, r.out, "branch app/dev (timeline 5a3c1e0f9b8d47e2a6c4b2d1e0f9a8b7) removed"));
    }
    ScratchDir renamed("diff-ids-rename");
    make_repo(renamed.path(), dev_spec(), replace(dev_spec(), "    - name: app\n", "    - name: shop\n"));
    const auto text = run_process({NEON_BINARY, "diff", "--repo", renamed.path().string()}, renamed.path());
    CHECK(text.out.find("BLOCKING") == std::string::npos);
  }

  TEST_CASE("diff: restarts of pageservers and safekeepers, and the controller's rollout change are risky" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    struct Case {
      std::string name;
      std::string head;
      std::vector<std::string> warnings;
      std::string base{};  ///< empty: the dev starter
    };
    const std::string two_pageservers =
        replace(dev_spec(), "  pageservers:\n    count: 1\n", "  pageservers:\n    count: 2\n");
    const std::vector<Case> cases = {
        {"image",
         replace(dev_spec(), "storage: docker.io/neondatabase/neon:8463", "storage: docker.io/neondatabase/neon:8470"),
         {"StatefulSet/neon/pageserver: pod template changed: nothing restarts on sync (updateStrategy OnDelete); "
          "restart its pageservers one at a time: kubectl neon drain ID",
          "StatefulSet/neon/safekeeper: pod template changed: nothing restarts on sync (updateStrategy OnDelete); "
          "delete its pods one at a time"}},
        {"controller-ha",
         replace(dev_spec(), "    auth:\n      enabled: false\n", "    auth:\n      enabled: false\n    ha: true\n"),
         {"Deployment/neon/storage-controller: replicas or update strategy changed (1 x Recreate -> 1 x "
          "RollingUpdate)"}},
        // A shrinking StatefulSet names each node to let go of first, by its node id (zone 1,
        // ordinals 1 and 2: generators/names.hpp node_id).
        {"scale-down",
         replace(dev_spec(), "  safekeepers:\n    count: 3\n", "  safekeepers:\n    count: 1\n"),
         {"StatefulSet/neon/safekeeper scaled down (3 -> 1): the storage controller must let go of the removed "
          "nodes before their pods go; run first:\n  kubectl neon node safekeeper decommission 11   # after moving "
          "its timelines\n  kubectl neon node safekeeper decommission 12"}},
        {"scale-down-pageservers",
         dev_spec(),
         {"StatefulSet/neon/pageserver scaled down (2 -> 1): the storage controller must let go of the removed "
          "nodes before their pods go; run first:\n  kubectl neon node pageserver delete 11 --wait"},
         two_pageservers},
    };
    for (const auto& c : cases) {
      CAPTURE(c.name);
      ScratchDir dir("diff-risk-" + c.name);
      make_repo(dir.path(), c.base.empty() ? dev_spec() : c.base, c.head);
      const auto r = run_process({NEON_BINARY, "diff", "--repo", dir.path().string()}, dir.path());
      CHECK_MESSAGE(r.exit == 1, r.err);
      for (const auto& w : c.warnings) {
        CHECK_MESSAGE(r.out.find("WARNING: " + w) != std::string::npos, r.out);
      }
    }
  }

  TEST_CASE("diff: 200 projects x 5 branches with one changed line fits in 1 GiB of address space" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    // The line diff used to build a table over every pair of lines: the computes ConfigMap alone
    // needed about 27 GiB, and the command died with std::bad_alloc.
    ScratchDir dir("diff-large");
    const std::string base = neon::test::big_spec(200, 5);
    const std::string from = "        - name: b4\n";
    const auto last = base.rfind(from);
    REQUIRE(last != std::string::npos);
    std::string head = base;
    head.replace(last, from.size(), "        - name: c4\n");  // p199/b4 renamed, same timelineId
    make_repo(dir.path(), base, head);
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer reserves terabytes of address space for its shadow memory, so an address-space
    // limit cannot apply: measure the peak resident memory instead (ASan at least doubles it).
    NEON_REQUIRE_TOOL("time");
    const auto rss_file = dir.path() / "maxrss";
    const auto r = run_process(
        {"/usr/bin/time", "-f", "%M", "-o", rss_file.string(), NEON_BINARY, "diff", "--repo", dir.path().string()},
        dir.path());
    CHECK_MESSAGE(r.exit == 1, r.err);
    // time(1) writes "Command exited with non-zero status 1" first: the figure is the last line.
    std::string rss_text = neon::test::read_text(rss_file);
    while (!rss_text.empty() && rss_text.back() == '\n') {
      rss_text.pop_back();
    }
    const long max_rss_kib = std::stol(rss_text.substr(rss_text.rfind('\n') + 1));
    CHECK_MESSAGE(max_rss_kib < 1024L * 1024L, max_rss_kib << " KiB");
#else
    NEON_REQUIRE_TOOL("prlimit");
    const auto r = run_process({"prlimit", "--as=1073741824", "--", NEON_BINARY, "diff", "--repo", dir.path().string()},
                               dir.path());
    CHECK_MESSAGE(r.exit == 1, r.err);
#endif
    CHECK(r.out.find("+          \"branch\": \"c4\",") != std::string::npos);
    CHECK(r.out.find("BLOCKING") == std::string::npos);
  }

  TEST_CASE("diff -f SPEC compares a spec file outside the repository with the committed tree" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("diff-file");
    make_repo(dir.path() / "repo", dev_spec(), dev_spec());
    const std::string scaled = replace(dev_spec(), "  safekeepers:\n    count: 3\n", "  safekeepers:\n    count: 1\n");
    write_text(dir / "edited.yaml", scaled);
    const auto repo = (dir / "repo").string();
    const auto r = run_process({NEON_BINARY, "diff", "--repo", repo, "-f", (dir / "edited.yaml").string()}, dir.path());
    CHECK_MESSAGE(r.exit == 1, r.err);
    CHECK(r.out.rfind("clusters/dev: HEAD -> " + (dir / "edited.yaml").string() + "\n", 0) == 0);
    CHECK(r.out.find("WARNING: fewer safekeepers (3 -> 1)") != std::string::npos);
    // The same spec as committed: no change; from stdin too.
    write_text(dir / "same.yaml", dev_spec());
    CHECK(run_process({NEON_BINARY, "diff", "--repo", repo, "-f", (dir / "same.yaml").string()}, dir.path()).exit == 0);
    CHECK(run_cli({"diff", "--repo", repo, "-f", "-"}, scaled).exit == 1);
    // -f and --head both name the head side; a missing file is an error.
    CHECK(run_cli({"diff", "--repo", repo, "-f", (dir / "same.yaml").string(), "--head", "HEAD"}).exit == 2);
    CHECK(run_cli({"diff", "--repo", repo, "-f", (dir / "missing.yaml").string()}).exit == 2);
  }

  TEST_CASE("diff: unified diff hunks") {
    const auto d = neon::cli::unified_diff("a\nb\nc\nd\n", "a\nB\nc\nd\n", "x", "y", 1);
    CHECK(d == "--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    // Additions to an empty side, deletions to one, and two changes far apart make two hunks.
    CHECK(neon::cli::unified_diff("", "a\nb\n", "/dev/null", "b/x") ==
          "--- /dev/null\n+++ b/x\n@@ -0,0 +1,2 @@\n+a\n+b\n");
    CHECK(neon::cli::unified_diff("a\nb\n", "", "a/x", "/dev/null") ==
          "--- a/x\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n");
    CHECK(neon::cli::unified_diff("a\nb\n", "a\nb\n", "x", "y").empty());
    std::string many;
    for (int i = 0; i < 20; ++i) {
      many += std::to_string(i) + "\n";
    }
    std::string edited = many;
    edited.replace(edited.find("2\n"), 2, "two\n");
    edited.replace(edited.find("17\n"), 3, "seventeen\n");
    CHECK(neon::cli::unified_diff(many, edited, "x", "y", 1) ==
          "--- x\n+++ y\n@@ -2,3 +2,3 @@\n 1\n-2\n+two\n 3\n@@ -17,3 +17,3 @@\n 16\n-17\n+seventeen\n 18\n");
  }

}  // TEST_SUITE
