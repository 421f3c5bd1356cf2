// kubectl neon report against the fake Kubernetes API (Secrets, pods, events, StatefulSets,
// Deployments, pods/log, the service proxy to the hook's /metrics) and the fake storage controller;
// the archive is read back with the system tar.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "plugin/adapters/base64.hpp"
#include "tests/support/logs_rig.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

namespace {

namespace fs = std::filesystem;
using neon::test::k_tenant_a;
using neon::test::LogsRig;
using neon::test::MetricsServer;
using neon::test::read_text;
using neon::test::run_cli;
using neon::test::run_process;
using Strings = std::vector<std::string>;

/// The admin token the report authenticates with, shaped like the real one (an EdDSA JWT).
const std::string k_admin_jwt =
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzY29wZSI6ImFkbWluIn0.c2lnbmF0dXJlLW9mLXRoZS1hZG1pbi10b2tlbg";
const std::string k_s3_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const std::string k_pageserver_jwt =
    "eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6InBhZ2VzZXJ2ZXJhcGkifQ.cGFnZXNlcnZlci10b2tlbi1zaWduYXR1cmU";

/// The rig with the things a bundle must not leak: Secrets holding tokens and keys, and log lines
/// that quote them.
struct ReportRig : LogsRig {
  MetricsServer metrics{"# TYPE hook_notify_total counter\nhook_notify_total{kind=\"attach\"} 3\n"};
  std::string token_file;

  explicit ReportRig(const std::string& name) : LogsRig(name) {
    if (!error.empty()) {
      return;
    }
    storcon.require_token(k_admin_jwt);
    token_file = (dir / "admin.token").string();
    neon::test::write_text(token_file, k_admin_jwt + "\n");
    kube.put_secret("neon", "neon-storage-tokens", {{"admin", k_admin_jwt}, {"pageserver", k_pageserver_jwt}});
    kube.put_secret("neon", "neon-s3",
                    {{"AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEYID"}, {"AWS_SECRET_ACCESS_KEY", k_s3_secret}});
    kube.workloads().add_event("neon", "pageserver-a-1", "BackOff", "Back-off restarting failed container");
    kube.proxy_service("http:compute-hook:8080", metrics.url());
    // Lines that quote secrets, as a misconfigured process might print them.
    kube.pod_logs().set("neon", "storage-controller-7d9f-x1", "storage-controller",
                        {"controller: reconciled", "request with Authorization: Bearer " + k_admin_jwt,
                         "upstream token " + k_pageserver_jwt + " refused"});
    kube.pod_logs().set("neon", "pageserver-a-1", "pageserver",
                        {neon::test::neon_line("secondary download", k_tenant_a), "s3 secret key " + k_s3_secret});
  }

  neon::test::CliResult report(std::vector<std::string> args) {
    args.insert(args.begin(), "report");
    args.insert(args.end(), {"--storage-controller", storcon.url(), "--token-file", token_file});
    return run_cli(args, "", env);
  }
};

/// The files under `root`, relative, sorted.
Strings files_below(const fs::path& root) {
  Strings out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      out.push_back(fs::relative(e.path(), root).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const Strings k_files = {
    "controller/nodes.json",
    "controller/safekeepers.json",
    "controller/tenants.json",
    "hook/metrics.txt",
    "kubernetes/deployments.json",
    "kubernetes/events.json",
    "kubernetes/pods.json",
    "kubernetes/secrets.json",
    "kubernetes/statefulsets.json",
    "logs/compute-app-dev-7e7e-c3.log",
    "logs/compute-app-main-8f8f-a1.log",
    "logs/compute-app-main-ro-0-9a9a-b2.log",
    "logs/compute-hook-6b7c-z3.log",
    "logs/pageserver-a-0.log",
    "logs/pageserver-a-1.log",
    "logs/safekeeper-a-0.log",
    "logs/safekeeper-a-1.log",
    "logs/storage-broker-5c6d-y2.log",
    "logs/storage-controller-7d9f-x1.log",
    "spec/digest.txt",
    "spec/kubectl-neon.sum",
    "spec/neon.yaml",
    "summary.txt",
};

/// Every leaked form of `value` in the files below `root`: raw, base64, and in a Bearer header.
Strings leaks(const fs::path& root, const std::string& value) {
  Strings out;
  for (const auto& f : files_below(root)) {
    const std::string text = read_text(root / f);
    for (const auto& form : {value, neon::cli::base64_encode(value)}) {
      if (text.find(form) != std::string::npos) {
        out.push_back(f);
      }
    }
  }
  return out;
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("report -o FILE.tar.gz --logs: the bundle's files, read back with tar -tzf; a summary on stderr" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    NEON_REQUIRE_TOOL("tar");
    ReportRig rig("report-tar");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    REQUIRE(run_cli({"init", "-f", (rig.dir / "neon.yaml").string()}).exit == 0);
    const fs::path out = rig.dir / "bundle.tar.gz";
    auto r = rig.report({"-o", out.string(), "--logs", "-f", (rig.dir / "neon.yaml").string()});
    INFO(r.err);
    REQUIRE(r.exit == 0);
    CHECK(r.out.empty());
    auto listed = run_process({"tar", "-tzf", out.string()});
    REQUIRE(listed.exit == 0);
    Strings names;
    std::istringstream in(listed.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() != '/') {
        CHECK(line.rfind("bundle/", 0) == 0);  // one folder, named after the archive
        names.push_back(line.substr(7));
      }
    }
    std::sort(names.begin(), names.end());
    CHECK(names == k_files);
    struct stat st {};
    REQUIRE(::stat(out.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // Nothing else beside it: the staging folder is gone.
    for (const auto& e : fs::directory_iterator(rig.dir.path())) {
      CHECK(e.path().filename().string().rfind(".bundle", 0) != 0);
    }

    // The summary names every file with what it holds, and the parts the controller does not serve.
    CHECK(r.err.find("controller/nodes.json") != std::string::npos);
    CHECK(r.err.find("2 pageservers") != std::string::npos);
    CHECK(r.err.find("2 tenants") != std::string::npos);
    CHECK(r.err.find("2 Secrets, values redacted") != std::string::npos);
    CHECK(r.err.find("1 event\n") != std::string::npos);
    CHECK(r.err.find("Not in the bundle:\n  controller/scheduler.json: GET /debug/v1/scheduler answered 404") !=
          std::string::npos);
    CHECK(r.err.find("controller/consistency-check.json: POST /debug/v1/consistency_check answered 404") !=
          std::string::npos);
    CHECK(r.err.find(fmt::format("wrote {} (23 files, ", out.string())) != std::string::npos);

    // The logs went with sinceSeconds from --since's default (1h), main containers only.
    for (const auto& q : rig.log_requests()) {
      CHECK(q.find("sinceSeconds=3600") != std::string::npos);
      CHECK(q.find("follow") == std::string::npos);
    }
  }

  TEST_CASE("report: no Secret value, no bearer token and no JWT anywhere in the bundle; --no-redact keeps values" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    ReportRig rig("report-redact");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    const fs::path out = rig.dir / "plain/";
    auto r = rig.report({"-o", out.string(), "--logs"});
    INFO(r.err);
    REQUIRE(r.exit == 0);
    const fs::path root = rig.dir / "plain";
    for (const std::string& v :
         {k_admin_jwt, k_pageserver_jwt, k_s3_secret, std::string("AKIAEXAMPLEKEYID"), std::string("kube-token")}) {
      CAPTURE(v);
      CHECK(leaks(root, v).empty());
    }
    for (const auto& f : files_below(root)) {
      CAPTURE(f);
      CHECK(read_text(root / f).find("eyJ") == std::string::npos);
    }
    // The lines around them stay, and the Secrets keep their names and keys.
    const std::string controller_log = read_text(root / "logs/storage-controller-7d9f-x1.log");
    CHECK(controller_log ==
          "controller: reconciled\nrequest with Authorization: Bearer [REDACTED]\nupstream token [REDACTED] refused\n");
    CHECK(read_text(root / "logs/pageserver-a-1.log").find("s3 secret key [REDACTED]\n") != std::string::npos);
    const std::string secrets = read_text(root / "kubernetes/secrets.json");
    CHECK(secrets.find("\"AWS_SECRET_ACCESS_KEY\": \"[REDACTED] (56 base64 characters)\"") != std::string::npos);
    CHECK(secrets.find("neon-storage-tokens") != std::string::npos);
    CHECK(read_text(root / "hook/metrics.txt").find("hook_notify_total{kind=\"attach\"} 3") != std::string::npos);
    // The controller saw the admin token: the bundle holds its answers, not the token.
    CHECK(read_text(root / "controller/nodes.json").find("pageserver-a-0.pageserver-a.neon.svc") != std::string::npos);

    auto plain = rig.report({"-o", (rig.dir / "unredacted/").string(), "--no-redact"});
    REQUIRE(plain.exit == 0);
    CHECK(plain.err.find("values NOT redacted (--no-redact)") != std::string::npos);
    const std::string kept = read_text(rig.dir / "unredacted/kubernetes/secrets.json");
    CHECK(kept.find(neon::cli::base64_encode(k_s3_secret)) != std::string::npos);
    // The token the command itself sent is never kept, even so.
    CHECK(leaks(rig.dir / "unredacted/controller", k_admin_jwt).empty());
  }

  TEST_CASE("report -o DIR/: a private folder with the same files; an empty folder may be there already" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    ReportRig rig("report-dir");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    fs::create_directory(rig.dir / "out");
    auto r = rig.report({"-o", (rig.dir / "out").string() + "/"});
    INFO(r.err);
    REQUIRE(r.exit == 0);
    const Strings want = {"controller/nodes.json",        "controller/safekeepers.json",
                          "controller/tenants.json",      "hook/metrics.txt",
                          "kubernetes/deployments.json",  "kubernetes/events.json",
                          "kubernetes/pods.json",         "kubernetes/secrets.json",
                          "kubernetes/statefulsets.json", "summary.txt"};
    CHECK(files_below(rig.dir / "out") == want);
    struct stat st {};
    REQUIRE(::stat((rig.dir / "out").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    CHECK(read_text(rig.dir / "out/summary.txt").find("namespace neon (context k)") != std::string::npos);
    // A folder holding files is never written into.
    auto again = rig.report({"-o", (rig.dir / "out").string() + "/"});
    CHECK(again.exit == 1);
    CHECK(again.err.find("already exists; not overwriting it") != std::string::npos);
    CHECK(files_below(rig.dir / "out") == want);

    // A token the controller refuses: its parts are noted, the cluster's are still written.
    neon::test::write_text(rig.token_file, "not-the-admin-token\n");
    auto refused = rig.report({"-o", (rig.dir / "refused").string() + "/"});
    CHECK(refused.exit == 0);
    CHECK(refused.err.find("controller/nodes.json: GET /control/v1/node answered 40") != std::string::npos);
    CHECK(refused.err.find("(the admin token: --token-file or $NEON_STORAGE_CONTROLLER_TOKEN)") != std::string::npos);
    CHECK(fs::exists(rig.dir / "refused/kubernetes/pods.json"));
    CHECK_FALSE(fs::exists(rig.dir / "refused/controller"));
  }

  TEST_CASE("report: a bad -o, an existing file, no tar or a failing tar leave nothing behind" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    ReportRig rig("report-bad-out");
    REQUIRE_MESSAGE(rig.error.empty(), rig.error);
    const auto before = files_below(rig.dir.path());
    const auto entries = [&] {
      Strings out;
      for (const auto& e : fs::directory_iterator(rig.dir.path())) {
        out.push_back(e.path().filename().string());
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    const Strings names = entries();

    auto zip = rig.report({"-o", (rig.dir / "bundle.zip").string()});
    CHECK(zip.exit == 2);
    CHECK(zip.err.rfind(fmt::format("error: -o \"{}\": name a FILE.tar.gz (or .tgz), or a folder ending in / (DIR/)",
                                    (rig.dir / "bundle.zip").string()),
                        0) == 0);
    auto nowhere = rig.report({"-o", (rig.dir / "missing/bundle.tar.gz").string()});
    CHECK(nowhere.exit == 1);
    CHECK(nowhere.err.find("does not exist") != std::string::npos);
    auto since = rig.report({"-o", (rig.dir / "b.tar.gz").string(), "--since", "2h"});
    CHECK(since.exit == 2);
    CHECK(since.err.rfind("error: --since limits the logs: use it with --logs\n", 0) == 0);

    neon::test::write_text(rig.dir / "taken.tar.gz", "mine");
    auto taken = rig.report({"-o", (rig.dir / "taken.tar.gz").string()});
    CHECK(taken.exit == 1);
    CHECK(taken.err.find("already exists; not overwriting it") != std::string::npos);
    CHECK(read_text(rig.dir / "taken.tar.gz") == "mine");
    fs::remove(rig.dir / "taken.tar.gz");

    auto env = rig.env;
    env["PATH"] = (rig.dir / "no-such-bin").string();
    auto no_tar = run_cli({"report", "-o", (rig.dir / "b.tar.gz").string(), "--storage-controller", rig.storcon.url(),
                           "--token-file", rig.token_file},
                          "", env);
    CHECK(no_tar.exit == 1);
    CHECK(no_tar.err.find("no tar program on PATH") != std::string::npos);
    CHECK(no_tar.err.find("-o " + (rig.dir / "b").string() + "/") != std::string::npos);

    // A tar that fails after the files were collected: the staging folder and the partial archive go.
    fs::create_directory(rig.dir / "bin");
    neon::test::write_text(rig.dir / "bin/tar", "#!/bin/sh\necho 'tar: disk full' >&2\n: > \"$2\"\nexit 2\n");
    fs::permissions(rig.dir / "bin/tar", fs::perms::owner_all);
    env["PATH"] = (rig.dir / "bin").string();
    auto broken = run_cli({"report", "-o", (rig.dir / "b.tar.gz").string(), "--storage-controller", rig.storcon.url(),
                           "--token-file", rig.token_file},
                          "", env);
    CHECK(broken.exit == 1);
    CHECK(broken.err.find("tar exited with status 2: tar: disk full") != std::string::npos);
    fs::remove_all(rig.dir / "bin");
    CHECK(entries() == names);
    CHECK(files_below(rig.dir.path()) == before);
  }

  TEST_CASE("report: neither the API server nor the controller answers: exit 3, nothing written" *
            doctest::test_suite("integration")) {
    neon::test::ScratchDir dir("report-unreachable");
    neon::test::write_text(dir / "kubeconfig",
                           "apiVersion: v1\nkind: Config\ncurrent-context: k\nclusters:\n- name: c\n  cluster:\n"
                           "    server: https://127.0.0.1:1\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n"
                           "- name: k\n  context:\n    cluster: c\n    user: u\n    namespace: neon\n");
    auto r = run_cli({"report", "-o", (dir / "out/").string(), "--storage-controller", "http://127.0.0.1:1"}, "",
                     {{"KUBECONFIG", (dir / "kubeconfig").string()}});
    CHECK(r.exit == 3);
    CHECK(r.err.find("no bundle written") != std::string::npos);
    CHECK(!fs::exists(dir / "out"));
    for (const auto& e : fs::directory_iterator(dir.path())) {
      CHECK(e.path().filename() == "kubeconfig");
    }
  }
}
