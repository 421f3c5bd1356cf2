#!/usr/bin/env bash
# Builds the spec-pipeline fuzz target (tests/fuzz/fuzz_spec.cpp) with clang, libFuzzer, ASan and
# UBSan in its own build directory and runs it for NEON_FUZZ_SECONDS (default 60) seconds, seeded
# with the examples, the starters, the invalid specs and every input that ever failed. One input
# slower than 10 s, more than 2 GiB of memory, a crash or a sanitizer report fails the run; the
# input is saved under <build>/artifacts/ and, once fixed, belongs in tests/fuzz/regressions/.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${NEON_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${NEON_FUZZ_SECONDS:-60}
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER=clang++ "-DCMAKE_CXX_FLAGS=$flags" \
  -DNEON_BUILD_TESTS=ON -DNEON_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_spec
corpus="$build/corpus"
mkdir -p "$corpus" "$build/artifacts"
echo "fuzzing the spec pipeline for ${seconds}s" >&2
if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$build/tests/fuzz/fuzz_spec" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" -dict=tests/fuzz/spec.dict \
  "$corpus" tests/fuzz/regressions schemas/examples schemas/starters tests/golden/specs/invalid 2>"$build/fuzz.log"; then
  tail -n 60 "$build/fuzz.log" >&2
  echo "error: the spec fuzzer failed; the input is in $build/artifacts/ (add it to tests/fuzz/regressions/)" >&2
  exit 1
fi
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$build/fuzz.log" >&2 || true
