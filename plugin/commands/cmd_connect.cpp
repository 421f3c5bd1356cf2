// kubectl neon connection-string and kubectl neon psql: how an application, or a person, reaches
// a branch's Postgres (issue 15). Both take PROJECT/BRANCH and the spec (-f, or the repository's
// neon.yaml) for the branch's roles and databases.
//
// connection-string reads the role's Secret `<project>-<branch>-<role>` (created by secrets init,
// or the user's own holding just `password`) and prints the in-cluster URI, the password masked
// unless --show-password; --pooler gives the URI of the branch's PgBouncer (compute.pooler, the
// Service port `pooler`), which takes the same role and password. psql runs `kubectl exec` into
// the compute (as the CloudNativePG plugin does) with the caller's --kubeconfig/--context/-n, and
// psql there connects over the pod's loopback, which compute_ctl's pg_hba trusts
// (libs/postgres_ffi/samples/pg_hba.conf, via pageserver/src/basebackup.rs:378-386): no password
// travels on argv.
#include <algorithm>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/diagnostics.hpp"
#include "generators/names.hpp"
#include "generators/roles.hpp"
#include "plugin/adapters/http.hpp"
#include "plugin/adapters/process.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {
namespace {

constexpr const char* k_mask = "********";

/// The branch, role and database a command names, checked against the spec.
struct Target {
  const gen::Project* project = nullptr;
  const gen::Branch* branch = nullptr;
  gen::Connection conn;
};

void add_target_options(OptionSet& opts) {
  add_spec_flag(opts, SpecFlag::live, ", for the branch's roles and databases");
  opts.add_options()("role", "Role to connect as (default: the branch's first role)",
                     cxxopts::value<std::string>()->default_value(""))(
      "database", "Database (default: the first one the role owns)", cxxopts::value<std::string>()->default_value(""))(
      "replica", "Connect to the branch's read replicas instead of the primary");
}

/// Finds PROJECT/BRANCH, the role and the database; prints the error and returns nullopt when one
/// is not in the spec (with did-you-mean).
std::optional<Target> target_of(Context& ctx, const gen::ValidSpec& spec, const std::string& operand,
                                const cxxopts::ParseResult& r, int& exit) {
  exit = k_exit_failure;
  const auto slash = operand.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == operand.size()) {
    return std::nullopt;
  }
  Target t;
  std::vector<std::string> names;
  for (const auto& p : spec->projects) {
    names.push_back(p.name);
    if (p.name == operand.substr(0, slash)) {
      t.project = &p;
    }
  }
  if (t.project == nullptr) {
    fail(ctx, fmt::format("no project \"{}\" in the spec{}", operand.substr(0, slash),
                          gen::suggestion_suffix(operand.substr(0, slash), names)));
    return std::nullopt;
  }
  names.clear();
  for (const auto& b : t.project->branches) {
    names.push_back(b.name);
    if (b.name == operand.substr(slash + 1)) {
      t.branch = &b;
    }
  }
  if (t.branch == nullptr) {
    fail(ctx, fmt::format("no branch \"{}\" in project \"{}\"{}", operand.substr(slash + 1), t.project->name,
                          gen::suggestion_suffix(operand.substr(slash + 1), names)));
    return std::nullopt;
  }
  names.clear();
  for (const auto& role : gen::effective_roles(*t.project, *t.branch)) {
    names.push_back(role.name);
  }
  std::string role = r["role"].as<std::string>();
  if (names.empty()) {
    fail(ctx, fmt::format("branch {} has no roles: add roles to it (or its parent) in the spec", operand));
    return std::nullopt;
  }
  if (role.empty()) {
    role = names.front();
  } else if (std::find(names.begin(), names.end(), role) == names.end()) {
    fail(ctx, fmt::format("branch {} has no role \"{}\"{}", operand, role, gen::suggestion_suffix(role, names)));
    return std::nullopt;
  }
  const bool replica = r.count("replica") != 0;
  if (replica && t.branch->compute.read_replicas == 0) {
    fail(ctx, fmt::format("branch {} has no read replicas (compute.readReplicas)", operand));
    return std::nullopt;
  }
  t.conn = gen::connection_for(spec.spec(), *t.project, *t.branch, role, replica);
  if (const std::string db = r["database"].as<std::string>(); !db.empty()) {
    names = {"postgres"};
    for (const auto& d : gen::effective_databases(*t.project, *t.branch)) {
      names.push_back(d.name);
    }
    if (std::find(names.begin(), names.end(), db) == names.end()) {
      fail(ctx, fmt::format("branch {} has no database \"{}\"{}", operand, db, gen::suggestion_suffix(db, names)));
      return std::nullopt;
    }
    t.conn.dbname = db;
  }
  exit = k_exit_ok;
  return t;
}

std::string shell_quote(const std::string& a) {
  if (!a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+") ==
                        std::string::npos) {
    return a;
  }
  std::string out = "'";
  for (const char c : a) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

}  // namespace

/// The spec, the target of the PROJECT/BRANCH operand and the namespace: what connection-string and
/// psql both start from. Prints the error and sets `exit` when one is missing.
struct Located {
  std::unique_ptr<gen::ValidSpec> spec;
  std::optional<Target> target;
  std::string ns;
};

std::optional<Located> locate(Context& ctx, const std::string& cmd, const cxxopts::ParseResult& r, int& exit) {
  const std::string operand = positionals(r).front();
  if (operand.find('/') == std::string::npos) {
    exit = usage_error(ctx, cmd, fmt::format("\"{}\" is not PROJECT/BRANCH", operand));
    return std::nullopt;
  }
  auto loaded = load_valid_spec(ctx, r["file"].as<std::string>());
  if (!loaded) {
    exit = k_exit_failure;
    return std::nullopt;
  }
  Located out;
  out.spec = std::make_unique<gen::ValidSpec>(std::move(*loaded));
  out.target = target_of(ctx, *out.spec, operand, r, exit);
  if (!out.target) {
    return std::nullopt;
  }
  out.ns = !ctx.globals.namespace_.empty() ? ctx.globals.namespace_ : (*out.spec)->namespace_;
  return out;
}

OptionSet connection_string_options(const Context& ctx) {
  auto opts = make_options(ctx, "connection-string",
                           "Print the in-cluster connection URI of a branch for one of its roles, from the role's "
                           "Secret <project>-<branch>-<role>; the password is masked unless --show-password.",
                           "PROJECT/BRANCH");
  add_target_options(opts);
  opts.add_options()("show-password", "Print the password instead of " + std::string(k_mask))(
      "pooler", "The URI of the branch's PgBouncer (compute.pooler) instead of Postgres'")(
      "direct",
      "With spec.proxy: the in-cluster Service of the compute instead of the proxy's endpoint "
      "(it does not wake a suspended compute)");
  add_output(opts, {"json"}, "",
             "json: the parts (host, port, user, dbname, password, uri; pooler_port and pooler_uri with a pooler)");
  return opts;
}

int cmd_connection_string(Context& ctx, const Args& args) {
  const std::string cmd = "connection-string";
  auto opts = connection_string_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto output = output_of(ctx, opts, *r, exit);
  if (!output) {
    return exit;
  }
  if (positionals(*r).size() != 1) {
    return usage_error(ctx, cmd, "expected exactly one PROJECT/BRANCH");
  }
  auto at = locate(ctx, cmd, *r, exit);
  if (!at) {
    return exit;
  }
  const auto& t = at->target;
  const std::string& ns = at->ns;
  const bool pooler = r->count("pooler") != 0;
  if (pooler && t->conn.pooler_port == 0) {
    return fail(ctx, fmt::format("branch {}/{} has no pooler: set compute.pooler: true on it in the spec",
                                 t->project->name, t->branch->name));
  }
  const std::string secret = gen::role_secret_name(t->project->name, t->branch->name, t->conn.user);
  auto api = kube::resolve_api_server(ctx, ns);
  if (!api) {
    return fail(ctx, api.error().message);
  }
  http::CurlTransport transport(api->tls);
  kube::Client client(*api, transport);
  auto got = client.get_secret(ns, secret);
  if (!got) {
    return fail(ctx, got.error().message);
  }
  if (!*got) {
    return fail(ctx, fmt::format("Secret {}/{} does not exist: create it with `{} secrets init`, or bring your own "
                                 "with key password",
                                 ns, secret, ctx.prog));
  }
  const auto pw = (*got)->data.find("password");
  if (pw == (*got)->data.end() || pw->second.empty()) {
    return fail(ctx, fmt::format("Secret {}/{} has no key \"password\"", ns, secret));
  }
  const bool show = r->count("show-password") != 0;
  auto uri_of = [&](const gen::Connection& c) {
    std::string uri = gen::connection_uri(c, show ? pw->second : "MASKEDPASSWORD");
    if (!show) {
      uri.replace(uri.find(":MASKEDPASSWORD@"), 16, std::string(":") + k_mask + "@");
    }
    return uri;
  };
  // Through the proxy when it is on: one TLS endpoint, and a connection wakes a suspended compute.
  const bool proxied = (*at->spec)->proxy.enabled && r->count("replica") == 0 && r->count("direct") == 0;
  const gen::Connection base = proxied ? gen::via_proxy(at->spec->spec(), *t->project, *t->branch, t->conn) : t->conn;
  const gen::Connection conn = pooler ? gen::pooler_connection(base) : base;
  const std::string uri = uri_of(conn);
  if (*output == "json") {
    nlohmann::ordered_json j{{"host", conn.host},
                             {"port", conn.port},
                             {"user", conn.user},
                             {"dbname", conn.dbname},
                             {"password", show ? pw->second : k_mask},
                             {"uri", uri}};
    if (base.pooler_port != 0) {
      j["pooler_port"] = base.pooler_port;
      j["pooler_uri"] = uri_of(gen::pooler_connection(base));
    }
    if (!base.sslmode.empty()) {
      j["sslmode"] = base.sslmode;
    }
    fmt::print(ctx.out, "{}\n", j.dump(2));
  } else {
    fmt::print(ctx.out, "{}\n", uri);
  }
  return k_exit_ok;
}

OptionSet psql_options(const Context& ctx) {
  auto opts = make_options(ctx, "psql",
                           "Run psql inside the branch's compute pod (kubectl exec, with the same --kubeconfig, "
                           "--context and -n); arguments after -- go to psql.",
                           "PROJECT/BRANCH [-- PSQL_ARGS...]");
  add_target_options(opts);
  opts.add_options()("dry-run", "Print the kubectl command instead of running it");
  return opts;
}

int cmd_psql(Context& ctx, const Args& all) {
  const std::string cmd = "psql";
  const auto dashes = std::find(all.begin(), all.end(), "--");
  const Args args(all.begin(), dashes);
  const Args psql_args(dashes == all.end() ? dashes : dashes + 1, all.end());
  auto opts = psql_options(ctx);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "PROJECT/BRANCH", exit);
  if (!r) {
    return exit;
  }
  auto at = locate(ctx, cmd, *r, exit);
  if (!at) {
    return exit;
  }
  const auto& t = at->target;
  const std::string& ns = at->ns;
  // A Deployment target: kubectl picks one of its running pods. The replicas' first Deployment.
  const std::string deploy = r->count("replica") != 0 ? gen::names::replica_name(t->project->name, t->branch->name, 0)
                                                      : gen::names::compute_name(t->project->name, t->branch->name);
  std::vector<std::string> argv{"kubectl"};
  if (!ctx.globals.kubeconfig.empty()) {
    argv.insert(argv.end(), {"--kubeconfig", ctx.globals.kubeconfig});
  }
  if (!ctx.globals.context.empty()) {
    argv.insert(argv.end(), {"--context", ctx.globals.context});
  }
  argv.insert(argv.end(),
              {"-n", ns, "exec", ctx.in_is_tty ? "-it" : "-i", "deploy/" + deploy, "-c", "compute", "--", "psql", "-h",
               "127.0.0.1", "-p", std::to_string(t->conn.port), "-U", t->conn.user, "-d", t->conn.dbname});
  argv.insert(argv.end(), psql_args.begin(), psql_args.end());
  if (r->count("dry-run") != 0) {
    std::string line;
    for (const auto& a : argv) {
      line += (line.empty() ? "" : " ") + shell_quote(a);
    }
    fmt::print(ctx.out, "{}\n", line);
    return k_exit_ok;
  }
  std::vector<std::string> env;
  for (const auto& [k, v] : ctx.env) {
    env.push_back(k + "=" + v);
  }
  auto rc = run_attached(argv, env, "kubectl");
  if (!rc) {
    return fail(ctx, rc.error().message);
  }
  return *rc;
}

}  // namespace neon::cli
