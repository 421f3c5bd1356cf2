#!/usr/bin/env bash
# The whole test suite: install dependencies, build with warnings as errors under AddressSanitizer
# and UBSan, install the schema checker's npm packages, fuzz the spec pipeline for a minute
# (tests/fuzz/run.sh; NEON_FUZZ_SECONDS=0 skips it), then run ctest: the unit, integration and e2e
# tiers (ctest -L unit|integration|e2e), with every external tool required, the lint checks
# (-L lint), and the release tests (-L release, tests/release/): .ci/release builds the static
# binaries, archives and image into the build tree (curl and libgit2 built once per version in
# .cache/static-deps) and checks them; `ctest -LE release` leaves them out.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
.ci/install-deps
if [ -f tests/schema-check/package.json ]; then
  npm ci --prefix tests/schema-check --no-audit --no-fund --loglevel=error >/dev/null
fi
build=${NEON_TEST_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DNEON_WERROR=ON -DNEON_SANITIZE=ON -DNEON_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
# The spec parser under libFuzzer first, so ctest's summary is the last thing printed.
if [ "${NEON_FUZZ_SECONDS:-60}" != 0 ]; then
  tests/fuzz/run.sh
fi
cd "$build"
# Tests that need kubectl, node, git, python3 or openssl fail when the tool is missing, not skip.
export NEON_REQUIRE_TOOLS=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions="$root/tests/lsan.supp":print_suppressions=0 \
  ctest --output-on-failure --timeout 3000
