#include "generators/pooler.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <utility>

#include <fmt/format.h>

#include "generators/diagnostics.hpp"
#include "generators/members.hpp"
#include "generators/names.hpp"

namespace neon::gen {

namespace {

enum class Kind { integer, seconds, pool_mode, text };

/// PgBouncer's tuning settings (the bouncer_params table of pgbouncer's src/main.c) and the form of
/// their values: CF_INT, CF_TIME_USEC (seconds, fractions allowed), pool_mode's lookup, CF_STR. Only
/// keys PgBouncer has had since 1.21 at the latest (max_prepared_statements), so the compute image's
/// 1.24.1 (compute/compute-node.Dockerfile:1770) knows every one: PgBouncer refuses to start on a
/// key it does not know ("unknown parameter").
const std::map<std::string, Kind>& tunables() {
  static const std::map<std::string, Kind> k_tunables = {
      {"application_name_add_host", Kind::integer},
      {"autodb_idle_timeout", Kind::seconds},
      {"cancel_wait_timeout", Kind::seconds},
      {"client_idle_timeout", Kind::seconds},
      {"client_login_timeout", Kind::seconds},
      {"default_pool_size", Kind::integer},
      {"disable_pqexec", Kind::integer},
      {"dns_max_ttl", Kind::seconds},
      {"dns_nxdomain_ttl", Kind::seconds},
      {"dns_zone_check_period", Kind::seconds},
      {"idle_transaction_timeout", Kind::seconds},
      {"ignore_startup_parameters", Kind::text},
      {"listen_backlog", Kind::integer},
      {"log_connections", Kind::integer},
      {"log_disconnections", Kind::integer},
      {"log_pooler_errors", Kind::integer},
      {"log_stats", Kind::integer},
      {"max_client_conn", Kind::integer},
      {"max_db_connections", Kind::integer},
      {"max_packet_size", Kind::integer},
      {"max_prepared_statements", Kind::integer},
      {"max_user_connections", Kind::integer},
      {"min_pool_size", Kind::integer},
      {"pkt_buf", Kind::integer},
      {"pool_mode", Kind::pool_mode},
      {"query_timeout", Kind::seconds},
      {"query_wait_timeout", Kind::seconds},
      {"reserve_pool_size", Kind::integer},
      {"reserve_pool_timeout", Kind::seconds},
      {"sbuf_loopcnt", Kind::integer},
      {"server_check_delay", Kind::seconds},
      {"server_check_query", Kind::text},
      {"server_connect_timeout", Kind::seconds},
      {"server_fast_close", Kind::integer},
      {"server_idle_timeout", Kind::seconds},
      {"server_lifetime", Kind::seconds},
      {"server_login_retry", Kind::seconds},
      {"server_reset_query", Kind::text},
      {"server_reset_query_always", Kind::integer},
      {"server_round_robin", Kind::integer},
      {"stats_period", Kind::integer},
      {"suspend_timeout", Kind::seconds},
      {"tcp_defer_accept", Kind::integer},
      {"tcp_keepalive", Kind::integer},
      {"tcp_keepcnt", Kind::integer},
      {"tcp_keepidle", Kind::integer},
      {"tcp_keepintvl", Kind::integer},
      {"tcp_socket_buffer", Kind::integer},
      {"tcp_user_timeout", Kind::integer},
      {"track_extra_parameters", Kind::text},
      {"verbose", Kind::integer},
  };
  return k_tunables;
}

/// PgBouncer settings the generated ini owns, and why a spec may not set them.
const std::map<std::string, std::string>& managed() {
  static const std::string k_listen = "the pooler listens on port 6432 of every pod address";
  static const std::string k_auth =
      "clients log in with their role's password, checked against Postgres through cloud_admin";
  static const std::string k_files = "the pooler has no files but its ini; it logs to standard error";
  static const std::string k_tls = "the pooler speaks no TLS, as in Neon's own ini";
  static const std::string k_peers = "each compute's pooler runs alone, without peers";
  static const std::map<std::string, std::string> k_managed = {
      {"admin_users", k_auth},
      {"auth_dbname", k_auth},
      {"auth_file", k_auth},
      {"auth_hba_file", k_auth},
      {"auth_ident_file", k_auth},
      {"auth_ldap_options", k_auth},
      {"auth_query", k_auth},
      {"auth_type", k_auth},
      {"auth_user", k_auth},
      {"client_tls_ca_file", k_tls},
      {"client_tls_cert_file", k_tls},
      {"client_tls_ciphers", k_tls},
      {"client_tls_dheparams", k_tls},
      {"client_tls_ecdhcurve", k_tls},
      {"client_tls_key_file", k_tls},
      {"client_tls_protocols", k_tls},
      {"client_tls_sslmode", k_tls},
      {"conffile", k_files},
      {"job_name", k_files},
      {"listen_addr", k_listen},
      {"listen_port", k_listen},
      {"logfile", k_files},
      {"peer_id", k_peers},
      {"pidfile", k_files},
      {"resolv_conf", k_files},
      {"server_tls_ca_file", k_tls},
      {"server_tls_cert_file", k_tls},
      {"server_tls_ciphers", k_tls},
      {"server_tls_key_file", k_tls},
      {"server_tls_protocols", k_tls},
      {"server_tls_sslmode", k_tls},
      {"so_reuseport", k_listen},
      {"stats_users", k_auth},
      {"syslog", k_files},
      {"syslog_facility", k_files},
      {"syslog_ident", k_files},
      {"unix_socket_dir", k_files},
      {"unix_socket_group", k_files},
      {"unix_socket_mode", k_files},
      {"user", k_files},
  };
  return k_managed;
}

/// Why `value` is not a value of a setting of `kind`, or "".
std::string bad_value(Kind kind, const std::string& value) {
  static const std::regex k_integer(R"(^[0-9]{1,10}$)");
  static const std::regex k_seconds(R"(^[0-9]{1,10}(\.[0-9]{1,6})?$)");
  switch (kind) {
    case Kind::integer:
      return std::regex_match(value, k_integer) ? "" : "must be a whole number";
    case Kind::seconds:
      return std::regex_match(value, k_seconds) ? "" : "must be a number of seconds, e.g. 30 or 0.5";
    case Kind::pool_mode:
      return value == "session" || value == "transaction" || value == "statement"
                 ? ""
                 : "must be session, transaction or statement";
    case Kind::text:
      break;
  }
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
  if (!printable || value.size() > 1000) {
    return "must be one line of at most 1000 characters";
  }
  if (!value.empty() && (value.front() == ' ' || value.back() == ' ')) {
    return "must not start or end with a space";
  }
  return "";
}

constexpr const char* k_component = "compute";
constexpr const char* k_ini_key = "pgbouncer.ini";
constexpr const char* k_ini_dir = "/etc/pgbouncer";
constexpr const char* k_volume = "pooler-config";

}  // namespace

const std::vector<std::string>& pooler_setting_names() {
  static const std::vector<std::string> k_names = [] {
    std::vector<std::string> out;
    for (const auto& kv : tunables()) {
      out.push_back(kv.first);
    }
    return out;
  }();
  return k_names;
}

void check_pooler(const PoolerSpec& pooler, const std::string& path,
                  const std::function<void(const std::string& path, const std::string& message)>& error) {
  for (const auto& [name, value] : pooler.settings) {
    const std::string p = fmt::format("{}.settings.{}", path, name);
    const auto tunable = tunables().find(name);
    if (tunable != tunables().end()) {
      if (const std::string why = bad_value(tunable->second, value); !why.empty()) {
        error(p, fmt::format("\"{}\" {}", value, why));
      }
    } else if (const auto owned = managed().find(name); owned != managed().end()) {
      error(p, fmt::format("\"{}\" is set by kubectl-neon: {}", name, owned->second));
    } else {
      error(p,
            fmt::format("unknown pgbouncer setting \"{}\"{}", name, suggestion_suffix(name, pooler_setting_names())));
    }
  }
}

std::string pooler_ini(const ClusterSpec& spec, const PoolerSpec& pooler) {
  const bool ipv6 = spec.ip_family == IpFamily::ipv6;
  // compute/etc/pgbouncer.ini, key for key and in its order, but for the server address: the image's
  // file expects Postgres on localhost:5432 (line 6), ours listens on 55433; 127.0.0.1 (or ::1) rather
  // than `localhost`, which may resolve to the family Postgres does not listen on. compute_ctl's
  // pg_hba trusts both loopback addresses (neon-connect.md 1.6).
  std::vector<std::pair<std::string, std::string>> keys = {
      {"listen_port", std::to_string(names::k_compute_pooler_port)},
      {"listen_addr", ipv6 ? "*" : "0.0.0.0"},
      {"auth_type", "scram-sha-256"},
      {"auth_user", "cloud_admin"},
      {"auth_dbname", "postgres"},
      {"client_tls_sslmode", "disable"},
      {"server_tls_sslmode", "disable"},
      {"pool_mode", "transaction"},
      {"max_client_conn", "10000"},
      {"default_pool_size", "64"},
      {"max_prepared_statements", "0"},
      {"admin_users", "postgres"},
      {"unix_socket_dir", "/tmp/"},
      {"unix_socket_mode", "0777"},
      {"ignore_startup_parameters", "extra_float_digits"},
      {"pidfile", "/tmp/pgbouncer.pid"},
      {"log_connections", "0"},
      {"log_disconnections", "0"},
  };
  std::string out = fmt::format(
      "; PgBouncer of compute.pooler, generated by kubectl-neon: Neon's compute/etc/pgbouncer.ini with\n"
      "; Postgres at port {} and the spec's settings. Clients log in with their role's password\n"
      "; (SCRAM); PgBouncer reads the verifier from Postgres as cloud_admin, which the pod's loopback\n"
      "; trusts.\n"
      "[databases]\n"
      "*=host={} port={} auth_user=cloud_admin application_name=pgbouncer\n"
      "[pgbouncer]\n",
      names::k_compute_pg_port, ipv6 ? "::1" : "127.0.0.1", names::k_compute_pg_port);
  for (const auto& [key, value] : keys) {
    const auto set = pooler.settings.find(key);
    out += fmt::format("{}={}\n", key, set == pooler.settings.end() ? value : set->second);
  }
  for (const auto& [key, value] : pooler.settings) {
    const bool is_default =
        std::any_of(keys.begin(), keys.end(), [&key = key](const auto& kv) { return kv.first == key; });
    if (!is_default) {
      out += fmt::format("{}={}\n", key, value);
    }
  }
  return out;
}

std::string pooler_config_name(const std::string& project, const std::string& branch) {
  return names::compute_name(project, branch) + "-pooler";
}

Json pooler_config_map(const ClusterSpec& spec, const Project& project, const Branch& branch) {
  const std::string compute = names::compute_name(project.name, branch.name);
  Json meta = object_meta(pooler_config_name(project.name, branch.name), k_component, Wave::compute);
  // The name label stays a valid label value (at most 63 characters) for the longest names.
  meta["labels"] = common_labels(compute, k_component);
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", meta},
              {"data", Json{{k_ini_key, pooler_ini(spec, branch.compute.pooler)}}}};
}

void add_pooler_sidecar(const ClusterSpec& spec, const Project& project, const Branch& branch, const std::string& image,
                        Json& pod_meta, Json& pod_spec) {
  const std::string ini_path = fmt::format("{}/{}", k_ini_dir, k_ini_key);
  // The binary and the way Neon's VM image runs it (compute/vm-image-spec-bookworm.yaml:18-21):
  // `pgbouncer <ini>` in the foreground, as the image's postgres user.
  Json c{{"name", "pooler"},
         {"image", image},
         {"imagePullPolicy", "IfNotPresent"},
         {"command", Json::array({"/usr/local/bin/pgbouncer", ini_path})}};
  c["ports"] = Json::array({Json{{"name", "pooler"}, {"containerPort", names::k_compute_pooler_port}}});
  // The root filesystem is read-only: PgBouncer's pidfile and unix socket (the ini's /tmp) go in an
  // emptyDir of its own.
  c["volumeMounts"] = Json::array({Json{{"name", k_volume}, {"mountPath", k_ini_dir}, {"readOnly", true}},
                                   Json{{"name", "pooler-tmp"}, {"mountPath", "/tmp"}}});
  c["readinessProbe"] = Json{{"tcpSocket", Json{{"port", "pooler"}}}, {"periodSeconds", 5}, {"failureThreshold", 3}};
  c["resources"] = resources_json({}, Resources{{{"cpu", "50m"}, {"memory", "64Mi"}}, {{"memory", "256Mi"}}});
  c["securityContext"] = container_security_context();
  pod_spec["containers"].push_back(std::move(c));
  pod_spec["volumes"].push_back(
      Json{{"name", k_volume}, {"configMap", Json{{"name", pooler_config_name(project.name, branch.name)}}}});
  pod_spec["volumes"].push_back(Json{{"name", "pooler-tmp"}, {"emptyDir", Json{{"sizeLimit", "64Mi"}}}});
  pod_meta["annotations"][members::k_config_digest_annotation] =
      members::content_digest(pooler_ini(spec, branch.compute.pooler));
}

}  // namespace neon::gen
