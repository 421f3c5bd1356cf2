// The JSON Schema (schemas/neon-cluster.schema.json, used by editors and by `kubectl neon schema`)
// and the C++ parser must describe the same spec: the same keys in the same objects, and the same
// verdict on every file of the corpus, judged by an independent validator (ajv, through node).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/pooler.hpp"
#include "generators/spec_parse.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

extern char** environ;

namespace fs = std::filesystem;
using neon::test::source_dir;

namespace {

struct SchemaTable {
  std::set<std::string> keys;
  std::set<std::string> required;
};

const nlohmann::json& resolve(const nlohmann::json& root, const nlohmann::json& node) {
  if (node.contains("$ref")) {
    const std::string ref = node["$ref"].get<std::string>();
    REQUIRE(ref.rfind("#/definitions/", 0) == 0);
    const std::string name = ref.substr(14);
    REQUIRE(root["definitions"].contains(name));
    return resolve(root, root["definitions"][name]);
  }
  return node;
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

/// Every object with `properties` in the schema, keyed the way the parser names its tables
/// ("spec.projects[].branches[]").
void collect(const nlohmann::json& root, const nlohmann::json& raw, const std::string& path,
             std::map<std::string, SchemaTable>& out) {
  const nlohmann::json& node = resolve(root, raw);
  if (node.contains("properties")) {
    SchemaTable t;
    for (const auto& [k, v] : node["properties"].items()) {
      t.keys.insert(k);
      collect(root, v, join(path, k), out);
    }
    if (node.contains("required")) {
      for (const auto& r : node["required"]) {
        t.required.insert(r.get<std::string>());
      }
    }
    out[path] = t;
  }
  if (node.contains("items")) {
    collect(root, node["items"], path + "[]", out);
  }
  // A value of several shapes (compute.pooler: a boolean or an object): each object shape's keys.
  if (node.contains("oneOf")) {
    for (const auto& alternative : node["oneOf"]) {
      collect(root, alternative, path, out);
    }
  }
}

nlohmann::json load_schema() {
  return nlohmann::json::parse(neon::test::read_text(source_dir() / "schemas/neon-cluster.schema.json"));
}

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Runs `node check-manifests.mjs -` in `dir` with standard input a pipe whose reading end is
/// non-blocking (as a Go program such as kubectl may leave it): `first` is written at once, `rest`
/// only once the checker has drained the pipe and found it empty, then the pipe is closed.
/// Returns the exit status; `out` receives standard output and error.
int check_manifests_from_late_pipe(const fs::path& dir, const fs::path& scratch, const std::string& first,
                                   const std::string& rest, std::string& out) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  REQUIRE(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
  const std::string out_file = (scratch / "out.txt").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  const std::string cwd = dir.string();
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  std::vector<std::string> args = {"node", "check-manifests.mjs", "-"};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "node", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[0]);
  REQUIRE(rc == 0);
  auto write_all = [&](const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
      const ssize_t n = write(fds[1], text.data() + done, text.size() - done);
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  };
  write_all(first);
  // Wait (at most 60 s) until the checker has read everything so far: its next read finds the
  // pipe empty, which is where readFileSync(0) failed with EAGAIN.
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 6000; ++i) {
    int pending = 0;
    REQUIRE(ioctl(fds[1], FIONREAD, &pending) == 0);
    if (pending == 0 || (exited = waitpid(pid, &status, WNOHANG) == pid)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!exited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    signal(SIGPIPE, SIG_IGN);
    if (waitpid(pid, &status, WNOHANG) != pid) {
      write_all(rest);
      close(fds[1]);
      REQUIRE(waitpid(pid, &status, 0) == pid);
    } else {
      close(fds[1]);
    }
  } else {
    close(fds[1]);
  }
  out = neon::test::read_text(out_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Invalid cases whose only faults are rules across fields, or rules a JSON Schema cannot say
// (uniqueness by one field, references between list items, cycles), so ajv accepts them. Each
// entry says why the schema cannot catch it.
const std::map<std::string, std::string> k_cross_field_only = {
    {"auth-few-safekeepers", "three safekeepers are required only when auth.enabled is true"},
    {"auth-without-secrets", "Secret names are required only when auth.enabled is true"},
    {"branch-point-without-parent", "lsn/timestamp need a parent: a dependency between sibling keys"},
    {"credentials-both", "secretRef and workloadIdentity exclude each other"},
    {"credentials-missing", "credentials are required unless workload identity is used"},
    {"database-both", "inCluster: true and secretRef exclude each other"},
    {"database-not-in-cluster", "inCluster: false needs a secretRef"},
    {"duplicate-branch-names", "uniqueness of one field across list items"},
    {"duplicate-project-names", "uniqueness of one field across list items"},
    {"duplicate-tenant-ids", "uniqueness of one field across list items"},
    {"duplicate-timeline-ids", "uniqueness across nested lists"},
    {"gitops-without-repo", "repoURL is required only for argocd and flux"},
    {"lsn-and-timestamp", "lsn and timestamp exclude each other"},
    {"minio-without-images", "MinIO images are required only with objectStorage.minio"},
    {"missing-parent", "a parent must name another item of the list"},
    {"parent-cycle", "parent references must form no cycle"},
    {"pg-version-without-image", "pgVersion must have a matching key in images.compute"},
    {"prod-auth-off", "auth is mandatory only with profile prod"},
    {"prod-in-cluster-db", "the in-cluster database is forbidden only with profile prod"},
    {"prod-two-safekeepers", "three safekeepers are required only with profile prod"},
    {"roles-owner-not-listed", "a database owner must name a role of the branch (or of its parent, inherited)"},
    {"self-parent", "a parent must differ from the branch's own name"},
    {"timeline-equals-tenant", "IDs must be distinct across projects and branches"},
    {"workload-identity-minio", "workload identity cannot be used with MinIO; annotations must be non-empty"},
    {"zones-mismatch", "safekeeper zones must be a subset of pageserver zones"},
    {"zones-one-side", "zones are set on both member kinds or on neither"},
};

}  // namespace

TEST_SUITE("schema-agreement") {
  TEST_CASE("the schema's property names equal the parser's key tables") {
    const auto schema = load_schema();
    std::map<std::string, SchemaTable> tables;
    collect(schema, schema, "", tables);

    // Maps the parser reads as free-form string maps and checks against lists of its own.
    const std::set<std::string> k_resource_names = {"cpu", "memory", "ephemeral-storage"};
    const std::set<std::string> tenant_keys(neon::gen::tenant_config_keys().begin(),
                                            neon::gen::tenant_config_keys().end());
    std::size_t tenant_objects = 0;
    for (auto it = tables.begin(); it != tables.end();) {
      const std::string& p = it->first;
      const bool resource_list = p.size() > 9 && (p.substr(p.size() - 9) == ".requests" ||
                                                  (p.size() > 7 && p.substr(p.size() - 7) == ".limits"));
      if (resource_list) {
        CAPTURE(p);
        CHECK(it->second.keys == k_resource_names);
        it = tables.erase(it);
      } else if (p == "spec.projects[].tenantConfig") {
        CHECK(it->second.keys == tenant_keys);
        it = tables.erase(it);
      } else if (p.rfind("spec.projects[].tenantConfig.", 0) == 0) {
        // The tenantConfig values that are objects (eviction_policy, ...): their fields.
        CAPTURE(p);
        const auto& objects = neon::gen::tenant_config_object_fields();
        const auto found = objects.find(p.substr(std::string("spec.projects[].tenantConfig.").size()));
        REQUIRE(found != objects.end());
        CHECK(it->second.keys == std::set<std::string>(found->second.begin(), found->second.end()));
        ++tenant_objects;
        it = tables.erase(it);
      } else {
        ++it;
      }
    }
    CHECK(tenant_objects == neon::gen::tenant_config_object_fields().size());

    std::set<std::string> parser_paths;
    for (const auto& t : neon::gen::spec_key_tables()) {
      CAPTURE(t.path);
      parser_paths.insert(t.path);
      const auto found = tables.find(t.path);
      REQUIRE_MESSAGE(found != tables.end(), "the schema has no object at " << t.path);
      const std::set<std::string> keys(t.keys.begin(), t.keys.end());
      const std::set<std::string> required(t.required.begin(), t.required.end());
      CHECK(found->second.keys == keys);
      CHECK(found->second.required == required);
      CHECK(keys.size() == t.keys.size());  // no key listed twice
    }
    for (const auto& [path, t] : tables) {
      CAPTURE(path);
      CHECK_MESSAGE(parser_paths.count(path) == 1, "the parser has no key table for " << path);
    }
  }

  TEST_CASE("the schema lists the pgbouncer settings compute.pooler accepts") {
    const auto schema = load_schema();
    const auto& compute = schema["properties"]["spec"]["properties"]["projects"]["items"]["properties"]["branches"]
                                ["items"]["properties"]["compute"]["properties"];
    const auto& object_shape = compute["pooler"]["oneOf"][1];
    REQUIRE(object_shape["type"] == "object");
    const auto names = object_shape["properties"]["settings"]["propertyNames"]["enum"].get<std::vector<std::string>>();
    CHECK(names == neon::gen::pooler_setting_names());
  }

  TEST_CASE("ajv and the parser agree on every spec of the corpus" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("node");
    const fs::path checker = source_dir() / "tests/schema-check/check-spec.mjs";
    REQUIRE_MESSAGE(fs::exists(source_dir() / "tests/schema-check/node_modules/ajv"),
                    "run 'npm ci --prefix tests/schema-check' first (tests/run.sh does)");

    std::vector<fs::path> files = yaml_files(source_dir() / "schemas/examples");
    const auto starters = yaml_files(source_dir() / "schemas/starters");
    const auto invalid = yaml_files(source_dir() / "tests/golden/specs/invalid");
    files.insert(files.end(), starters.begin(), starters.end());
    files.insert(files.end(), invalid.begin(), invalid.end());

    std::vector<std::string> argv = {"node", checker.string()};
    for (const auto& f : files) {
      argv.push_back(f.string());
    }
    const auto r = neon::test::run_process(argv);
    REQUIRE_MESSAGE(r.err.empty(), r.err);
    REQUIRE((r.exit == 0 || r.exit == 1));

    std::map<std::string, bool> ajv_valid;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("valid ", 0) == 0) {
        ajv_valid[line.substr(6)] = true;
      } else if (line.rfind("invalid ", 0) == 0) {
        const auto colon = line.find(": ", 8);
        ajv_valid[line.substr(8, colon - 8)] = false;
      }
    }
    REQUIRE(ajv_valid.size() == files.size());

    std::set<std::string> listed_seen;
    for (const auto& f : files) {
      CAPTURE(f);
      REQUIRE(ajv_valid.count(f.string()) == 1);
      const bool schema_ok = ajv_valid[f.string()];
      const bool parser_ok = neon::gen::load_spec(neon::test::read_text(f), f.string()).spec.has_value();
      const std::string name = f.stem().string();
      const bool is_invalid_case = f.parent_path().filename() == "invalid";
      CHECK(parser_ok == !is_invalid_case);
      if (is_invalid_case && k_cross_field_only.count(name) != 0) {
        listed_seen.insert(name);
        CHECK_MESSAGE(schema_ok, name << " is listed as cross-field only, but the schema rejects it: drop it from "
                                         "the list");
      } else {
        CHECK_MESSAGE(schema_ok == parser_ok, "ajv says " << (schema_ok ? "valid" : "invalid") << ", the parser says "
                                                          << (parser_ok ? "valid" : "invalid"));
      }
    }
    CHECK(listed_seen.size() == k_cross_field_only.size());
  }
}

TEST_SUITE("schema-check") {
  TEST_CASE("check-manifests reports ok, error, unchecked and skips kustomize files" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("node");
    REQUIRE_MESSAGE(fs::exists(source_dir() / "tests/schema-check/node_modules/kubernetes-models"),
                    "run 'npm ci --prefix tests/schema-check' first (tests/run.sh does)");
    const fs::path dir = source_dir() / "tests/schema-check";
    auto run = [&](const std::vector<std::string>& args) {
      std::vector<std::string> argv = {"node", "check-manifests.mjs"};
      argv.insert(argv.end(), args.begin(), args.end());
      return neon::test::run_process(argv, dir);
    };

    auto r = run({"testdata/good"});
    CHECK(r.exit == 0);
    CHECK(r.out.find("skipped testdata/good/kustomization.yaml#1 kustomize.config.k8s.io/v1beta1 Kustomization") !=
          std::string::npos);
    CHECK(r.out.find("ok testdata/good/workloads.yaml#1 apps/v1 StatefulSet pageserver\n") != std::string::npos);
    CHECK(r.out.find("ok testdata/good/workloads.yaml#3 argoproj.io/v1alpha1 Application neon\n") != std::string::npos);
    CHECK(r.out.find("ok testdata/good/workloads.yaml#5 kustomize.toolkit.fluxcd.io/v1 Kustomization neon\n") !=
          std::string::npos);
    CHECK(r.out.find("ok testdata/good/workloads.yaml#6 monitoring.coreos.com/v1 ServiceMonitor") != std::string::npos);
    CHECK(r.out.find("error") == std::string::npos);

    r = run({"testdata/bad"});
    CHECK(r.exit == 1);
    CHECK(r.out.find("/spec/replicaz (line 5): unknown field") != std::string::npos);
    CHECK(r.out.find("/spec/template/spec/containers/0/livenessProbe/periodSecond (line 14): unknown field") !=
          std::string::npos);
    CHECK(r.out.find("/spec/ports/0/port (line 6): must be integer") != std::string::npos);
    CHECK(r.out.find("/spec/containers (line 12): is required") != std::string::npos);
    // Known fields of the same objects are not reported.
    CHECK(r.out.find("imagePullPolicy") == std::string::npos);
    CHECK(r.out.find("/metadata") == std::string::npos);

    r = run({"testdata/unchecked"});
    CHECK(r.exit == 0);
    CHECK(r.out.find("unchecked testdata/unchecked/secrets.yaml#1 external-secrets.io/v1 ExternalSecret") !=
          std::string::npos);
    CHECK(r.out.find("unchecked testdata/unchecked/secrets.yaml#2 bitnami.com/v1alpha1 SealedSecret") !=
          std::string::npos);
    CHECK(run({"--fail-on-unchecked", "testdata/unchecked"}).exit == 1);

    // Standard input, an empty stream and a missing file.
    r = neon::test::run_process({"node", "check-manifests.mjs", "-"}, dir, {},
                                "apiVersion: v1\nkind: Namespace\nmetadata: {name: neon}\n");
    CHECK(r.exit == 0);
    CHECK(r.out == "ok <stdin>#1 v1 Namespace neon\n");
    r = neon::test::run_process({"node", "check-manifests.mjs", "-"}, dir, {}, "\n");
    CHECK(r.exit == 1);
    CHECK(run({"--allow-empty", "-"}).exit == 0);
    CHECK(run({"no-such-dir"}).exit == 2);
    CHECK(run({}).exit == 2);
  }

  // `kubectl kustomize DIR | node check-manifests.mjs -` on Debian 12's Node.js 18 failed with
  // EAGAIN: readFileSync(0) gives up on a non-blocking pipe that is momentarily empty.
  TEST_CASE("check-manifests reads standard input from a non-blocking pipe that fills late" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("node");
    REQUIRE(fs::exists(source_dir() / "tests/schema-check/node_modules/kubernetes-models"));
    neon::test::ScratchDir tmp("late-pipe");
    std::string out;
    const int exit = check_manifests_from_late_pipe(
        source_dir() / "tests/schema-check", tmp.path(), "apiVersion: v1\nkind: Namespace\nmetadata: {name: first}\n",
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: second}\n", out);
    CHECK_MESSAGE(exit == 0, out);
    CHECK(out.find("ok <stdin>#1 v1 Namespace first\n") != std::string::npos);
    CHECK(out.find("ok <stdin>#2 v1 Namespace second\n") != std::string::npos);
    CHECK(out.find("EAGAIN") == std::string::npos);
  }
}
