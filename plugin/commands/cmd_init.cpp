// kubectl neon init [--profile dev|prod] [-f FILE] [--name NAME]: a commented starter spec with
// freshly minted tenant and timeline IDs. Never overwrites an existing file.
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/diagnostics.hpp"
#include "generators/embedded.hpp"
#include "generators/hook_image.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/adapters/ids.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"

namespace neon::cli {

namespace {

/// Replaces every 32-hex ID in the starter with a fresh one, keeping distinct IDs distinct.
std::string with_fresh_ids(std::string text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (i + 32 <= text.size() && gen::is_hex_id(std::string_view(text).substr(i, 32)) &&
        (i == 0 || !std::isxdigit(static_cast<unsigned char>(text[i - 1]))) &&
        (i + 32 == text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 32])))) {
      out += mint_id();
      i += 32;
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace

OptionSet init_options(const Context& ctx) {
  auto opts = make_options(ctx, "init", "Write a commented starter cluster spec (refuses to overwrite a file).");
  add_choice(opts, "profile", {"dev", "prod"}, "dev", "dev or prod");
  add_spec_flag(opts, SpecFlag::output);
  opts.add_options()("name", "Cluster name (default: the profile's name)",
                     cxxopts::value<std::string>()->default_value(""));
  return opts;
}

int cmd_init(Context& ctx, const Args& args) {
  auto opts = init_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto chosen = choice_of(ctx, opts, *r, "profile", exit);
  if (!chosen) {
    return exit;
  }
  const std::string profile = *chosen;
  const std::string name = (*r)["name"].as<std::string>();
  if (!name.empty() && (!gen::is_dns1123_label(name) || name.size() > 40)) {
    return usage_error(ctx, "init",
                       fmt::format("--name \"{}\" must be a lowercase RFC 1123 label of at most 40 characters", name));
  }
  std::string text = with_fresh_ids(std::string(*gen::embedded("schemas/starters/" + profile + ".yaml")));
  // The hook image of this binary's own version, whatever tag the starter carries.
  const std::string hook_key = "\n    hook: ";
  if (const auto at = text.find(hook_key); at != std::string::npos) {
    const auto from = at + hook_key.size();
    text.replace(from, text.find('\n', from) - from, gen::default_hook_image());
  }
  if (!name.empty()) {
    // The name, and the cluster folder named after it: a second cluster in the same repository
    // must not land in the first one's folder.
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"  name: ", name},
                                     std::pair<std::string, std::string>{"    path: clusters/", name}}) {
      const std::string from = key + profile + "\n";
      const auto pos = text.find(from);
      if (pos != std::string::npos) {
        text.replace(pos, from.size(), key + value + "\n");
      }
    }
  }
  const std::string file = (*r)["file"].as<std::string>();
  if (file == "-") {
    ctx.out << text;
    return k_exit_ok;
  }
  auto written = write_file_atomic(file, text, Overwrite::no);
  if (!written) {
    return fail(ctx, written.error().message);
  }
  fmt::print(ctx.err, "wrote {} ({} profile)\nnext: edit it, then run '{} generate -f {} --repo DIR'\n", file, profile,
             ctx.prog, file);
  return k_exit_ok;
}

}  // namespace neon::cli
