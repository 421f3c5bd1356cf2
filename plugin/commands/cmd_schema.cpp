// kubectl neon schema: the embedded JSON Schema of the cluster spec.
#include <ostream>

#include "generators/embedded.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"

namespace neon::cli {

OptionSet schema_options(const Context& ctx) {
  return make_options(ctx, "schema", "Print the JSON Schema of the cluster spec (for editors and CI).");
}

int cmd_schema(Context& ctx, const Args& args) {
  auto opts = schema_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  ctx.out << *gen::embedded("schemas/neon-cluster.schema.json");
  return k_exit_ok;
}

}  // namespace neon::cli
