#include "generators/roles.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "generators/diagnostics.hpp"
#include "generators/names.hpp"

namespace neon::gen {

namespace {

const Branch* find_branch(const Project& project, const std::string& name) {
  for (const Branch& b : project.branches) {
    if (b.name == name) {
      return &b;
    }
  }
  return nullptr;
}

template <typename T>
std::vector<T> inherited(const Project& project, const Branch& branch,
                         const std::optional<std::vector<T>> Branch::*field) {
  std::set<std::string> seen;
  for (const Branch* b = &branch; b != nullptr && seen.insert(b->name).second;
       b = b->parent.empty() ? nullptr : find_branch(project, b->parent)) {
    if (b->*field) {
      return *(b->*field);
    }
  }
  return {};
}

void check_options(const std::vector<SqlOption>& options, const std::string& path,
                   const std::function<void(const std::string&, const std::string&)>& error) {
  // compute_ctl writes `NAME value` verbatim for every vartype but "string" (pg_helpers.rs:61-70):
  // keep names to SQL keywords and such values to plain tokens, so nothing can be injected.
  static const std::regex k_name(R"(^[A-Z][A-Z_]*( [A-Z_]+)*$)");
  static const std::regex k_token(R"(^[A-Za-z0-9_.+-]+$)");
  static const std::vector<std::string> k_vartypes = {"string", "integer", "bool", "enum", "real"};
  for (std::size_t i = 0; i < options.size(); ++i) {
    const SqlOption& o = options[i];
    const std::string p = fmt::format("{}.options[{}]", path, i);
    if (!std::regex_match(o.name, k_name)) {
      error(p + ".name",
            fmt::format("\"{}\" is not an option name: upper-case SQL words, e.g. CONNECTION LIMIT", o.name));
    }
    if (std::find(k_vartypes.begin(), k_vartypes.end(), o.vartype) == k_vartypes.end()) {
      error(p + ".vartype",
            fmt::format("unknown vartype \"{}\"{}", o.vartype, suggestion_suffix(o.vartype, k_vartypes)));
    } else if (o.vartype != "string" && o.value && !std::regex_match(*o.value, k_token)) {
      error(p + ".value",
            fmt::format("\"{}\" must be a plain token for vartype {} (letters, digits, _ . + -)", *o.value, o.vartype));
    }
  }
}

}  // namespace

std::vector<Role> effective_roles(const Project& project, const Branch& branch) {
  return inherited(project, branch, &Branch::roles);
}

std::vector<Database> effective_databases(const Project& project, const Branch& branch) {
  return inherited(project, branch, &Branch::databases);
}

std::string role_secret_name(const std::string& project, const std::string& branch, const std::string& role) {
  std::string out = fmt::format("{}-{}-{}", project, branch, role);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

Connection connection_for(const ClusterSpec& spec, const Project& project, const Branch& branch,
                          const std::string& role, bool replica) {
  Connection c{names::service_host(spec, names::compute_name(project.name, branch.name, replica)),
               names::k_compute_pg_port, role, "postgres",
               branch.compute.pooler.enabled ? names::k_compute_pooler_port : 0};
  const auto dbs = effective_databases(project, branch);
  const auto owned = std::find_if(dbs.begin(), dbs.end(), [&](const Database& d) { return d.owner == role; });
  if (owned != dbs.end()) {
    c.dbname = owned->name;
  } else if (!dbs.empty()) {
    c.dbname = dbs.front().name;
  }
  return c;
}

std::string connection_uri(const Connection& c, const std::string& password) {
  auto encode = [](const std::string& text) {
    std::string out;
    for (const unsigned char ch : text) {
      if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
        out += static_cast<char>(ch);
      } else {
        out += fmt::format("%{:02X}", ch);
      }
    }
    return out;
  };
  return fmt::format("postgresql://{}{}@{}:{}/{}{}", encode(c.user), password.empty() ? "" : ":" + encode(password),
                     c.host, c.port, encode(c.dbname), c.sslmode.empty() ? "" : "?sslmode=" + c.sslmode);
}

Connection via_proxy(const ClusterSpec& spec, const Project& project, const Branch& branch, Connection direct) {
  const std::string endpoint = names::endpoint_name(project.name, branch);
  direct.host = fmt::format("{}.{}", endpoint, spec.proxy.domain);
  direct.port = names::k_proxy_service_pg_port;
  if (direct.pooler_port != 0) {
    direct.pooler_host = fmt::format("{}-pooler.{}", endpoint, spec.proxy.domain);
    direct.pooler_port = names::k_proxy_service_pg_port;
  }
  direct.sslmode = "require";
  return direct;
}

Connection pooler_connection(const Connection& c) {
  Connection out = c;
  out.port = c.pooler_port;
  if (!c.pooler_host.empty()) {
    out.host = c.pooler_host;
  }
  return out;
}

std::map<std::string, std::string> role_secret_data(const Connection& c, const std::string& password) {
  std::map<std::string, std::string> out = {{"username", c.user}, {"password", password},
                                            {"host", c.host},     {"port", std::to_string(c.port)},
                                            {"dbname", c.dbname}, {"uri", connection_uri(c, password)}};
  if (c.pooler_port != 0) {
    out["pooler-uri"] = connection_uri(pooler_connection(c), password);
  }
  return out;
}

std::map<std::string, std::string> role_secret_missing(const Connection& c,
                                                       const std::map<std::string, std::string>& have) {
  const auto pw = have.find("password");
  if (c.pooler_port == 0 || have.count("uri") == 0 || have.count("pooler-uri") != 0 || pw == have.end() ||
      pw->second.empty()) {
    return {};
  }
  return {{"pooler-uri", connection_uri(pooler_connection(c), pw->second)}};
}

std::string reserved_role(const std::string& name) {
  // compute_ctl has no list of its own (neon-connect.md 1.7): these exist in every compute or are
  // Postgres' own. cloud_admin is the superuser compute_ctl logs in as (compute_tools/src/compute.rs:592).
  static const std::map<std::string, std::string> k_reserved = {
      {"cloud_admin", "the compute's superuser, which compute_ctl logs in as"},
      {"neon_superuser", "the role compute_ctl makes every spec role a member of"},
      {"zenith_admin", "Neon's legacy superuser"},
      {"web_access", "Neon's console role"},
      {"postgres", "the PgBouncer admin user of the compute image"},
      {"public", "a Postgres keyword"},
      {"none", "a Postgres keyword"},
      {"current_user", "a Postgres keyword"},
      {"current_role", "a Postgres keyword"},
      {"session_user", "a Postgres keyword"},
  };
  if (auto it = k_reserved.find(name); it != k_reserved.end()) {
    return fmt::format("\"{}\" is reserved: {}", name, it->second);
  }
  for (const char* prefix : {"pg_", "databricks_"}) {
    if (name.rfind(prefix, 0) == 0) {
      return fmt::format("\"{}\" is reserved: names starting with {} belong to Postgres or Neon", name, prefix);
    }
  }
  return "";
}

std::string reserved_database(const std::string& name) {
  if (name == "postgres" || name == "template0" || name == "template1") {
    return fmt::format("\"{}\" is reserved: every compute has it already", name);
  }
  return "";
}

std::string bad_identifier(const std::string& name) {
  static const std::regex k_re(R"(^[a-z_][a-z0-9_-]*$)");
  if (name.size() > k_max_identifier) {
    return fmt::format("\"{}\" is too long: {} characters, Postgres keeps at most {}", name, name.size(),
                       k_max_identifier);
  }
  if (!std::regex_match(name, k_re)) {
    return fmt::format(
        "\"{}\" is not a valid name: use lowercase letters, digits, '_' and '-', starting with a "
        "letter or '_'",
        name);
  }
  return "";
}

void check_roles(const Project& project, const std::string& path,
                 const std::function<void(const std::string& path, const std::string& message)>& error) {
  for (std::size_t j = 0; j < project.branches.size(); ++j) {
    const Branch& b = project.branches[j];
    const std::string bp = fmt::format("{}.branches[{}]", path, j);
    if (b.roles) {
      std::set<std::string> names;
      std::map<std::string, std::string> secrets;  // Secret name -> role
      for (std::size_t i = 0; i < b.roles->size(); ++i) {
        const Role& r = (*b.roles)[i];
        const std::string rp = fmt::format("{}.roles[{}]", bp, i);
        if (r.name.empty()) {
          continue;  // the parser reported it
        }
        std::string why = bad_identifier(r.name);
        if (why.empty()) {
          why = reserved_role(r.name);
        }
        if (!why.empty()) {
          error(rp + ".name", why);
        } else if (!names.insert(r.name).second) {
          error(rp + ".name", fmt::format("role \"{}\" is listed twice", r.name));
        } else {
          const std::string secret = role_secret_name(project.name, b.name, r.name);
          if (auto [it, fresh] = secrets.emplace(secret, r.name); !fresh) {
            error(rp + ".name", fmt::format("roles \"{}\" and \"{}\" would share the password Secret \"{}\"",
                                            it->second, r.name, secret));
          }
        }
        check_options(r.options, rp, error);
      }
    }
    std::vector<std::string> role_names;
    for (const Role& r : effective_roles(project, b)) {
      role_names.push_back(r.name);
    }
    if (!b.databases) {
      // Own roles with inherited databases: the inherited owners must still be there.
      for (const Database& d : b.roles ? effective_databases(project, b) : std::vector<Database>{}) {
        if (std::find(role_names.begin(), role_names.end(), d.owner) == role_names.end()) {
          error(bp + ".roles", fmt::format("the inherited database \"{}\" is owned by \"{}\", which these roles do "
                                           "not list: list it, or give the branch its own databases",
                                           d.name, d.owner));
        }
      }
      continue;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < b.databases->size(); ++i) {
      const Database& d = (*b.databases)[i];
      const std::string dp = fmt::format("{}.databases[{}]", bp, i);
      if (!d.name.empty()) {
        std::string why = bad_identifier(d.name);
        if (why.empty()) {
          why = reserved_database(d.name);
        }
        if (!why.empty()) {
          error(dp + ".name", why);
        } else if (!names.insert(d.name).second) {
          error(dp + ".name", fmt::format("database \"{}\" is listed twice", d.name));
        }
      }
      if (!d.owner.empty() && std::find(role_names.begin(), role_names.end(), d.owner) == role_names.end()) {
        error(dp + ".owner", fmt::format("owner \"{}\" is not a role of branch \"{}\"{}", d.owner, b.name,
                                         role_names.empty() ? std::string(": the branch has no roles")
                                                            : suggestion_suffix(d.owner, role_names)));
      }
      check_options(d.options, dp, error);
    }
  }
}

}  // namespace neon::gen
