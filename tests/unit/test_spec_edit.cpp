// Editing the spec in place: every line outside the edited item survives byte for byte, the result
// validates, and the CLI regenerates and commits spec and tree in one commit.
#include <regex>

#include <doctest/doctest.h>

#include "generators/embedded.hpp"
#include "generators/spec_edit.hpp"
#include "generators/validate.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::test::ProcResult;
using neon::test::read_text;
using neon::test::run_process;
using neon::test::ScratchDir;
using neon::test::write_text;

namespace {

const char* const k_id_a = "aaaabbbbccccddddeeeeffff00001111";
const char* const k_id_b = "22223333444455556666777788889999";

/// The dev starter with its projects replaced by a block in unusual-but-valid formatting: comments
/// everywhere, an indentless list, odd dash offsets, a flow mapping and blank lines inside items.
std::string odd_spec() {
  std::string text(*neon::gen::embedded("schemas/starters/dev.yaml"));
  const auto from = text.find("  projects:\n");
  const auto to = text.find("  gitops:\n");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::string projects = R"(  projects:   # the tenants
  # a comment at the key's own indentation
  -   name: app          # three spaces after the dash
      pgVersion: 17
      tenantId: 294ca7a45747bee9a5a893416ee7ad81
      tenantConfig: {gc_horizon: 67108864}
      branches:
      - name: main       # indentless list
        timelineId: 0eb4f5ec83a41a90e2cd41c5d9912de6

          # a deep comment after a blank line, still inside main
      - name: dev
        timelineId: 1eb4f5ec83a41a90e2cd41c5d9912de6
        parent: main
      - {name: feature, timelineId: 2eb4f5ec83a41a90e2cd41c5d9912de6, parent: dev}
        # belongs to feature
  # between the projects

  -   name: shop
      tenantId: 394ca7a45747bee9a5a893416ee7ad81
      branches:
        -   name: main
            timelineId: 3eb4f5ec83a41a90e2cd41c5d9912de6
            compute: {size: 0.5}

  # after the last project, at the key's indentation
)";
  return text.substr(0, from) + projects + text.substr(to);
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto nl = s.find('\n', start);
    out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) {
      break;
    }
    start = nl + 1;
  }
  return out;
}

/// `longer` is `shorter` with one contiguous run of lines added: returns that run. Fails the test
/// when any line of `shorter` is missing or changed.
std::vector<std::string> added_run(const std::string& shorter, const std::string& longer) {
  const auto a = lines_of(shorter);
  const auto b = lines_of(longer);
  REQUIRE(b.size() >= a.size());
  std::size_t pre = 0;
  while (pre < a.size() && a[pre] == b[pre]) {
    ++pre;
  }
  std::size_t suf = 0;
  while (suf < a.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  REQUIRE_MESSAGE(pre + suf == a.size(), "a line outside the edited block changed");
  return {b.begin() + static_cast<std::ptrdiff_t>(pre), b.end() - static_cast<std::ptrdiff_t>(suf)};
}

bool validates(const std::string& text) {
  auto r = neon::gen::load_spec(text, "edited.yaml");
  for (const auto& d : r.diagnostics) {
    MESSAGE(neon::gen::format_diagnostic(d));
  }
  return r.spec.has_value();
}

ProcResult neon_cli(const fs::path& cwd, std::vector<std::string> args) {
  args.insert(args.begin(), NEON_BINARY);
  return run_process(args, cwd, neon::test::k_git_env);
}

using neon::test::git;

}  // namespace

TEST_SUITE("spec-edit") {
  TEST_CASE("the odd spec is valid to begin with") { CHECK(validates(odd_spec())); }

  TEST_CASE("project create appends one block in the siblings' style; delete restores the bytes") {
    const std::string before = odd_spec();
    neon::gen::NewProject p;
    p.name = "billing";
    p.pg_version = 17;
    p.shard_count = 4;
    p.stripe_size = 4096;
    p.tenant_id = k_id_a;
    p.main_timeline_id = k_id_b;
    auto after = neon::gen::add_project(before, p);
    REQUIRE_MESSAGE(after, after.error().message);
    CHECK(validates(*after));
    const std::vector<std::string> expected{
        "  -   name: billing", "      pgVersion: 17", "      tenantId: aaaabbbbccccddddeeeeffff00001111",
        "      shards:",       "        count: 4",    "        stripeSize: 4096",
        "      branches:",     "      - name: main",  "        timelineId: \"22223333444455556666777788889999\"",
    };
    CHECK(added_run(before, *after) == expected);
    auto back = neon::gen::remove_project(*after, "billing");
    REQUIRE(back);
    CHECK(*back == before);
    CHECK_FALSE(neon::gen::add_project(*after, p));  // duplicate name
  }

  TEST_CASE("project delete removes exactly the item, its deep comments included") {
    const std::string before = odd_spec();
    auto after = neon::gen::remove_project(before, "app");
    REQUIRE_MESSAGE(after, after.error().message);
    CHECK(validates(*after));
    const auto removed = added_run(*after, before);
    REQUIRE(removed.size() == 14);
    CHECK(removed.front() == "  -   name: app          # three spaces after the dash");
    CHECK(removed.back() == "        # belongs to feature");
    auto unknown = neon::gen::remove_project(before, "shoop");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "no project \"shoop\" (did you mean \"shop\"?)");
  }

  TEST_CASE("the only project: [] is written back, and an empty [] list is expanded") {
    const std::string base = odd_spec();
    auto one = neon::gen::remove_project(base, "app");
    REQUIRE(one);
    auto none = neon::gen::remove_project(*one, "shop");
    REQUIRE(none);
    CHECK(none->find("  projects: []   # the tenants\n") != std::string::npos);
    neon::gen::NewProject p;
    p.name = "app";
    p.tenant_id = k_id_a;
    p.main_timeline_id = k_id_b;
    auto again = neon::gen::add_project(*none, p);
    REQUIRE_MESSAGE(again, again.error().message);
    CHECK(validates(*again));
    CHECK(again->find("  projects:   # the tenants\n    - name: app\n      pgVersion: 17\n") != std::string::npos);
  }

  TEST_CASE("branch create follows the project's list style; delete restores the bytes") {
    const std::string before = odd_spec();
    neon::gen::NewBranch b{"app", "preview", "dev", "0/169AD58", "", k_id_a, {}, {}};
    auto after = neon::gen::add_branch(before, b);
    REQUIRE_MESSAGE(after, after.error().message);
    CHECK(validates(*after));
    const std::vector<std::string> expected{"      - name: preview",
                                            "        timelineId: aaaabbbbccccddddeeeeffff00001111",
                                            "        parent: dev", "        lsn: \"0/169AD58\""};
    CHECK(added_run(before, *after) == expected);
    auto back = neon::gen::remove_branch(*after, "app", "preview");
    REQUIRE_MESSAGE(back, back.error().message);
    CHECK(*back == before);

    neon::gen::NewBranch s{"shop", "qa", "main", "", "2025-01-02T03:04:05Z", k_id_b, {}, {}};
    auto shop = neon::gen::add_branch(before, s);
    REQUIRE(shop);
    CHECK(validates(*shop));
    CHECK(added_run(before, *shop) ==
          std::vector<std::string>{"        -   name: qa",
                                   "            timelineId: \"22223333444455556666777788889999\"",
                                   "            parent: main", "            timestamp: \"2025-01-02T03:04:05Z\""});

    neon::gen::NewBranch dup{"app", "dev", "main", "", "", k_id_a, {}, {}};
    CHECK_FALSE(neon::gen::add_branch(before, dup));
    neon::gen::NewBranch orphan{"app", "x", "mainn", "", "", k_id_a, {}, {}};
    auto o = neon::gen::add_branch(before, orphan);
    REQUIRE_FALSE(o);
    CHECK(o.error().message.find("did you mean \"main\"") != std::string::npos);
  }

  TEST_CASE("branch delete refuses while children name it, and lists them") {
    const std::string before = odd_spec();
    auto r = neon::gen::remove_branch(before, "app", "dev");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("app/feature") != std::string::npos);
    auto main_refused = neon::gen::remove_branch(before, "app", "main");
    REQUIRE_FALSE(main_refused);
    CHECK(main_refused.error().message.find("app/dev") != std::string::npos);
    CHECK_FALSE(neon::gen::remove_branch(before, "shop", "main"));  // the only branch

    auto leaf = neon::gen::remove_branch(before, "app", "feature");
    REQUIRE_MESSAGE(leaf, leaf.error().message);
    CHECK(validates(*leaf));
    CHECK(added_run(*leaf, before) ==
          std::vector<std::string>{"      - {name: feature, timelineId: 2eb4f5ec83a41a90e2cd41c5d9912de6, parent: dev}",
                                   "        # belongs to feature"});
  }

  TEST_CASE("CLI: fresh IDs, invalid names are usage errors, an invalid result changes nothing") {
    ScratchDir dir("spec-edit-cli");
    const std::regex hex32("[0-9a-f]{32}");
    std::vector<std::string> tenant_ids;
    for (const char* sub : {"one", "two"}) {
      const fs::path spec = dir / (std::string(sub) + ".yaml");
      write_text(spec, odd_spec());
      auto r = neon_cli(dir.path(), {"project", "create", "billing", "-f", spec.string(), "--repo",
                                     (dir / sub).string(), "--no-commit"});
      REQUIRE_MESSAGE(r.exit == 0, r.err);
      const auto block = added_run(odd_spec(), read_text(spec));
      REQUIRE(block.size() == 6);
      std::smatch m;
      const std::string tenant = block[2].substr(block[2].find(':') + 2);
      const std::string timeline = block[5].substr(block[5].find(':') + 2);
      const auto unquote = [](std::string s) { return s.front() == '"' ? s.substr(1, s.size() - 2) : s; };
      CHECK(std::regex_match(unquote(tenant), hex32));
      CHECK(std::regex_match(unquote(timeline), hex32));
      CHECK(tenant != timeline);
      tenant_ids.push_back(unquote(tenant));
      CHECK(fs::exists(dir / sub / "clusters/dev/neon.yaml"));
    }
    CHECK(tenant_ids[0] != tenant_ids[1]);

    const fs::path spec = dir / "one.yaml";
    const std::string kept = read_text(spec);
    auto bad = neon_cli(dir.path(), {"project", "create", "Bad_Name", "-f", spec.string(), "--no-commit"});
    CHECK(bad.exit == 2);
    auto dup = neon_cli(dir.path(), {"project", "create", "billing", "-f", spec.string(), "--no-commit"});
    CHECK(dup.exit == 1);
    CHECK(dup.err.find("already exists") != std::string::npos);
    auto pg =
        neon_cli(dir.path(), {"project", "create", "old", "--pg-version", "15", "-f", spec.string(), "--no-commit"});
    CHECK(pg.exit == 1);
    CHECK(pg.err.find("would not be valid") != std::string::npos);
    CHECK(pg.err.find("pgVersion") != std::string::npos);
    auto parent = neon_cli(dir.path(), {"branch", "delete", "app/dev", "-f", spec.string(), "--no-commit"});
    CHECK(parent.exit == 1);
    CHECK(parent.err.find("app/feature") != std::string::npos);
    CHECK(neon_cli(dir.path(), {"branch", "create", "app", "--from", "main", "-f", spec.string()}).exit == 2);
    CHECK(neon_cli(dir.path(), {"project", "frobnicate"}).exit == 2);
    CHECK(read_text(spec) == kept);
  }

  TEST_CASE("CLI: project create makes exactly one commit holding the spec and the new computes" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("spec-edit-git");
    const auto repo = dir / "repo";
    auto gen = neon_cli(dir.path(), {"generate", "--repo", repo.string()});
    REQUIRE_MESSAGE(gen.exit == 0, gen.err);
    const auto head = git(repo, {"rev-parse", "HEAD"}).out;
    const fs::path spec = repo / "clusters/dev/neon.yaml";
    auto r = neon_cli(dir.path(), {"project", "create", "shop", "-f", spec.string(), "--repo", repo.string()});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    CHECK(git(repo, {"rev-list", "--count", head.substr(0, 40) + "..HEAD"}).out == "1\n");
    CHECK(git(repo, {"log", "-1", "--format=%s"}).out.rfind("neon(dev): add project shop (", 0) == 0);
    const auto files = git(repo, {"show", "--name-only", "--format=", "HEAD"}).out;
    CHECK(files.find("clusters/dev/neon.yaml\n") != std::string::npos);
    CHECK(files.find("shop-main") != std::string::npos);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
    CHECK(git(repo, {"fsck", "--strict"}).exit == 0);

    auto b = neon_cli(dir.path(),
                      {"branch", "create", "shop/dev", "--from", "main", "-f", spec.string(), "--repo", repo.string()});
    REQUIRE_MESSAGE(b.exit == 0, b.err);
    CHECK(git(repo, {"log", "-1", "--format=%s"}).out.rfind("neon(dev): add branch shop/dev (", 0) == 0);
    auto d = neon_cli(dir.path(), {"branch", "delete", "shop/dev", "-f", spec.string(), "--repo", repo.string()});
    REQUIRE_MESSAGE(d.exit == 0, d.err);
    CHECK(git(repo, {"show", "--name-only", "--format=", "HEAD"}).out.find("shop-dev") != std::string::npos);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
    CHECK(git(repo, {"fsck", "--strict"}).exit == 0);
  }

  TEST_CASE("CLI: a failed project or branch command leaves the spec byte-identical" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("spec-edit-fail");
    // Not a Git repository (a folder with files in it).
    write_text(dir / "plain/README.md", "not a repository\n");
    write_text(dir / "plain/neon.yaml", odd_spec());
    for (int i = 0; i < 2; ++i) {
      auto r = neon_cli(dir / "plain", {"project", "delete", "shop", "--repo", "."});
      CHECK(r.exit == 1);
      CHECK(r.err.find("neon.yaml is unchanged") != std::string::npos);
      CHECK(read_text(dir / "plain/neon.yaml") == odd_spec());
    }

    // Uncommitted edits to a generated file.
    const auto repo = dir / "repo";
    REQUIRE(neon_cli(dir.path(), {"generate", "--repo", repo.string()}).exit == 0);
    const fs::path spec = repo / "clusters/dev/neon.yaml";
    const std::string before = read_text(spec);
    const auto generated = repo / "clusters/dev/kustomization.yaml";
    write_text(generated, read_text(generated) + "# hand edit\n");
    for (const std::vector<std::string>& args : {std::vector<std::string>{"project", "delete", "app"},
                                                 {"project", "delete", "app"},
                                                 {"project", "create", "shop"},
                                                 {"branch", "create", "app/dev"}}) {
      auto full = args;
      full.insert(full.end(), {"-f", spec.string(), "--repo", repo.string()});
      auto r = neon_cli(dir.path(), full);
      CHECK(r.exit == 1);
      CHECK(r.err.find("uncommitted edits") != std::string::npos);
      CHECK(read_text(spec) == before);
    }
    REQUIRE(git(repo, {"checkout", "--", "clusters/dev/kustomization.yaml"}).exit == 0);

    // A failure after the spec was written (the index is locked when staging): put back.
    write_text(repo / ".git/index.lock", "");
    auto locked = neon_cli(dir.path(), {"project", "create", "shop", "-f", spec.string(), "--repo", repo.string()});
    CHECK(locked.exit == 1);
    CHECK(read_text(spec) == before);
    fs::remove(repo / ".git/index.lock");
    REQUIRE(git(repo, {"checkout", "--", "."}).exit == 0);
    REQUIRE(git(repo, {"clean", "-fdq"}).exit == 0);
    auto ok = neon_cli(dir.path(), {"project", "create", "shop", "-f", spec.string(), "--repo", repo.string()});
    CHECK_MESSAGE(ok.exit == 0, ok.err);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
  }

  TEST_CASE("CLI: branch create without --from branches from the project's root branch") {
    ScratchDir dir("spec-edit-root");
    const fs::path spec = dir / "neon.yaml";
    write_text(spec, odd_spec());
    auto r =
        neon_cli(dir.path(), {"branch", "create", "shop/feature", "--repo", (dir / "repo").string(), "--no-commit"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    const auto block = added_run(odd_spec(), read_text(spec));
    REQUIRE(block.size() == 3);
    CHECK(block[0].find("name: feature") != std::string::npos);
    CHECK(block[2].find("parent: main") != std::string::npos);
    CHECK(validates(read_text(spec)));
  }

  TEST_CASE("CLI: after generate --no-commit, project create commits" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    ScratchDir dir("spec-edit-nocommit");
    const auto repo = dir / "repo";
    REQUIRE(neon_cli(dir.path(), {"generate", "--repo", repo.string()}).exit == 0);
    // The user's spec, outside the repository, and a preview of a bigger cluster left uncommitted.
    const std::string committed = read_text(repo / "clusters/dev/neon.yaml");
    write_text(dir / "neon.yaml", committed);
    std::string bigger = committed;
    bigger.replace(bigger.find("    count: 1\n"), 13, "    count: 2\n");
    write_text(dir / "bigger.yaml", bigger);
    REQUIRE(
        neon_cli(dir.path(), {"generate", "-f", (dir / "bigger.yaml").string(), "--repo", repo.string(), "--no-commit"})
            .exit == 0);
    REQUIRE(!git(repo, {"status", "--porcelain"}).out.empty());
    auto r = neon_cli(dir.path(), {"project", "create", "shop", "--repo", repo.string()});
    CHECK_MESSAGE(r.exit == 0, r.err);
    CHECK(git(repo, {"log", "-1", "--format=%s"}).out.rfind("neon(dev): add project shop (", 0) == 0);
    CHECK(git(repo, {"status", "--porcelain"}).out.empty());
    CHECK(read_text(repo / "clusters/dev/pageserver/statefulset-pageserver.yaml").find("replicas: 1\n") !=
          std::string::npos);
  }

}  // TEST_SUITE
