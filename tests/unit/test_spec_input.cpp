// Which spec a command reads (plugin/gitops/spec_input.hpp), through the real binary: -f names it;
// without -f, ./neon.yaml; only the commands that write files fall back to the built-in dev spec,
// and say so; a command that talks to a cluster or a controller never does.
#include <doctest/doctest.h>

#include "generators/embedded.hpp"
#include "tests/support/run.hpp"

namespace fs = std::filesystem;
using neon::test::ProcResult;
using neon::test::run_process;
using neon::test::ScratchDir;
using neon::test::write_text;

namespace {

ProcResult neon_in(const fs::path& cwd, std::vector<std::string> args) {
  args.insert(args.begin(), NEON_BINARY);
  // An unreachable controller: nothing may get as far as calling it.
  return run_process(args, cwd,
                     {{"NEON_STORAGE_CONTROLLER_URL", "http://127.0.0.1:9"}, {"KUBECONFIG", "/nonexistent"}});
}

/// The dev starter with its only project renamed to `shop` (another tenant than the built-in one).
std::string own_spec() {
  std::string text(*neon::gen::embedded("schemas/starters/dev.yaml"));
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"    - name: app\n", "    - name: shop\n"},
                                 {"294ca7a45747bee9a5a893416ee7ad81", "5555aaaa6666bbbb7777cccc8888dddd"}}) {
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), to);
  }
  return text;
}

}  // namespace

TEST_SUITE("spec-input") {
  TEST_CASE("spec input: without -f and ./neon.yaml only validate, render and generate use the built-in spec") {
    ScratchDir dir("spec-input-none");
    for (const std::vector<std::string>& args : {std::vector<std::string>{"validate"}, {"render"}}) {
      CAPTURE(args.front());
      const auto r = neon_in(dir.path(), args);
      CHECK_MESSAGE(r.exit == 0, r.err);
      CHECK(r.err.find("using the built-in dev example spec") != std::string::npos);
    }
    const auto gen = neon_in(dir.path(), {"generate", "--repo", (dir / "repo").string(), "--no-commit"});
    CHECK_MESSAGE(gen.exit == 0, gen.err);
    CHECK(gen.err.find("built-in dev example spec") != std::string::npos);
    // The next steps name a spec the cluster commands can read: the copy in the repository.
    CHECK(gen.out.find("secrets init -f " + (dir / "repo/clusters/dev/neon.yaml").string()) != std::string::npos);

    // attach would otherwise create the built-in spec's fixed tenant on a live controller.
    for (const std::vector<std::string>& args : {std::vector<std::string>{"attach", "app", "--node", "1"},
                                                 {"detach", "app", "--yes"},
                                                 {"secrets", "init", "--dry-run"}}) {
      CAPTURE(args.front());
      const auto r = neon_in(dir.path(), args);
      CHECK(r.exit == 1);
      CHECK_MESSAGE(r.err.find("no cluster spec: pass -f FILE") != std::string::npos, r.err);
      CHECK(r.err.find("never uses the built-in example spec") != std::string::npos);
    }
  }

  TEST_CASE("spec input: ./neon.yaml is read when -f is not given, and -f wins over it") {
    ScratchDir dir("spec-input-local");
    write_text(dir / "neon.yaml", own_spec());
    const auto v = neon_in(dir.path(), {"validate"});
    CHECK_MESSAGE(v.exit == 0, v.err);
    CHECK(v.out.rfind("neon.yaml: valid", 0) == 0);
    CHECK(v.err.find("built-in") == std::string::npos);
    const auto rendered = neon_in(dir.path(), {"render"});
    CHECK(rendered.out.find("shop-main") != std::string::npos);
    CHECK(rendered.out.find("app-main") == std::string::npos);

    // The cluster commands read it too: `app` is the built-in spec's project, not this one's.
    const auto attach = neon_in(dir.path(), {"attach", "app", "--node", "1"});
    CHECK(attach.exit == 1);
    CHECK_MESSAGE(attach.err.find("no project \"app\"") != std::string::npos, attach.err);
    CHECK(attach.err.find("shop") != std::string::npos);

    write_text(dir / "other.yaml", std::string(*neon::gen::embedded("schemas/starters/dev.yaml")));
    const auto named = neon_in(dir.path(), {"validate", "-f", "other.yaml"});
    CHECK(named.out.rfind("other.yaml: valid", 0) == 0);
  }

}  // TEST_SUITE
