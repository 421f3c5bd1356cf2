#pragma once
// Roles and databases of a branch (issue 15): which ones a branch has once inheritance is
// resolved, the Secret that holds each role's password, and the validate rules for them.
// Pure: no I/O.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "generators/spec.hpp"

namespace neon::gen {

/// Postgres keeps identifiers to NAMEDATALEN - 1 = 63 bytes and truncates longer ones.
inline constexpr std::size_t k_max_identifier = 63;

/// The roles of `branch`: its own list when it has one, else its parent's (recursively); a root
/// branch without a list has none. A parent cycle (reported by validate) ends the walk.
std::vector<Role> effective_roles(const Project& project, const Branch& branch);
std::vector<Database> effective_databases(const Project& project, const Branch& branch);

/// The Secret with the password of `role` on `branch`: `<project>-<branch>-<role>`, '_' as '-'.
std::string role_secret_name(const std::string& project, const std::string& branch, const std::string& role);

/// Where a role of a branch connects inside the cluster.
struct Connection {
  std::string host;  ///< the primary's Service, or the read replicas' Service
  int port = 0;      ///< the compute's Postgres port
  std::string user;
  std::string dbname;            ///< the first database the role owns, else the branch's first, else postgres
  int pooler_port = 0;           ///< PgBouncer's port on the same host with compute.pooler, else 0
  std::string pooler_host = "";  ///< PgBouncer's host when it is not `host` (through the proxy)
  std::string sslmode = "";      ///< "require" through the proxy; empty: not set
};
Connection connection_for(const ClusterSpec& spec, const Project& project, const Branch& branch,
                          const std::string& role, bool replica);
/// `postgresql://user:password@host:port/dbname`, user and password percent-encoded; an empty
/// password leaves out `:password`.
std::string connection_uri(const Connection& c, const std::string& password);
/// The branch's endpoint through Neon's proxy (spec.proxy): `<endpoint>.<domain>:5432` with
/// sslmode=require, and its PgBouncer as `<endpoint>-pooler.<domain>` (the proxy strips -pooler and
/// wake_compute answers PgBouncer's port; neon-connect.md §4.3, §4.5).
Connection via_proxy(const ClusterSpec& spec, const Project& project, const Branch& branch, Connection direct);
/// The same connection through the branch's PgBouncer (port pooler_port); `c` must have one.
Connection pooler_connection(const Connection& c);
/// The keys of a role's Secret: username, password, host, port, dbname, uri, and pooler-uri when
/// the branch has a pooler.
std::map<std::string, std::string> role_secret_data(const Connection& c, const std::string& password);
/// The keys an existing role Secret `have` lacks: `pooler-uri` (with the Secret's own password) when
/// the branch has a pooler and the Secret is one `secrets init` made (it has `uri`); a user's own
/// Secret holding just `password` gains nothing.
std::map<std::string, std::string> role_secret_missing(const Connection& c,
                                                       const std::map<std::string, std::string>& have);

/// Why `name` may not be a spec role (cloud_admin, neon_superuser, pg_*, ...), or "".
std::string reserved_role(const std::string& name);
/// Why `name` may not be a spec database (postgres, template0, template1), or "".
std::string reserved_database(const std::string& name);
/// Why `name` is not an identifier we accept (lowercase letter or '_' first, then lowercase
/// letters, digits, '_' or '-', at most 63 bytes), or "".
std::string bad_identifier(const std::string& name);

/// Every rule about the roles and databases of `project` (at `path`, e.g. "spec.projects[0]"):
/// names, reserved names, duplicates, Secret-name clashes, owners (with did-you-mean), options.
void check_roles(const Project& project, const std::string& path,
                 const std::function<void(const std::string& path, const std::string& message)>& error);

}  // namespace neon::gen
