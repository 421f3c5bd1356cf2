#include "tests/support/tools.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "tests/support/run.hpp"

namespace neon::test {

namespace {

/// What the run has seen: the test case now running and its suite (set by the listener below),
/// and the skips.
struct SkipBook {
  std::mutex mutex;
  std::string current;
  std::string suite;
  std::vector<ToolSkip> skips;
};

SkipBook& book() {
  static SkipBook b;
  return b;
}

/// Tells the book which test case runs; prints nothing itself.
class CurrentTestListener : public doctest::IReporter {
public:
  explicit CurrentTestListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    std::lock_guard<std::mutex> lock(book().mutex);
    book().current = tc.m_name;
    book().suite = tc.m_test_suite;
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

DOCTEST_REGISTER_LISTENER("neon-current-test", 0, CurrentTestListener);

const std::set<std::string> k_tools = {"kubectl", "node", "git",    "python3", "openssl",
                                       "runuser", "psql", "initdb", "pg_ctl"};

/// run_process's check: a unit test must not run an external tool.
void check_spawn(const std::string& program) {
  const std::string name = std::filesystem::path(program).filename().string();
  if (k_tools.count(name) == 0) {
    return;
  }
  std::string suite;
  {
    std::lock_guard<std::mutex> lock(book().mutex);
    suite = book().suite;
  }
  // release-krew is the release tier's (ctest release_krew, tests/release/), run only beside kubectl.
  if (suite != "integration" && suite != "e2e" && suite != "release-krew") {
    FAIL_CHECK("this test runs " << name << " but is in the unit tier (suite \"" << suite
                                 << "\"): add * doctest::test_suite(\"integration\") and NEON_REQUIRE_TOOL(\"" << name
                                 << "\")");
  }
}

[[maybe_unused]] const bool k_spawn_check_set = (set_spawn_check(&check_spawn), true);

bool env_is(const char* name, const std::vector<std::string>& values) {
  const char* v = std::getenv(name);
  if (v == nullptr) {
    return false;
  }
  for (const auto& x : values) {
    if (x == v) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool tools_required() {
  const char* ci = std::getenv("CI");
  const bool in_ci = ci != nullptr && *ci != '\0' && !env_is("CI", {"0", "false", "False", "FALSE"});
  return in_ci || env_is("NEON_REQUIRE_TOOLS", {"1"});
}

bool require_tool(const std::string& program, const char* file, int line) {
  if (have_program(program)) {
    return true;
  }
  if (tools_required()) {
    ADD_FAIL_AT(file, line,
                program << " is not on PATH, and this test needs it (missing tools fail when CI or "
                           "NEON_REQUIRE_TOOLS=1 is set; .ci/install-deps installs them)");
    return false;
  }
  ADD_MESSAGE_AT(file, line,
                 "SKIPPED: " << program << " is not on PATH (in CI, or with NEON_REQUIRE_TOOLS=1, this fails)");
  std::lock_guard<std::mutex> lock(book().mutex);
  auto& skips = book().skips;
  if (skips.empty() || skips.back().test_case != book().current) {
    skips.push_back({book().current, program});
  }
  return false;
}

std::vector<ToolSkip> tool_skips() {
  std::lock_guard<std::mutex> lock(book().mutex);
  return book().skips;
}

std::string tool_skip_summary() {
  const auto skips = tool_skips();
  if (skips.empty()) {
    return "";
  }
  std::string out =
      fmt::format("[doctest] skipped for a missing tool: {} test case{}\n", skips.size(), skips.size() == 1 ? "" : "s");
  for (const auto& s : skips) {
    out += fmt::format("[doctest]   {} (needs {})\n", s.test_case, s.tool);
  }
  return out;
}

PostgresBin postgres_bin() {
  for (const char* v : {"17", "16", "15", "14", "13"}) {
    const auto bin = std::filesystem::path("/usr/lib/postgresql") / v / "bin";
    if (std::filesystem::exists(bin / "initdb")) {
      return PostgresBin{(bin / "initdb").string(), (bin / "pg_ctl").string(), false};
    }
  }
  return PostgresBin{};
}

std::string world_writable_scratch(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  REQUIRE(::chmod(tmpl.c_str(), 0777) == 0);
  return tmpl;
}

}  // namespace neon::test
