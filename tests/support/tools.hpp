#pragma once
// External tools (kubectl, node, git, python3, openssl) in tests. A test that needs one starts with
// NEON_REQUIRE_TOOL("kubectl"); it lives in the doctest suite "integration" (or "e2e"), which ctest
// runs as its own labelled entry (tests/CMakeLists.txt).
//
// A missing tool is never a silent pass: in CI (CI set, or NEON_REQUIRE_TOOLS=1 as tests/run.sh
// sets) the test fails, naming the tool; elsewhere the test is skipped, said at once (MESSAGE) and
// counted in the run's summary, and the run exits with --skip-exit-code (ctest shows "Skipped").

#include <string>
#include <vector>

// run.cpp (shared with the benches) uses only set_spawn_check/spawn_check from here; the rest is
// tools.cpp, linked into neon_tests alone.

namespace neon::test {

/// Whether missing tools fail tests: the CI variable is set (and not "false" or "0"), or
/// NEON_REQUIRE_TOOLS is "1".
bool tools_required();

/// True when `program` is on PATH. When it is not: fails the current test at file:line if
/// tools_required(), else records a skip for the current test and returns false (the test must
/// then return: NEON_REQUIRE_TOOL does both).
bool require_tool(const std::string& program, const char* file, int line);

struct ToolSkip {
  std::string test_case;
  std::string tool;
};

/// The tests skipped so far for a missing tool, one entry per test case, in order.
std::vector<ToolSkip> tool_skips();

/// The summary printed after the run ("" when nothing was skipped).
std::string tool_skip_summary();

/// Debian's PostgreSQL server programs: those of the newest /usr/lib/postgresql/<version>/bin, or
/// plain "initdb" and "pg_ctl" (from PATH, `on_path` true) when no such folder exists.
struct PostgresBin {
  std::string initdb = "initdb";
  std::string pg_ctl = "pg_ctl";
  bool on_path = true;
};
PostgresBin postgres_bin();

/// A new folder below /tmp that every user may write (the servers of a test run as nobody).
std::string world_writable_scratch(const std::string& prefix);

/// What run_process calls with argv[0] before it starts a program, when set. neon_tests sets it
/// (tools.cpp) to fail a test outside the suites "integration" and "e2e" that runs one of the
/// tools above, so the unit tier never needs them; the benches leave it unset.
using SpawnCheck = void (*)(const std::string& program);
void set_spawn_check(SpawnCheck check);
SpawnCheck spawn_check();

}  // namespace neon::test

/// Ends the current test as skipped (or failed, in CI) when `program` is not on PATH.
#define NEON_REQUIRE_TOOL(program)                                  \
  do {                                                              \
    if (!::neon::test::require_tool(program, __FILE__, __LINE__)) { \
      return;                                                       \
    }                                                               \
  } while (false)
