// kubectl neon validate [-f FILE]: every problem at once; exit 0 valid, 1 invalid.
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/gitops.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

OptionSet validate_options(const Context& ctx) {
  auto opts = make_options(ctx, "validate",
                           "Check a cluster spec and report every problem at once.\n"
                           "Exit status: 0 valid, 1 invalid, 2 usage error.");
  add_spec_flag(opts, SpecFlag::files);
  opts.add_options()("q,quiet", "Print nothing when the spec is valid")(
      "allow-insecure", "Accept a prod spec with networkPolicies.enabled: false (then only a warning)");
  return opts;
}

int cmd_validate(Context& ctx, const Args& args) {
  auto opts = validate_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const std::string file = (*r)["file"].as<std::string>();
  auto spec = load_valid_spec(ctx, file, SpecUse::files);
  if (!spec) {
    return k_exit_failure;
  }
  // Without NetworkPolicies every pod reaches the controller's admin API, the hook, compute_ctl and
  // the unauthenticated storage broker: prod refuses it unless the user says so.
  if ((*spec)->profile == gen::Profile::prod && !(*spec)->network_policies) {
    const std::string path = "spec.networkPolicies.enabled";
    auto mark = (*spec)->marks.find(path);
    gen::Diagnostic d{(*spec)->file,
                      mark == (*spec)->marks.end() ? gen::Mark{} : mark->second,
                      path,
                      "false in the prod profile leaves the storage controller, the compute hook, compute_ctl and the "
                      "storage broker open to every pod of the cluster; set it to true, or pass --allow-insecure",
                      r->count("allow-insecure") > 0,
                      gen::DiagKind::other};
    fmt::print(ctx.err, "{}\n", gen::format_diagnostic(d));
    if (!d.warning) {
      return k_exit_failure;
    }
  }
  // Warnings go to standard error and leave the exit status alone.
  for (const auto& w : gen::prerequisite_warnings(*spec)) {
    fmt::print(ctx.err, "{}\n", gen::format_diagnostic(w));
  }
  if (!r->count("quiet")) {
    fmt::print(ctx.out, "{}: valid ({} project{}, {} pageserver{}, {} safekeeper{})\n",
               spec_file_for(file).empty() ? k_default_spec_name : spec_file_for(file), (*spec)->projects.size(),
               (*spec)->projects.size() == 1 ? "" : "s", (*spec)->pageservers.count,
               (*spec)->pageservers.count == 1 ? "" : "s", (*spec)->safekeepers.count,
               (*spec)->safekeepers.count == 1 ? "" : "s");
  }
  return k_exit_ok;
}

}  // namespace neon::cli
