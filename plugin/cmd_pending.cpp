// Commands whose implementation has not landed yet. Each block is removed when its cmd_<name>.cpp
// arrives; the before-stop review checks this file is gone.
#include "plugin/cli.hpp"
#include "plugin/commands.hpp"

namespace neon::cli {

namespace {
int pending(Context& ctx, const char* name) { return fail(ctx, std::string("'") + name + "' is not available in this build"); }
}  // namespace

// BEGIN render
int cmd_render(Context& ctx, const Args&) { return pending(ctx, "render"); }
// END render
// BEGIN generate
int cmd_generate(Context& ctx, const Args&) { return pending(ctx, "generate"); }
// END generate
// BEGIN diff
int cmd_diff(Context& ctx, const Args&) { return pending(ctx, "diff"); }
// END diff
// BEGIN project
int cmd_project(Context& ctx, const Args&) { return pending(ctx, "project"); }
// END project
// BEGIN branch
int cmd_branch(Context& ctx, const Args&) { return pending(ctx, "branch"); }
// END branch
// BEGIN status
int cmd_status(Context& ctx, const Args&) { return pending(ctx, "status"); }
// END status
// BEGIN attach
int cmd_attach(Context& ctx, const Args&) { return pending(ctx, "attach"); }
// END attach
// BEGIN detach
int cmd_detach(Context& ctx, const Args&) { return pending(ctx, "detach"); }
// END detach
// BEGIN drain
int cmd_drain(Context& ctx, const Args&) { return pending(ctx, "drain"); }
// END drain
// BEGIN fill
int cmd_fill(Context& ctx, const Args&) { return pending(ctx, "fill"); }
// END fill
// BEGIN secrets
int cmd_secrets(Context& ctx, const Args&) { return pending(ctx, "secrets"); }
// END secrets
// BEGIN hook
int cmd_hook(Context& ctx, const Args&) { return pending(ctx, "hook"); }
// END hook
// BEGIN bootstrap
int cmd_bootstrap(Context& ctx, const Args&) { return pending(ctx, "bootstrap"); }
// END bootstrap

}  // namespace neon::cli
