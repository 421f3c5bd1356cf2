// spec.sync: the schedule checked as Kubernetes checks a CronJob's (robfig/cron ParseStandard),
// and the spec-sync CronJob the compute-hook generator adds beside the computes ConfigMap.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "tests/support/replaced.hpp"

namespace {

using Json = nlohmann::ordered_json;
using neon::test::replaced;

std::string starter(const std::string& name, const std::string& sync) {
  const auto text = neon::gen::embedded("schemas/starters/" + name + ".yaml");
  REQUIRE(text);
  return sync.empty() ? std::string(*text) : replaced(std::string(*text), "  gitops:\n", sync + "  gitops:\n");
}

/// The CronJob of the generated tree, or null.
Json cronjob(const std::string& spec_text) {
  auto loaded = neon::gen::load_spec(spec_text, "neon.yaml");
  for (const auto& d : loaded.diagnostics) {
    FAIL_CHECK(d.message);
  }
  REQUIRE(loaded.spec);
  Json found;
  for (const auto& [path, text] : neon::gen::generate_tree(*loaded.spec)) {
    if (path.find("cronjob") != std::string::npos) {
      CHECK(found.is_null());
      // Beside the ConfigMap it mounts, in the hook's folder and stage.
      CHECK(path.substr(path.find("/compute-hook/")) == "/compute-hook/cronjob-spec-sync.yaml");
      auto docs = neon::gen::parse_yaml_stream(text);
      REQUIRE(docs);
      REQUIRE(docs->size() == 1);
      found = docs->front();
    }
  }
  return found;
}

}  // namespace

TEST_SUITE("spec sync") {
  TEST_CASE("cron schedules: what Kubernetes accepts passes, the rest says what is wrong") {
    for (const char* ok :
         {"*/15 * * * *", "0 3 * * *", "0 0 1 1 *", "5,35 8-18 * * MON-FRI", "0 0 ? * sun",
          "0-30/10 */2 1-31 jan-dec 0-6", "59 23 31 12 6", "@hourly", "@daily", "@yearly", "  0 3 * * *  "}) {
      CAPTURE(ok);
      CHECK(neon::gen::cron_problem(ok).empty());
    }
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"", "must not be empty (a cron expression, e.g. \"*/15 * * * *\")"},
        {"*/15 * * *", "has 4 fields, a cron expression has 5 (minute hour day-of-month month day-of-week)"},
        {"0 0 3 * * *", "has 6 fields, a cron expression has 5 (minute hour day-of-month month day-of-week)"},
        {"60 * * * *", "minute: 60 is out of range 0-59"},
        {"* 24 * * *", "hour: 24 is out of range 0-23"},
        {"* * 0 * *", "day of month: 0 is out of range 1-31"},
        {"* * * 13 *", "month: 13 is out of range 1-12"},
        {"* * * * 7", "day of week: 7 is out of range 0-6"},
        {"*/0 * * * *", "minute: step \"0\" is not a positive number"},
        {"30-10 * * * *", "minute: range 30-10 starts after it ends"},
        {"* * * foo *", "month: \"foo\" is not a number or a name (jan-dec)"},
        {"1,,2 * * * *", "minute: an empty value"},
        {"@every 5m",
         "\"@every 5m\" is not a schedule (use five fields, or one of @hourly, @daily, @midnight, "
         "@weekly, @monthly, @yearly, @annually)"},
        {"TZ=UTC 0 3 * * *",
         "a time zone prefix is not allowed (Kubernetes refuses TZ= and CRON_TZ= in a CronJob's schedule)"},
    };
    for (const auto& [schedule, message] : bad) {
      CAPTURE(schedule);
      CHECK(neon::gen::cron_problem(schedule) == message);
    }
  }

  TEST_CASE("no spec.sync, no CronJob; with it, sync without --prune against the hook's computes.json") {
    CHECK(cronjob(starter("dev", "")).is_null());
    const Json dev = cronjob(starter("dev", "  sync:\n    schedule: \"*/15 * * * *\"\n"));
    REQUIRE(dev.is_object());
    CHECK(dev["metadata"]["labels"]["app.kubernetes.io/component"] == "spec-sync");
    const Json& spec = dev["spec"];
    CHECK(spec["schedule"] == "*/15 * * * *");
    CHECK(spec["suspend"] == false);
    CHECK(spec["concurrencyPolicy"] == "Forbid");
    const Json& job = spec["jobTemplate"]["spec"];
    CHECK(job["backoffLimit"] == 1);
    CHECK(job["activeDeadlineSeconds"] == 1800);
    const Json& pod = job["template"]["spec"];
    CHECK(job["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "spec-sync");
    CHECK(pod["restartPolicy"] == "Never");
    CHECK(pod["automountServiceAccountToken"] == false);
    const Json& c = pod["containers"][0];
    CHECK(c["terminationMessagePolicy"] == "FallbackToLogsOnError");
    CHECK(c["securityContext"]["readOnlyRootFilesystem"] == true);
    // Auth off in the dev starter: no key, no token at all.
    CHECK(c["args"] == Json::array({"sync", "--computes-file", "/etc/neon/computes/computes.json",
                                    "--storage-controller", "http://storage-controller.neon.svc.cluster.local:1234",
                                    "--summary-file", "/dev/termination-log"}));
    CHECK(pod["volumes"][0] == Json{{"name", "computes"}, {"configMap", Json{{"name", "compute-hook-computes"}}}});

    // The prod starter: auth and TLS on. The storage signing key to mint tokens from, the
    // controller's CA, the HTTPS port; suspend passed through.
    const Json prod = cronjob(starter("prod", "  sync:\n    schedule: \"0 3 * * *\"\n    suspend: true\n"));
    REQUIRE(prod.is_object());
    CHECK(prod["spec"]["suspend"] == true);
    const Json& pc = prod["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    const std::string args = pc["args"].dump();
    CHECK(args.find("--prune") == std::string::npos);
    CHECK(args.find("\"--signing-key-file\",\"/var/run/secrets/neon/storage-signing/private.pem\"") !=
          std::string::npos);
    CHECK(args.find("\"--ca-file\",\"/etc/neon/tls-ca/ca.crt\"") != std::string::npos);
    CHECK(args.find("https://storage-controller.") != std::string::npos);
    CHECK(args.find("--token") == std::string::npos);
    CHECK(pc.value("env", Json::array()).empty());
    const Json& volumes = prod["spec"]["jobTemplate"]["spec"]["template"]["spec"]["volumes"];
    std::vector<std::string> secrets;
    for (const auto& v : volumes) {
      if (v.contains("secret")) {
        secrets.push_back(v["secret"]["secretName"].get<std::string>());
      }
    }
    // The signing key and the CA's Secret, never the token Secret with its admin token.
    CHECK(secrets.size() == 2);
    CHECK(secrets[0] == "neon-storage-signing-key");
  }
}
