#pragma once
// One function per subcommand, each in its own cmd_<name>.cpp.

#include <string>
#include <vector>

#include "plugin/adapters/context.hpp"

namespace neon::cli {

using Args = std::vector<std::string>;

int cmd_init(Context& ctx, const Args& args);
int cmd_validate(Context& ctx, const Args& args);
int cmd_schema(Context& ctx, const Args& args);
int cmd_render(Context& ctx, const Args& args);
int cmd_generate(Context& ctx, const Args& args);
int cmd_diff(Context& ctx, const Args& args);
int cmd_project(Context& ctx, const Args& args);
int cmd_branch(Context& ctx, const Args& args);
int cmd_status(Context& ctx, const Args& args);
int cmd_attach(Context& ctx, const Args& args);
int cmd_detach(Context& ctx, const Args& args);
int cmd_drain(Context& ctx, const Args& args);
int cmd_fill(Context& ctx, const Args& args);
int cmd_secrets(Context& ctx, const Args& args);
int cmd_hook(Context& ctx, const Args& args);
int cmd_bootstrap(Context& ctx, const Args& args);
int cmd_completion(Context& ctx, const Args& args);
int cmd_complete(Context& ctx, const Args& args);
int cmd_version(Context& ctx, const Args& args);

}  // namespace neon::cli
