// kubectl neon render [-f SPEC]: the whole cluster as one YAML stream on stdout, the same objects
// `kubectl kustomize` builds from the generated tree. For piping into kubectl apply or a diff.
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/layout.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

OptionSet render_options(const Context& ctx) {
  auto opts = make_options(ctx, "render",
                           "Print every object of the cluster as one YAML stream: the same objects\n"
                           "'kubectl kustomize' builds from the tree 'kubectl neon generate' writes.");
  add_spec_flag(opts, SpecFlag::files);
  return opts;
}

int cmd_render(Context& ctx, const Args& args) {
  auto opts = render_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  auto spec = load_valid_spec(ctx, (*r)["file"].as<std::string>(), SpecUse::files);
  if (!spec) {
    return k_exit_failure;
  }
  ctx.out << gen::render_stream(*spec);
  return k_exit_ok;
}

}  // namespace neon::cli
