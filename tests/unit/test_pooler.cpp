// Issue 15, the pooler: compute.pooler in the spec, the PgBouncer sidecar, its ini and Service port,
// and PgBouncer with that ini in front of a real Postgres.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

#include "generators/compute.hpp"
#include "generators/pooler.hpp"
#include "generators/validate.hpp"
#include "plugin/hook/hook_roles.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using neon::gen::Json;

namespace {

std::string starter() { return neon::test::read_text(fs::path(NEON_SOURCE_DIR) / "schemas/starters/dev.yaml"); }

/// The starter with `compute_yaml` (lines at the indent of `size:`) added to main's compute, and
/// a child branch `dev` after main with `dev_yaml` as its extra lines.
std::string with_pooler(const std::string& compute_yaml, const std::string& dev_yaml = "") {
  std::string s = starter();
  const std::string size = "            size: 0.25\n";
  const auto at = s.find(size);
  REQUIRE(at != std::string::npos);
  s.insert(at + size.size(), compute_yaml);
  const auto end = s.find("  gitops:\n");
  REQUIRE(end != std::string::npos);
  s.insert(end,
           "        - name: dev\n          timelineId: 5c3b0e1f2a4d4e6f8a9b0c1d2e3f4a5b\n"
           "          parent: main\n" +
               dev_yaml);
  return s;
}

neon::gen::ValidSpec load(const std::string& text) {
  auto loaded = neon::gen::load_spec(text, "neon.yaml");
  REQUIRE_MESSAGE(loaded.diagnostics.empty(),
                  (loaded.diagnostics.empty() ? "" : neon::gen::format_diagnostic(loaded.diagnostics[0])));
  REQUIRE(loaded.spec);
  return *loaded.spec;
}

std::string errors_of(const std::string& text) {
  std::string out;
  for (const auto& d : neon::gen::load_spec(text, "neon.yaml").diagnostics) {
    out += neon::gen::format_diagnostic(d) + "\n";
  }
  return out;
}

const Json* find(const neon::gen::ResourceSet& set, const std::string& kind, const std::string& name) {
  for (const auto& r : set) {
    if (r.kind() == kind && r.name() == name) {
      return &r.body;
    }
  }
  return nullptr;
}

const Json* container(const Json& deployment, const std::string& name) {
  for (const auto& c : deployment["spec"]["template"]["spec"]["containers"]) {
    if (c["name"] == name) {
      return &c;
    }
  }
  return nullptr;
}

bool has_port(const Json& service, const std::string& name, int port) {
  for (const auto& p : service["spec"]["ports"]) {
    if (p["name"] == name && p["port"] == port) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_SUITE("pooler") {
  TEST_CASE("compute.pooler: true or a map; per branch, not inherited") {
    const auto spec = load(with_pooler("            pooler: true\n"));
    const auto& branches = spec->projects[0].branches;
    CHECK(branches[0].compute.pooler.enabled);
    CHECK_FALSE(branches[1].compute.pooler.enabled);  // like size and readReplicas: the child's own
    const auto map =
        load(with_pooler("            pooler:\n              settings: {pool_mode: session, "
                         "default_pool_size: 20, server_reset_query: \"DISCARD ALL\"}\n",
                         "          compute:\n            pooler: {enabled: false}\n"));
    const auto& main = map->projects[0].branches[0].compute.pooler;
    CHECK(main.enabled);
    CHECK(main.settings == std::map<std::string, std::string>{{"default_pool_size", "20"},
                                                              {"pool_mode", "session"},
                                                              {"server_reset_query", "DISCARD ALL"}});
    CHECK_FALSE(map->projects[0].branches[1].compute.pooler.enabled);
  }

  TEST_CASE("bad pooler settings are validate errors at file:line:col") {
    const std::string errors = errors_of(with_pooler(
        "            pooler:\n              settings:\n                max_client_con: 10\n"
        "                auth_type: trust\n                query_timeout: 1m\n                verbose: yes\n",
        "          compute:\n            pooler: 1\n"));
    CHECK(errors.find("neon.yaml:55:33: error: spec.projects[0].branches[0].compute.pooler.settings.max_client_con: "
                      "unknown pgbouncer setting \"max_client_con\" (did you mean \"max_client_conn\"?)") !=
          std::string::npos);
    CHECK(errors.find("neon.yaml:56:28: error: spec.projects[0].branches[0].compute.pooler.settings.auth_type: "
                      "\"auth_type\" is set by kubectl-neon") != std::string::npos);
    CHECK(errors.find("compute.pooler.settings.query_timeout: \"1m\" must be a number of seconds") !=
          std::string::npos);
    CHECK(errors.find("compute.pooler.settings.verbose: \"yes\" must be a whole number") != std::string::npos);
    CHECK(errors.find("spec.projects[0].branches[1].compute.pooler: must be true or false, got \"1\"") !=
          std::string::npos);
  }

  TEST_CASE("the pooler is a sidecar from the compute image behind the Service port pooler") {
    const auto spec = load(with_pooler(
        "            readReplicas: 1\n            pooler:\n              settings: {default_pool_size: 20}\n"));
    const auto set = neon::gen::generate_computes(spec);
    const Json* primary = find(set, "Deployment", "compute-app-main");
    REQUIRE(primary != nullptr);
    const Json* compute = container(*primary, "compute");
    const Json* pooler = container(*primary, "pooler");
    REQUIRE(pooler != nullptr);
    CHECK((*pooler)["image"] == (*compute)["image"]);
    // The binary the image ships (compute/compute-node.Dockerfile:2006), run as Neon's VM image does
    // (compute/vm-image-spec-bookworm.yaml:21): compute_ctl never starts it.
    CHECK((*pooler)["command"] == Json::parse(R"(["/usr/local/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"])"));
    CHECK((*pooler)["ports"] == Json::parse(R"([{"name": "pooler", "containerPort": 6432}])"));
    CHECK((*pooler)["readinessProbe"]["tcpSocket"]["port"] == "pooler");
    CHECK((*pooler)["securityContext"] == (*compute)["securityContext"]);
    const Json& pod = (*primary)["spec"]["template"];
    const Json& volumes = pod["spec"]["volumes"];
    CHECK(std::find(volumes.begin(), volumes.end(),
                    Json::parse(R"({"name": "pooler-config", "configMap": {"name": "compute-app-main-pooler"}})")) !=
          volumes.end());
    // A read-only root filesystem: the ini's pidfile and unix_socket_dir (/tmp) are an emptyDir.
    CHECK((*pooler)["securityContext"]["readOnlyRootFilesystem"] == true);
    CHECK(std::find(volumes.begin(), volumes.end(),
                    Json::parse(R"({"name": "pooler-tmp", "emptyDir": {"sizeLimit": "64Mi"}})")) != volumes.end());
    CHECK(std::find((*pooler)["volumeMounts"].begin(), (*pooler)["volumeMounts"].end(),
                    Json::parse(R"({"name": "pooler-tmp", "mountPath": "/tmp"})")) != (*pooler)["volumeMounts"].end());
    CHECK(pod["metadata"]["annotations"].contains("kubectl-neon.io/config-digest"));
    CHECK(has_port(*find(set, "Service", "compute-app-main"), "pooler", 6432));
    // The read replica runs one too, in front of its own Postgres; both Services publish it.
    const Json* replica = find(set, "Deployment", "compute-app-main-ro-0");
    REQUIRE(replica != nullptr);
    CHECK(container(*replica, "pooler") != nullptr);
    CHECK(has_port(*find(set, "Service", "compute-app-main-ro-0"), "pooler", 6432));
    CHECK(has_port(*find(set, "Service", "compute-app-main-ro"), "pooler", 6432));
    const Json* ini = find(set, "ConfigMap", "compute-app-main-pooler");
    REQUIRE(ini != nullptr);
    CHECK((*ini)["metadata"]["labels"]["app.kubernetes.io/name"] == "compute-app-main");
    const std::string text = (*ini)["data"]["pgbouncer.ini"];
    CHECK(text.find("default_pool_size=20\n") != std::string::npos);
    CHECK(text.find("default_pool_size=64\n") == std::string::npos);
    // The branch without a pooler has none of it.
    const Json* dev = find(set, "Deployment", "compute-app-dev");
    REQUIRE(dev != nullptr);
    CHECK(container(*dev, "pooler") == nullptr);
    CHECK_FALSE((*dev)["spec"]["template"]["metadata"].contains("annotations"));
    CHECK_FALSE(has_port(*find(set, "Service", "compute-app-dev"), "pooler", 6432));
    CHECK(find(set, "ConfigMap", "compute-app-dev-pooler") == nullptr);
  }

  // compute/etc/pgbouncer.ini at Neon 6a35a3e9f149, line for line: the [pgbouncer] section is kept
  // (lines 8-32), the server moves from localhost:5432 (line 6) to our Postgres port.
  TEST_CASE("the ini is Neon's compute/etc/pgbouncer.ini pointed at port 55433") {
    const auto spec = load(with_pooler("            pooler: true\n"));
    const std::string ini = neon::gen::pooler_ini(spec.spec(), spec->projects[0].branches[0].compute.pooler);
    std::string body;
    for (std::size_t at = 0; at < ini.size();) {
      const auto nl = ini.find('\n', at);
      const std::string line = ini.substr(at, nl - at);
      if (line.rfind(';', 0) != 0) {
        body += line + "\n";
      }
      at = nl + 1;
    }
    CHECK(body ==
          "[databases]\n"
          "*=host=127.0.0.1 port=55433 auth_user=cloud_admin application_name=pgbouncer\n"
          "[pgbouncer]\n"
          "listen_port=6432\nlisten_addr=0.0.0.0\nauth_type=scram-sha-256\nauth_user=cloud_admin\n"
          "auth_dbname=postgres\nclient_tls_sslmode=disable\nserver_tls_sslmode=disable\npool_mode=transaction\n"
          "max_client_conn=10000\ndefault_pool_size=64\nmax_prepared_statements=0\nadmin_users=postgres\n"
          "unix_socket_dir=/tmp/\nunix_socket_mode=0777\nignore_startup_parameters=extra_float_digits\n"
          "pidfile=/tmp/pgbouncer.pid\nlog_connections=0\nlog_disconnections=0\n");
    // IPv6 pods: PgBouncer listens on every address, Postgres (listening on *) is reached at ::1.
    std::string v6 = with_pooler("            pooler: true\n");
    v6.insert(v6.find("spec:\n") + 6, "  ipFamily: IPv6\n");
    const auto spec6 = load(v6);
    const std::string ini6 = neon::gen::pooler_ini(spec6.spec(), spec6->projects[0].branches[0].compute.pooler);
    CHECK(ini6.find("*=host=::1 port=55433 ") != std::string::npos);
    CHECK(ini6.find("listen_addr=*\n") != std::string::npos);
  }

  // PgBouncer with the generated ini in front of Debian's Postgres, both as nobody on a temp folder:
  // a role with our SCRAM verifier logs in through the pooler (auth_user cloud_admin reads the
  // verifier over the trusted loopback, as in the compute, neon-connect.md 1.6), a wrong password
  // is refused. Only the file paths of the ini move into the temp folder, and Postgres' port.
  TEST_CASE("pgbouncer with the generated ini lets a role log in with its password" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("runuser");
    NEON_REQUIRE_TOOL("psql");
    NEON_REQUIRE_TOOL("pgbouncer");
    const auto pg = neon::test::postgres_bin();
    if (pg.on_path) {
      NEON_REQUIRE_TOOL("initdb");
      NEON_REQUIRE_TOOL("pg_ctl");
    }
    const std::string& initdb = pg.initdb;
    const std::string& pg_ctl = pg.pg_ctl;
    REQUIRE_MESSAGE(geteuid() == 0, "runs the servers as nobody: needs root to switch user");
    const fs::path dir(neon::test::world_writable_scratch("neon-pooler"));
    auto as_nobody = [&](std::vector<std::string> argv, std::map<std::string, std::string> env = {}) {
      argv.insert(argv.begin(), {"runuser", "-u", "nobody", "--"});
      return neon::test::run_process(argv, dir, env);
    };
    // Free ports for Postgres and PgBouncer: the test may run beside other servers.
    const int pg_port = 20000 + static_cast<int>(getpid() % 20000);
    const int pool_port = pg_port + 1;
    const std::string data = (dir / "data").string();
    auto init = as_nobody({initdb, "-D", data, "-A", "trust", "-U", "cloud_admin", "--no-sync"});
    REQUIRE_MESSAGE(init.exit == 0, init.err);
    // compute_ctl's pg_hba: loopback trusted, everything else by password (neon-connect.md 1.6).
    neon::test::write_text(dir / "data/pg_hba.conf",
                           "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
                           "host all all all md5\n");
    auto start = as_nobody({pg_ctl, "-D", data, "-w", "-l", (dir / "pg.log").string(), "-o",
                            "-k " + dir.string() + " -p " + std::to_string(pg_port) + " -c listen_addresses=127.0.0.1",
                            "start"});
    REQUIRE_MESSAGE(start.exit == 0, (start.err + neon::test::read_text(dir / "pg.log")));
    auto verifier = neon::cli::hook::role_verifier("correct horse", "app", "main", "app");
    REQUIRE(verifier);
    auto create =
        as_nobody({"psql", "-h", dir.string(), "-p", std::to_string(pg_port), "-U", "cloud_admin", "-d", "postgres",
                   "-v", "ON_ERROR_STOP=1", "-c", "CREATE ROLE app LOGIN PASSWORD '" + *verifier + "'"});
    CHECK_MESSAGE(create.exit == 0, create.err);

    const auto spec = load(with_pooler("            pooler:\n              settings: {log_connections: 1}\n"));
    std::string ini = neon::gen::pooler_ini(spec.spec(), spec->projects[0].branches[0].compute.pooler);
    auto set = [&](const std::string& pattern, const std::string& line) {
      const std::regex re(pattern);
      REQUIRE(std::regex_search(ini, re));
      ini = std::regex_replace(ini, re, line);
    };
    set("port=55433", "port=" + std::to_string(pg_port));
    set("listen_port=6432", "listen_port=" + std::to_string(pool_port));
    set("unix_socket_dir=/tmp/", "unix_socket_dir=" + dir.string());
    set("pidfile=/tmp/pgbouncer.pid", "pidfile=" + (dir / "pgbouncer.pid").string());
    // Debian 12 ships PgBouncer 1.18, the image 1.24.1: these two keys came in 1.19 and 1.21, and an
    // older PgBouncer refuses a key it does not know.
    const auto version = neon::test::run_process({"pgbouncer", "--version"});
    std::smatch m;
    REQUIRE(std::regex_search(version.out, m, std::regex(R"(PgBouncer 1\.(\d+))")));
    const int minor = std::stoi(m[1]);
    if (minor < 19) {
      set("auth_dbname=postgres\n", "");
    }
    if (minor < 21) {
      set("max_prepared_statements=0\n", "");
    }
    neon::test::write_text(dir / "pgbouncer.ini", ini);
    auto bouncer = as_nobody({"pgbouncer", "-d", (dir / "pgbouncer.ini").string()});
    REQUIRE_MESSAGE(bouncer.exit == 0, (bouncer.err + bouncer.out));
    auto login = [&](const std::string& password) {
      return as_nobody({"psql", "-h", "127.0.0.1", "-p", std::to_string(pool_port), "-U", "app", "-d", "postgres", "-w",
                        "-tAc", "select current_user, inet_server_port()"},
                       {{"PGPASSWORD", password}});
    };
    auto good = login("correct horse");
    // PgBouncer still starting: on a loaded machine that takes seconds.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (good.exit != 0 && good.err.find("authentication") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      good = login("correct horse");
    }
    CHECK_MESSAGE(good.exit == 0, good.err);
    CHECK(good.out == "app|" + std::to_string(pg_port) + "\n");  // in at PgBouncer's port, Postgres behind it
    const auto bad = login("wrong horse");
    CHECK(bad.exit != 0);
    CHECK(bad.err.find("authentication failed") != std::string::npos);
    const std::string pid = neon::test::read_text(dir / "pgbouncer.pid");
    if (!pid.empty()) {
      kill(static_cast<pid_t>(std::stol(pid)), SIGTERM);
    }
    as_nobody({pg_ctl, "-D", data, "-m", "immediate", "stop"});
    fs::remove_all(dir);
  }
}
