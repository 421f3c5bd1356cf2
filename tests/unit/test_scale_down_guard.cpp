// generate refuses fewer pageservers or safekeepers while the storage controller still uses the
// nodes whose pods would go (a deleted pageserver is gone, service.rs:7575-7590; a retired
// safekeeper is Decomissioned, SkSchedulingPolicy's spelling); --force overrides.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "generators/validate.hpp"
#include "plugin/commands/scale_down_guard.hpp"
#include "tests/support/fake_storcon.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

using neon::test::FakeStorcon;
using neon::test::replaced;
using neon::test::run_cli;

std::string starter(const std::string& name) {
  return neon::test::read_text(neon::test::source_dir() / "schemas" / "starters" / (name + ".yaml"));
}

neon::gen::ClusterSpec spec_of(const std::string& text) {
  auto loaded = neon::gen::load_spec(text, "neon.yaml");
  REQUIRE(loaded.spec);
  return loaded.spec->spec();
}

std::vector<std::string> ids(const std::vector<neon::cli::RemovedNode>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) {
    out.push_back(n.kind + " " + std::to_string(n.id));
  }
  return out;
}

}  // namespace

TEST_SUITE("scale-down guard") {
  TEST_CASE("removed nodes: the ordinals past each zone's new count, by node id") {
    const std::string dev = starter("dev");
    const auto three = spec_of(dev);
    const auto one = spec_of(replaced(dev, "  safekeepers:\n    count: 3\n", "  safekeepers:\n    count: 1\n"));
    CHECK(ids(neon::cli::removed_nodes(three, one)) == std::vector<std::string>{"safekeeper 11", "safekeeper 12"});
    CHECK(neon::cli::removed_nodes(one, three).empty());  // scale up needs nothing
    CHECK(neon::cli::removed_nodes(three, three).empty());
  }

  TEST_CASE("generate refuses while the controller uses the removed nodes; decommissioned or --force goes through" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    FakeStorcon fake;
    for (std::uint64_t id : {10, 11, 12}) {
      fake.add_safekeeper(id, "default", "Active");
    }
    neon::test::ScratchDir dir("scale-down-guard");
    const std::string dev = starter("dev");
    neon::test::write_text(dir / "neon.yaml", dev);
    const std::string repo = (dir / "repo").string();
    auto generate = [&](std::vector<std::string> extra) {
      std::vector<std::string> args{"generate", "-f", (dir / "neon.yaml").string(), "--repo", repo};
      args.insert(args.end(), extra.begin(), extra.end());
      return run_cli(args);
    };
    REQUIRE(generate({}).exit == 0);
    const auto head = neon::test::run_process({"git", "-C", repo, "rev-parse", "HEAD"}, dir.path());
    REQUIRE(head.exit == 0);

    neon::test::write_text(dir / "neon.yaml",
                           replaced(dev, "  safekeepers:\n    count: 3\n", "  safekeepers:\n    count: 1\n"));
    auto refused = generate({"--storage-controller", fake.url()});
    INFO(refused.err);
    CHECK(refused.exit == 1);
    CHECK(refused.err.find("safekeeper 11 is Active in the controller: move its timelines, then kubectl neon node "
                           "safekeeper decommission 11") != std::string::npos);
    CHECK(refused.err.find("safekeeper 12 is Active") != std::string::npos);
    CHECK(refused.err.find("nothing was written") != std::string::npos);
    CHECK(neon::test::run_process({"git", "-C", repo, "rev-parse", "HEAD"}, dir.path()).out == head.out);
    CHECK(neon::test::run_process({"git", "-C", repo, "status", "--porcelain"}, dir.path()).out.empty());

    // Without a controller to ask: refused too, pointing at the flag and --force.
    auto unknown = generate({"--storage-controller", "http://127.0.0.1:9"});
    CHECK(unknown.exit == 1);
    CHECK(unknown.err.find("safekeeper 11:") != std::string::npos);

    CHECK(run_cli({"node", "safekeeper", "decommission", "11", "--storage-controller", fake.url()}).exit == 0);
    CHECK(generate({"--storage-controller", fake.url()}).exit == 1);  // 12 still Active
    CHECK(run_cli({"node", "safekeeper", "decommission", "12", "--storage-controller", fake.url()}).exit == 0);
    auto done = generate({"--storage-controller", fake.url()});
    INFO(done.err);
    CHECK(done.exit == 0);
    CHECK(neon::test::run_process({"git", "-C", repo, "rev-parse", "HEAD"}, dir.path()).out != head.out);
  }

  TEST_CASE("--force commits the scale-down without asking the controller" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("git");
    neon::test::ScratchDir dir("scale-down-force");
    const std::string dev = starter("dev");
    neon::test::write_text(dir / "neon.yaml", dev);
    const std::string repo = (dir / "repo").string();
    REQUIRE(run_cli({"generate", "-f", (dir / "neon.yaml").string(), "--repo", repo}).exit == 0);
    neon::test::write_text(dir / "neon.yaml",
                           replaced(dev, "  safekeepers:\n    count: 3\n", "  safekeepers:\n    count: 1\n"));
    auto forced = run_cli({"generate", "-f", (dir / "neon.yaml").string(), "--repo", repo, "--force",
                           "--storage-controller", "http://127.0.0.1:9"});
    INFO(forced.err);
    CHECK(forced.exit == 0);
  }
}
