// Issue 15, applications connect: roles and databases in the spec, their SCRAM verifiers in the
// compute spec, and the password Secrets the hook reads.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "generators/computes.hpp"
#include "generators/roles.hpp"
#include "generators/spec_edit.hpp"
#include "generators/validate.hpp"
#include "plugin/hook/hook_roles.hpp"
#include "plugin/hook/hook_spec.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace fs = std::filesystem;
using namespace neon::cli::hook;

namespace {

fs::path source_dir() { return fs::path(NEON_SOURCE_DIR); }

std::string starter() { return neon::test::read_text(source_dir() / "schemas/starters/dev.yaml"); }

/// The starter with `branches:` of project app replaced by `branches_yaml`.
std::string with_branches(const std::string& branches_yaml) {
  std::string s = starter();
  const auto at = s.find("      branches:\n");
  const auto end = s.find("  gitops:\n");
  REQUIRE(at != std::string::npos);
  REQUIRE(end != std::string::npos);
  return s.substr(0, at) + "      branches:\n" + branches_yaml + s.substr(end);
}

std::string errors_of(const std::string& text) {
  std::string out;
  for (const auto& d : neon::gen::load_spec(text, "neon.yaml").diagnostics) {
    out += neon::gen::format_diagnostic(d) + "\n";
  }
  return out;
}

}  // namespace

TEST_SUITE("connect") {
  // Vectors of neon-connect.md 1.5 (B is the RFC 7677 section 3 exchange); the format is the one
  // proxy/src/scram/secret.rs:32-50 parses and compute_tools/src/pg_helpers.rs:146-167 passes on.
  TEST_CASE("the SCRAM-SHA-256 verifier matches the reference vectors") {
    std::string salt_a;
    for (int i = 0; i < 16; ++i) {
      salt_a.push_back(static_cast<char>(i));
    }
    auto a = scram_verifier("s3cret", salt_a, 4096);
    REQUIRE(a);
    CHECK(*a ==
          "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$gJ4pC97thnuVQBJdGIO+xGHlnKL1Zx2S+230NRJ3HR8=:"
          "KGKxEt3VINf+beX/v4NCNbxlZg8u9RrT3JVaR+py5ig=");
    const std::string salt_b("\x5b\x6d\x99\x68\x9d\x12\x35\x8e\xec\xa0\x4b\x14\x12\x36\xfa\x81", 16);
    auto b = scram_verifier("pencil", salt_b, 4096);
    REQUIRE(b);
    CHECK(*b ==
          "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
          "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
  }

  TEST_CASE("the same password gives the same verifier; the salt differs per role and branch") {
    auto one = role_verifier("pw", "app", "main", "app");
    auto again = role_verifier("pw", "app", "main", "app");
    auto other_role = role_verifier("pw", "app", "main", "report");
    auto other_branch = role_verifier("pw", "app", "dev", "app");
    REQUIRE((one && again && other_role && other_branch));
    CHECK(*one == *again);
    CHECK(one->substr(0, 43) != other_role->substr(0, 43));
    CHECK(one->substr(0, 43) != other_branch->substr(0, 43));
    CHECK(one->find("pw") == std::string::npos);
  }

  TEST_CASE("roles are inherited from the parent unless the branch lists its own") {
    auto res = neon::gen::load_spec(with_branches("        - name: main\n"
                                                  "          timelineId: 0eb4f5ec83a41a90e2cd41c5d9912de6\n"
                                                  "          roles: [{name: app}, {name: report_ro}]\n"
                                                  "          databases: [{name: app, owner: app}]\n"
                                                  "        - name: dev\n"
                                                  "          timelineId: 1eb4f5ec83a41a90e2cd41c5d9912de6\n"
                                                  "          parent: main\n"
                                                  "        - name: qa\n"
                                                  "          timelineId: 2eb4f5ec83a41a90e2cd41c5d9912de6\n"
                                                  "          parent: dev\n"
                                                  "          roles: [{name: app}]\n"),
                                    "neon.yaml");
    REQUIRE_MESSAGE(res.spec, errors_of(starter()));
    const auto file = neon::gen::computes_file(*res.spec);
    REQUIRE(file.compute("app-dev") != nullptr);
    CHECK(file.compute("app-dev")->roles.size() == 2);
    CHECK(file.compute("app-dev")->roles[1]["secret"] == "app-dev-report-ro");
    CHECK(file.compute("app-qa")->roles.size() == 1);
    CHECK(file.compute("app-qa")->databases.size() == 1);  // databases inherited on their own
    auto back = neon::gen::parse_computes(neon::gen::to_json(file).dump());
    REQUIRE(back);
    CHECK(back->compute("app-dev")->roles == file.compute("app-dev")->roles);
  }

  TEST_CASE("bad roles and databases are validate errors at file:line:col") {
    const std::string errs =
        errors_of(with_branches("        - name: main\n"
                                "          timelineId: 0eb4f5ec83a41a90e2cd41c5d9912de6\n"
                                "          roles:\n"
                                "            - name: cloud_admin\n"
                                "            - name: " +
                                std::string(64, 'a') +
                                "\n"
                                "            - name: app\n"
                                "              options: [{name: \"CONNECTION LIMIT\", value: \"5; DROP\", vartype: "
                                "integer}]\n"
                                "          databases:\n"
                                "            - {name: app, owner: ap}\n"
                                "        - name: dev\n"
                                "          timelineId: 1eb4f5ec83a41a90e2cd41c5d9912de6\n"
                                "          parent: main\n"
                                "          roles: [{name: other}]\n"));
    CHECK(errs.find("roles[0].name: \"cloud_admin\" is reserved") != std::string::npos);
    CHECK(errs.find("is too long: 64 characters, Postgres keeps at most 63") != std::string::npos);
    CHECK(errs.find("owner \"ap\" is not a role of branch \"main\" (did you mean \"app\"?)") != std::string::npos);
    CHECK(errs.find("must be a plain token for vartype integer") != std::string::npos);
    CHECK(errs.find("the inherited database \"app\" is owned by \"ap\"") != std::string::npos);
    CHECK(errs.find("neon.yaml:") == 0);
  }

  TEST_CASE("project create and branch create write --role and --database into the spec") {
    neon::gen::NewProject p;
    p.name = "billing";
    p.tenant_id = std::string(32, '5');
    p.main_timeline_id = std::string(32, '6');
    p.roles = {"app", "report_ro"};
    p.databases = {"app", "reports:report_ro"};
    auto edited = neon::gen::add_project(starter(), p);
    REQUIRE_MESSAGE(edited, edited.error().message);
    CHECK(edited->find("          roles: [{name: app}, {name: report_ro}]\n"
                       "          databases: [{name: app, owner: app}, {name: reports, owner: report_ro}]\n") !=
          std::string::npos);
    neon::gen::NewBranch b;
    b.project = "billing";
    b.name = "dev";
    b.timeline_id = std::string(32, '7');
    b.roles = {"tester"};
    b.databases = {"t"};
    auto with_branch = neon::gen::add_branch(*edited, b);
    REQUIRE(with_branch);
    auto res = neon::gen::load_spec(*with_branch, "neon.yaml");
    REQUIRE_MESSAGE(res.spec, errors_of(*with_branch));
    const auto file = neon::gen::computes_file(*res.spec);
    CHECK(file.compute("billing-dev")->databases[0]["owner"] == "tester");
    b.roles = {"cloud admin"};
    auto bad = neon::gen::add_branch(*edited, b);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("--role \"cloud admin\" is not a valid name") == 0);
    b.roles = {};
    b.databases = {"x"};
    CHECK(neon::gen::add_branch(*edited, b).error().message.find("no owner") != std::string::npos);
  }

  TEST_CASE("the compute spec carries the roles with verifiers and the databases") {
    neon::gen::ComputeEntry c;
    c.compute_id = "app-main";
    c.tenant_id = std::string(32, 'a');
    c.timeline_id = std::string(32, 'b');
    c.roles = neon::gen::Json::array({{{"name", "app"}, {"options", nullptr}, {"secret", "app-main-app"}}});
    c.databases = neon::gen::Json::array({{{"name", "app"}, {"owner", "app"}, {"options", nullptr}}});
    neon::gen::ComputesFile file;
    file.computes.push_back(c);
    neon::test::ScratchDir tmp("connect-book");
    PasswordBook book(tmp.path().string(), file);
    std::vector<std::string> problems;
    CHECK(book.refresh(problems).empty());
    REQUIRE(problems.size() == 1);  // no Secret yet: said once, the role gets no password
    CHECK(problems[0].find("Secret app-main-app is missing") != std::string::npos);
    CHECK(book.roles(c)[0]["encrypted_password"].is_null());
    neon::test::write_text(tmp / "app-main-app", "first-password");
    problems.clear();
    CHECK(book.refresh(problems) == std::vector<std::string>{"app-main-app"});
    const Json spec = build_spec(c, Placement{}, SafekeeperSet{}, std::nullopt, book.roles(c));
    const std::string verifier = spec["cluster"]["roles"][0]["encrypted_password"];
    CHECK(verifier == *role_verifier("first-password", "", "", "app"));
    CHECK(spec["cluster"]["databases"] == Json::parse(R"([{"name":"app","owner":"app","options":null}])"));
    CHECK(spec.dump().find("first-password") == std::string::npos);
    CHECK(book.refresh(problems).empty());  // unchanged: nothing to reconfigure
    fs::remove(tmp / "app-main-app");       // the Secret vanishes: the last verifier stays
    CHECK(book.refresh(problems).empty());
    CHECK(book.roles(c)[0]["encrypted_password"] == verifier);
    CHECK(problems.back().find("keeping the last password") != std::string::npos);
    CHECK(book.redact("x " + verifier + " y") == "x <redacted> y");
  }

  // The verifier logs in to a real Postgres: Debian's server, started as nobody on a temp folder.
  TEST_CASE("a Postgres role with our verifier accepts the password and refuses another" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("runuser");
    NEON_REQUIRE_TOOL("psql");
    const auto pg = neon::test::postgres_bin();
    if (pg.on_path) {
      NEON_REQUIRE_TOOL("initdb");
      NEON_REQUIRE_TOOL("pg_ctl");
    }
    const std::string& initdb = pg.initdb;
    const std::string& pg_ctl = pg.pg_ctl;
    REQUIRE_MESSAGE(geteuid() == 0, "runs the server as nobody: needs root to switch user");
    const fs::path dir(neon::test::world_writable_scratch("neon-scram"));
    const std::string data = (dir / "data").string();
    auto as_nobody = [&](std::vector<std::string> argv, std::map<std::string, std::string> env = {}) {
      argv.insert(argv.begin(), {"runuser", "-u", "nobody", "--"});
      return neon::test::run_process(argv, dir, env);
    };
    auto init = as_nobody({initdb, "-D", data, "-A", "trust", "-U", "nobody", "--no-sync"});
    REQUIRE_MESSAGE(init.exit == 0, init.err);
    neon::test::write_text(dir / "data/pg_hba.conf", "local all nobody trust\nlocal all all scram-sha-256\n");
    auto start = as_nobody({pg_ctl, "-D", data, "-w", "-l", (dir / "log").string(), "-o",
                            "-k " + dir.string() + " -c listen_addresses=''", "start"});
    REQUIRE_MESSAGE(start.exit == 0, (start.err + neon::test::read_text(dir / "log")));
    auto verifier = role_verifier("correct horse", "app", "main", "app");
    REQUIRE(verifier);
    auto create = as_nobody({"psql", "-h", dir.string(), "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
                             "CREATE ROLE app LOGIN PASSWORD '" + *verifier + "'"});
    CHECK_MESSAGE(create.exit == 0, create.err);
    auto login = [&](const std::string& password) {
      return as_nobody({"psql", "-h", dir.string(), "-U", "app", "-d", "postgres", "-w", "-tAc", "select 42"},
                       {{"PGPASSWORD", password}});
    };
    const auto good = login("correct horse");
    CHECK_MESSAGE(good.exit == 0, good.err);
    CHECK(good.out == "42\n");
    const auto bad = login("wrong horse");
    CHECK(bad.exit != 0);
    CHECK(bad.err.find("password authentication failed") != std::string::npos);
    as_nobody({pg_ctl, "-D", data, "-m", "immediate", "stop"});
    fs::remove_all(dir);
  }
}
