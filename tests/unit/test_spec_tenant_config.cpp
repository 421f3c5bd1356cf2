// spec.projects[].tenantConfig values (issue #10 item 18): each key read with the type Neon gives it
// in TenantConfig (libs/pageserver_api/src/models.rs:655-786), durations as humantime 2.2 parses
// them (src/duration.rs), and the JSON handed to the storage controller. The wrong values and
// their messages are in tests/golden/specs/invalid/tenant-config-values.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "generators/spec_parse.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"

namespace {

std::string dev_spec_with_tenant_config(const std::string& config) {
  std::string text = neon::test::read_text(neon::test::source_dir() / "schemas/starters/dev.yaml");
  const std::string anchor = "      tenantId: 294ca7a45747bee9a5a893416ee7ad81     # fixed here, never derived\n";
  const auto at = text.find(anchor);
  REQUIRE(at != std::string::npos);
  text.insert(at + anchor.size(), "      tenantConfig:\n" + config);
  return text;
}

}  // namespace

TEST_SUITE("spec-tenant-config") {
  TEST_CASE("durations are what humantime 2.2's parse_duration accepts") {
    using neon::gen::humantime_duration_error;
    for (const char* ok : {"7 days", "1h", "1h 30m", "1h30m", "30s", " 5 min ", "10 minutes 30s", "2 weeks", "1M",
                           "100ms", "1 0h", "3 hrs", "1y", "1nanos", "20 secs"}) {
      CAPTURE(ok);
      CHECK(humantime_duration_error(ok).empty());
    }
    const std::map<std::string, std::string> bad = {
        {"7 dayz", "unknown time unit \"dayz\" (use ns, us, ms, s, min, h, days, weeks, months or years)"},
        {"7", "a time unit is needed, for example 7sec or 7ms"},
        {"", "the value is empty"},
        {"   ", "the value is empty"},
        {"h", "a number is expected at character 1"},
        {"10 m s", "a number is expected at character 6"},
        {"1h-", "invalid character at 3"},
        {"1.5h", "invalid character at 2"},
        {"18446744073709551616s", "the number is too large"},
        {"18446744073709551615 years", "the number is too large"},
        {"1 Days", "unknown time unit \"Days\" (use ns, us, ms, s, min, h, days, weeks, months or years)"},
    };
    for (const auto& [text, why] : bad) {
      CAPTURE(text);
      CHECK(humantime_duration_error(text) == why);
    }
  }

  TEST_CASE("good values become the JSON Neon deserializes") {
    const auto res = neon::gen::load_spec(dev_spec_with_tenant_config(R"(        pitr_interval: 7 days
        gc_period: "1h"
        checkpoint_distance: 0268435456
        max_lsn_wal_lag: 18446744073709551615
        image_layer_creation_check_threshold: 255
        lazy_slru_download: false
        compaction_algorithm: {kind: tiered}
        eviction_policy: {kind: LayerAccessThreshold, period: 10m, threshold: 1 day}
        timeline_get_throttle: {task_kinds: [PageRequestHandler], initial: 0, refill_interval: 1s, refill_amount: 100, max: 1000}
        sampling_ratio: {numerator: 1, denominator: 100}
)"),
                                          "s.yaml");
    for (const auto& d : res.diagnostics) {
      FAIL(neon::gen::format_diagnostic(d));
    }
    REQUIRE(res.spec);
    std::map<std::string, std::string> json;
    for (const auto& v : res.spec->spec().projects.at(0).tenant_config) {
      json[v.key] = v.json;
    }
    const std::map<std::string, std::string> want = {
        {"checkpoint_distance", "268435456"},
        {"compaction_algorithm", R"({"kind":"tiered"})"},
        {"eviction_policy", R"({"kind":"LayerAccessThreshold","period":"10m","threshold":"1 day"})"},
        {"gc_period", R"("1h")"},
        {"image_layer_creation_check_threshold", "255"},
        {"lazy_slru_download", "false"},
        {"max_lsn_wal_lag", "18446744073709551615"},
        {"pitr_interval", R"("7 days")"},
        {"sampling_ratio", R"({"denominator":100,"numerator":1})"},
        {"timeline_get_throttle",
         R"({"initial":0,"max":1000,"refill_amount":100,"refill_interval":"1s","task_kinds":["PageRequestHandler"]})"},
    };
    CHECK(json == want);
  }

  TEST_CASE("a value of the wrong type is one error at its own line and column") {
    const auto res = neon::gen::load_spec(dev_spec_with_tenant_config("        pitr_interval: 7 dayz\n"
                                                                      "        gc_period: [1h]\n"
                                                                      "        gc_horizon: \"1024\"\n"),
                                          "s.yaml");
    REQUIRE(res.diagnostics.size() == 3);
    CHECK(neon::gen::format_diagnostic(res.diagnostics[0]) ==
          "s.yaml:49:24: error: spec.projects[0].tenantConfig.pitr_interval: must be a duration such as \"30s\", "
          "\"10m\", \"1h 30m\" or \"7 days\", got \"7 dayz\": unknown time unit \"dayz\" (use ns, us, ms, s, min, "
          "h, days, weeks, months or years)");
    CHECK(neon::gen::format_diagnostic(res.diagnostics[1]) ==
          "s.yaml:50:20: error: spec.projects[0].tenantConfig.gc_period: must be a duration such as \"30s\", "
          "\"10m\", \"1h 30m\" or \"7 days\", got a list");
    CHECK(neon::gen::format_diagnostic(res.diagnostics[2]) ==
          "s.yaml:51:21: error: spec.projects[0].tenantConfig.gc_horizon: must be a size in bytes (a whole number), "
          "got string \"1024\"");
  }
}
