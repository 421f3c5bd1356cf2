// spec.monitoring, spec.compute.allowFrom and spec.networkPolicies through `kubectl neon validate`:
// a bad label, CIDR, except range, port or component is an error at its file:line:col.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "tests/support/replaced.hpp"
#include "tests/support/run.hpp"

namespace {

using neon::test::replaced;

namespace fs = std::filesystem;
using neon::test::read_text;
using neon::test::run_cli;
using neon::test::ScratchDir;
using neon::test::write_text;

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST_SUITE("network policy") {
  TEST_CASE("validate reports bad selectors, CIDRs, ports and components at their position") {
    ScratchDir dir("validate-netpol");
    const std::string prod = read_text(fs::path(NEON_SOURCE_DIR) / "schemas/starters/prod.yaml");
    // The starter's monitoring and networkPolicies blocks, with the additions (line numbers relative
    // to `monitoring:`, counted from the starter so that its other edits move nothing here).
    std::string text = replaced(prod, "  monitoring:\n    enabled: true\n  networkPolicies:\n    enabled: true\n",
                                "  monitoring:\n"                                  // 78
                                "    enabled: true\n"                              // 79
                                "    podSelector:\n"                               // 80
                                "      app.kubernetes.io/name: \"-prom\"\n"        // 81
                                "  networkPolicies:\n"                             // 82
                                "    enabled: true\n"                              // 83
                                "    objectStorageCIDRs: [10.0.0.0/33]\n"          // 84
                                "    egress:\n"                                    // 85
                                "      - components: [computes]\n"                 // 86
                                "        to:\n"                                    // 87
                                "          - ipBlock:\n"                           // 88
                                "              cidr: 10.1.0.0/16\n"                // 89
                                "              except: [10.2.0.0/24]\n"            // 90
                                "          - {}\n"                                 // 91
                                "        ports: [{port: 70000, protocol: tcp}]\n"  // 92
                                "  compute:\n"                                     // 93
                                "    allowFrom:\n"                                 // 94
                                "      - podSelector: {\"bad key!\": x}\n"         // 95
                                "      - ipBlock: {cidr: not-a-cidr}\n"            // 96
                                "        podSelector: {app: x}\n");                // 97
    REQUIRE(text.find("  monitoring:") == prod.find("  monitoring:"));
    const auto base = 1 + std::count(prod.begin(), prod.begin() + static_cast<long>(prod.find("  monitoring:")), '\n');
    const auto at = [&](long line, int col) { return fmt::format("neon.yaml:{}:{}: error: ", base + line - 78, col); };
    write_text(dir / "neon.yaml", text);
    const auto res = run_cli({"validate", "-f", (dir / "neon.yaml").string()});
    CHECK(res.exit == 1);
    const std::string& err = res.err;
    CAPTURE(err);
    CHECK(has(err, at(81, 31) + "spec.monitoring.podSelector.app.kubernetes.io/name: \"-prom\" is not a "
                                "valid label value"));
    CHECK(has(err, at(84, 26) + "spec.networkPolicies.objectStorageCIDRs[0]: \"10.0.0.0/33\" is not a CIDR"));
    CHECK(has(err, at(86, 22) + "spec.networkPolicies.egress[0].components[0]: unknown component "
                                "\"computes\""));
    CHECK(has(err, at(90, 24) + "spec.networkPolicies.egress[0].to[0].ipBlock.except[0]: \"10.2.0.0/24\" "
                                "must lie strictly inside the ipBlock's cidr \"10.1.0.0/16\""));
    CHECK(has(err, at(91, 13) + "spec.networkPolicies.egress[0].to[1]: a peer needs namespaceSelector, "
                                "podSelector or ipBlock"));
    CHECK(has(err, at(92, 24) + "spec.networkPolicies.egress[0].ports[0].port: port 70000 is out of range"));
    CHECK(has(err, at(92, 41) + "spec.networkPolicies.egress[0].ports[0].protocol: protocol must be TCP, UDP or SCTP"));
    CHECK(has(err, at(95, 35) + "spec.compute.allowFrom[0].podSelector.bad key!: \"bad key!\" is not a "
                                "valid label key"));
    CHECK(has(err, at(96, 18) + "spec.compute.allowFrom[1].ipBlock: ipBlock cannot be combined"));
  }
}
