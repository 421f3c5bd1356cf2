#include "plugin/gitops/spec_input.hpp"

#include <filesystem>
#include <istream>
#include <iterator>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/embedded.hpp"
#include "generators/spec_parse.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/files.hpp"

namespace neon::cli {

std::string spec_file_for(const std::string& file) {
  if (!file.empty()) {
    return file;
  }
  std::error_code ec;
  return std::filesystem::exists(k_local_spec, ec) ? std::string(k_local_spec) : std::string();
}

bool spec_available(const std::string& file) { return !spec_file_for(file).empty(); }

std::optional<SpecText> read_spec_text(Context& ctx, const std::string& given, SpecUse use) {
  const std::string file = spec_file_for(given);
  if (file.empty() && use == SpecUse::live) {
    fmt::print(ctx.err,
               "error: no cluster spec: pass -f FILE, or run where your {} is ('{} init' writes one).\n"
               "  This command acts on a live cluster, so it never uses the built-in example spec.\n",
               k_local_spec, ctx.prog);
    return std::nullopt;
  }
  if (file.empty()) {
    fmt::print(ctx.err, "note: no -f and no ./{}: using the built-in dev example spec\n", k_local_spec);
    return SpecText{std::string(*gen::embedded("schemas/starters/dev.yaml")), k_default_spec_name};
  }
  if (file == "-") {
    std::string text;
    char buf[65536];
    while (ctx.in.read(buf, sizeof buf) || ctx.in.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(ctx.in.gcount()));
      if (text.size() > gen::k_max_spec_bytes) {
        fmt::print(ctx.err, "error: <stdin>: input is larger than {} MiB\n", gen::k_max_spec_bytes >> 20);
        return std::nullopt;
      }
    }
    return SpecText{std::move(text), "<stdin>"};
  }
  auto data = read_file(file, gen::k_max_spec_bytes);
  if (!data) {
    fmt::print(ctx.err, "error: {}\n", data.error().message);
    return std::nullopt;
  }
  return SpecText{std::move(*data), file};
}

namespace {

/// Control characters from the spec (YAML escapes can produce them) are shown escaped, so that a
/// message can never move the cursor or recolour the terminal.
std::string printable(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void print_diagnostics(Context& ctx, const std::vector<gen::Diagnostic>& diags) {
  const bool color = ctx.color();
  for (const auto& d : diags) {
    std::string line = printable(gen::format_diagnostic(d));
    if (color) {
      const auto pos = line.find(": error: ");
      if (pos != std::string::npos) {
        line.replace(pos, 9, ": \033[1;31merror:\033[0m ");
      }
    }
    fmt::print(ctx.err, "{}\n", line);
  }
}

std::optional<gen::ValidSpec> load_valid_spec(Context& ctx, const std::string& file, SpecUse use) {
  auto text = read_spec_text(ctx, file, use);
  if (!text) {
    return std::nullopt;
  }
  gen::LoadResult res = gen::load_spec(text->text, text->name);
  if (!res.spec) {
    print_diagnostics(ctx, res.diagnostics);
    fmt::print(ctx.err, "{}: {} error{}\n", text->name, res.diagnostics.size(), res.diagnostics.size() == 1 ? "" : "s");
    return std::nullopt;
  }
  return std::move(res.spec);
}

}  // namespace neon::cli
