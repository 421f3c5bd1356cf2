#pragma once
// `kubectl neon secrets rotate` (cmd_secrets_rotate.cpp): the storage auth key, replaced in steps.

#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"

namespace neon::cli {

OptionSet secrets_rotate_options(const Context& ctx);
int secrets_rotate_command(Context& ctx, const Args& args);

}  // namespace neon::cli
