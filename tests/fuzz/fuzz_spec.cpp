// libFuzzer target for the path every command that reads a spec takes: text -> parse_spec ->
// validate -> generate_tree and render_stream (what `generate` and `render` write). Any crash,
// sanitizer report, uncaught exception, or input slower than -timeout is a failure.
// Build and run: tests/fuzz/run.sh. Inputs it ever failed on live in tests/fuzz/regressions/,
// which the normal suite replays (tests/unit/test_spec_fuzz_regressions.cpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "generators/diagnostics.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const neon::gen::LoadResult res = neon::gen::load_spec(text, "fuzz.yaml");
  for (const auto& d : res.diagnostics) {
    (void)neon::gen::format_diagnostic(d);
  }
  if (res.spec) {
    (void)neon::gen::generate_tree(*res.spec);
    (void)neon::gen::render_stream(*res.spec);
  }
  return 0;
}
