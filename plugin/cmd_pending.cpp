// Commands whose implementation has not landed yet. Each block is removed when its cmd_<name>.cpp
// arrives; the before-stop review checks this file is gone.
#include "plugin/cli.hpp"
#include "plugin/commands.hpp"

namespace neon::cli {

namespace {
int pending(Context& ctx, const char* name) { return fail(ctx, std::string("'") + name + "' is not available in this build"); }
}  // namespace

// BEGIN project
int cmd_project(Context& ctx, const Args&) { return pending(ctx, "project"); }
// END project
// BEGIN branch
int cmd_branch(Context& ctx, const Args&) { return pending(ctx, "branch"); }
// END branch

}  // namespace neon::cli
