#pragma once
// One function per subcommand, each in its own cmd_<name>.cpp, next to the function building its
// options (`<name>_options`), which the command and shell completion both call. Command groups
// give their sub-verb table (`<group>_verbs`).

#include <string>
#include <vector>

#include "plugin/adapters/context.hpp"
#include "plugin/commands/cli.hpp"

namespace neon::cli {

using Args = std::vector<std::string>;

int cmd_init(Context& ctx, const Args& args);
int cmd_validate(Context& ctx, const Args& args);
int cmd_schema(Context& ctx, const Args& args);
int cmd_render(Context& ctx, const Args& args);
int cmd_generate(Context& ctx, const Args& args);
int cmd_diff(Context& ctx, const Args& args);
int cmd_status(Context& ctx, const Args& args);
int cmd_attach(Context& ctx, const Args& args);
int cmd_detach(Context& ctx, const Args& args);
int cmd_drain(Context& ctx, const Args& args);
int cmd_fill(Context& ctx, const Args& args);
int cmd_rollout(Context& ctx, const Args& args);
int cmd_sync(Context& ctx, const Args& args);
int cmd_logs(Context& ctx, const Args& args);
int cmd_report(Context& ctx, const Args& args);
int cmd_connection_string(Context& ctx, const Args& args);
int cmd_suspend(Context& ctx, const Args& args);
int cmd_resume(Context& ctx, const Args& args);
int cmd_psql(Context& ctx, const Args& args);
int cmd_completion(Context& ctx, const Args& args);
int cmd_complete(Context& ctx, const Args& args);
int cmd_version(Context& ctx, const Args& args);

OptionSet init_options(const Context& ctx);
OptionSet validate_options(const Context& ctx);
OptionSet schema_options(const Context& ctx);
OptionSet render_options(const Context& ctx);
OptionSet generate_options(const Context& ctx);
OptionSet diff_options(const Context& ctx);
OptionSet status_options(const Context& ctx);
OptionSet attach_options(const Context& ctx);
OptionSet detach_options(const Context& ctx);
OptionSet drain_options(const Context& ctx);
OptionSet fill_options(const Context& ctx);
OptionSet rollout_options(const Context& ctx);
OptionSet sync_options(const Context& ctx);
OptionSet logs_options(const Context& ctx);
OptionSet report_options(const Context& ctx);
OptionSet connection_string_options(const Context& ctx);
OptionSet suspend_options(const Context& ctx);
OptionSet resume_options(const Context& ctx);
OptionSet psql_options(const Context& ctx);
OptionSet completion_options(const Context& ctx);
OptionSet version_options(const Context& ctx);

const VerbGroup& project_verbs();
const VerbGroup& branch_verbs();
const VerbGroup& secrets_verbs();
const VerbGroup& hook_verbs();
const VerbGroup& bootstrap_verbs();
const VerbGroup& node_verbs();

}  // namespace neon::cli
