// spec.tls (issue 20 item 8): HTTPS to the storage controller and the compute hook, certificates
// from cert-manager or one Secret of the user's, every caller with a token on the HTTPS port and
// trusting ca.crt. Flags and files as Neon reads them (generators/tls.hpp cites the source).
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "generators/compute.hpp"
#include "generators/compute_hook.hpp"
#include "generators/diagnostics.hpp"
#include "generators/pageserver.hpp"
#include "generators/safekeeper.hpp"
#include "generators/storage_controller.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/resources.hpp"
#include "tests/support/run.hpp"

using namespace neon::gen;
using neon::test::of_kind;
using neon::test::replaced;

namespace {

std::string prod_text() {
  return neon::test::read_text(neon::test::source_dir() / "schemas" / "starters" / "prod.yaml");
}

ValidSpec load(const std::string& text) {
  auto loaded = load_spec(text, "neon.yaml");
  for (const auto& d : loaded.diagnostics) {
    if (!d.warning) {
      FAIL_CHECK(format_diagnostic(d));
    }
  }
  REQUIRE(loaded.spec.has_value());
  return *loaded.spec;
}

/// The diagnostics of `text` that are errors, one line each.
std::string errors_of(const std::string& text) {
  std::string out;
  for (const auto& d : load_spec(text, "neon.yaml").diagnostics) {
    if (!d.warning) {
      out += format_diagnostic(d) + "\n";
    }
  }
  return out;
}

bool has(const Json& args, const std::string& arg) {
  return std::find(args.begin(), args.end(), Json(arg)) != args.end();
}

/// The value after `flag` in `args`, or "".
std::string after(const Json& args, const std::string& flag) {
  const auto it = std::find(args.begin(), args.end(), Json(flag));
  return it == args.end() || it + 1 == args.end() ? std::string() : (it + 1)->get<std::string>();
}

const Json& pod_of(const Json& workload) { return workload["spec"]["template"]["spec"]; }

/// Every Secret a pod mounts, by name, with the keys it projects ("*" for the whole Secret).
std::set<std::string> secret_mounts(const Json& pod) {
  std::set<std::string> out;
  for (const auto& v : pod.value("volumes", Json::array())) {
    if (!v.contains("secret")) {
      continue;
    }
    const std::string name = v["secret"]["secretName"];
    if (!v["secret"].contains("items")) {
      out.insert(name + ":*");
      continue;
    }
    for (const auto& item : v["secret"]["items"]) {
      out.insert(name + ":" + item["key"].get<std::string>());
    }
  }
  return out;
}

const std::string k_controller_https = "https://storage-controller.neon.svc.cluster.local:8443";
const std::string k_hook_https = "https://compute-hook.neon.svc.cluster.local:8443";

}  // namespace

TEST_SUITE("tls inside the cluster") {
  TEST_CASE("validate: exactly one of issuerRef and secretRef, a known issuer kind, valid names") {
    const std::string on = "  tls:\n    enabled: true\n";
    const std::string issuer = "    issuerRef:\n      name: neon-internal-ca\n      kind: ClusterIssuer\n";
    const std::string base = prod_text();
    const std::string starter_tls =
        "  tls:                 # HTTPS to the storage controller and the compute hook (README "
        "\"Security model\")\n    enabled: true\n    issuerRef:         # a cert-manager CA "
        "issuer of yours: its Secrets carry ca.crt, which clients trust\n      name: "
        "neon-internal-ca\n      kind: ClusterIssuer\n";
    REQUIRE(base.find(starter_tls) != std::string::npos);
    CHECK(errors_of(base).empty());
    const std::string neither = errors_of(replaced(base, starter_tls, on));
    CHECK(neither.find("spec.tls: give exactly one of issuerRef") != std::string::npos);
    const std::string both =
        errors_of(replaced(base, starter_tls, on + issuer + "    secretRef:\n      name: my-tls\n"));
    CHECK(both.find("spec.tls: give exactly one of issuerRef") != std::string::npos);
    const std::string kind =
        errors_of(replaced(base, starter_tls, on + replaced(issuer, "ClusterIssuer", "Clusterissuer")));
    CHECK(kind.find("spec.tls.issuerRef.kind: must be Issuer or ClusterIssuer") != std::string::npos);
    const std::string secret = errors_of(replaced(base, starter_tls, on + "    secretRef:\n      name: My_TLS\n"));
    CHECK(secret.find("spec.tls.secretRef.name: \"My_TLS\" is not a valid Secret name") != std::string::npos);
    const std::string typo = errors_of(replaced(base, starter_tls, on + "    issuerref:\n      name: x\n"));
    CHECK(typo.find("did you mean \"issuerRef\"") != std::string::npos);
    // Off, nothing else is required.
    CHECK(errors_of(replaced(base, starter_tls, "  tls:\n    enabled: false\n")).empty());
  }

  TEST_CASE("the prod starter: Certificates, HTTPS listeners, and every caller with a token on HTTPS with ca.crt") {
    const ValidSpec spec = load(prod_text());

    // cert-manager issues one Certificate per server, for the names its callers use.
    const auto controller_set = generate_storage_controller(spec);
    const auto hook_set = generate_compute_hook(spec);
    for (const auto& [set, server] : {std::pair{&controller_set, "storage-controller"}, {&hook_set, "compute-hook"}}) {
      CAPTURE(server);
      const auto certs = of_kind(*set, "Certificate");
      REQUIRE(certs.size() == 1);
      const Json& c = certs[0];
      CHECK(c["apiVersion"] == "cert-manager.io/v1");
      CHECK(c["metadata"]["name"] == std::string(server) + "-tls");
      CHECK(c["spec"]["secretName"] == std::string(server) + "-tls");
      CHECK(c["spec"]["issuerRef"] ==
            Json{{"name", "neon-internal-ca"}, {"kind", "ClusterIssuer"}, {"group", "cert-manager.io"}});
      CHECK(has(c["spec"]["dnsNames"], std::string(server) + ".neon.svc.cluster.local"));
      CHECK(has(c["spec"]["dnsNames"], std::string(server)));
    }

    // The controller: both listeners, its certificate files, the CA its clients trust.
    const auto controllers = of_kind(controller_set, "Deployment");
    REQUIRE(controllers.size() == 1);
    const Json& controller = controllers[0];
    const Json& cargs = pod_of(controller)["containers"][0]["args"];
    CHECK(has(cargs, "--listen=0.0.0.0:1234"));
    CHECK(has(cargs, "--listen-https=0.0.0.0:8443"));
    CHECK(has(cargs, "--ssl-cert-file=/var/run/secrets/neon/tls/tls.crt"));
    CHECK(has(cargs, "--ssl-key-file=/var/run/secrets/neon/tls/tls.key"));
    CHECK(has(cargs, "--ssl-ca-file=/var/run/secrets/neon/tls/ca.crt"));
    CHECK(has(cargs, "--control-plane-url=" + k_hook_https + "/"));
    CHECK(secret_mounts(pod_of(controller)).count("storage-controller-tls:*") == 1);
    const auto cservices = of_kind(controller_set, "Service");
    REQUIRE(!cservices.empty());
    CHECK(cservices[0]["spec"]["ports"].dump().find("\"https\"") != std::string::npos);

    // The hook: HTTPS on 8443, plaintext /metrics and /healthz on 8080, the controller by HTTPS.
    const auto hooks = of_kind(hook_set, "Deployment");
    REQUIRE(hooks.size() == 1);
    const Json& hook = hooks[0];
    const Json& hargs = pod_of(hook)["containers"][0]["args"];
    CHECK(after(hargs, "--listen") == ":8443");
    CHECK(after(hargs, "--metrics-listen") == ":8080");
    CHECK(after(hargs, "--tls-cert-file") == "/var/run/secrets/neon/tls/tls.crt");
    CHECK(after(hargs, "--tls-key-file") == "/var/run/secrets/neon/tls/tls.key");
    CHECK(after(hargs, "--ca-file") == "/var/run/secrets/neon/tls/ca.crt");
    CHECK(after(hargs, "--storage-controller") == k_controller_https);
    CHECK(secret_mounts(pod_of(hook)).count("compute-hook-tls:*") == 1);
    // Probes stay on the plain port, which serves /healthz.
    CHECK(pod_of(hook)["containers"][0]["readinessProbe"]["httpGet"]["port"] == "http");

    // Computes: compute_ctl fetches its spec over HTTPS trusting the CA through SSL_CERT_FILE; the
    // init container asks the hook with --ca-file. Only ca.crt of the hook's Secret, never its key.
    for (const auto& d : of_kind(generate_computes(spec), "Deployment")) {
      const Json& pod = pod_of(d);
      const Json& main = pod["containers"][0];
      CHECK(after(main["args"], "--control-plane-uri") == k_hook_https);
      CHECK(main["env"].dump().find(R"({"name":"SSL_CERT_FILE","value":"/etc/neon/tls-ca/ca.crt"})") !=
            std::string::npos);
      const Json& init = pod["initContainers"][0];
      CHECK(after(init["args"], "--hook") == k_hook_https);
      CHECK(after(init["args"], "--ca-file") == "/etc/neon/tls-ca/ca.crt");
      const auto mounts = secret_mounts(pod);
      CHECK(mounts.count("compute-hook-tls:ca.crt") == 1);
      CHECK(mounts.count("compute-hook-tls:*") == 0);
      CHECK(mounts.count("compute-hook-tls:tls.key") == 0);
    }

    // Pageserver upcalls and safekeeper registration go to the HTTPS port with the CA.
    for (const auto& cm : of_kind(generate_pageservers(spec), "ConfigMap")) {
      const std::string toml = cm["data"]["pageserver.toml"];
      CHECK(toml.find("control_plane_api = \"" + k_controller_https + "/upcall/v1/\"\n") != std::string::npos);
      CHECK(toml.find("ssl_ca_file = \"/etc/neon/tls-ca/ca.crt\"\n") != std::string::npos);
    }
    for (const auto& sts : of_kind(generate_pageservers(spec), "StatefulSet")) {
      CHECK(secret_mounts(pod_of(sts)).count("storage-controller-tls:ca.crt") == 1);
      CHECK(pod_of(sts)["containers"][0]["volumeMounts"].dump().find("/etc/neon/tls-ca") != std::string::npos);
    }
    for (const auto& sts : of_kind(generate_safekeepers(spec), "StatefulSet")) {
      const Json& init = pod_of(sts)["initContainers"][0];
      CHECK(after(init["args"], "--storage-controller") == k_controller_https);
      CHECK(after(init["args"], "--ca-file") == "/etc/neon/tls-ca/ca.crt");
      CHECK(secret_mounts(pod_of(sts)).count("storage-controller-tls:ca.crt") == 1);
    }

    // Only the two servers mount a Secret holding a TLS private key.
    for (const auto& workloads : {generate_computes(spec), generate_pageservers(spec), generate_safekeepers(spec)}) {
      for (const auto& r : workloads) {
        if (r.kind() == "Deployment" || r.kind() == "StatefulSet") {
          for (const auto& m : secret_mounts(pod_of(r.body))) {
            const bool key_free = m.find("-tls:") == std::string::npos || m.substr(m.find(':')) == ":ca.crt";
            CHECK_MESSAGE(key_free, m);
          }
        }
      }
    }
  }

  TEST_CASE("secretRef: no Certificate, the user's Secret for both servers and their callers") {
    const std::string starter_issuer =
        "    issuerRef:         # a cert-manager CA issuer of yours: its Secrets carry ca.crt, which clients "
        "trust\n      name: neon-internal-ca\n      kind: ClusterIssuer\n";
    const ValidSpec spec =
        load(replaced(prod_text(), starter_issuer, "    secretRef:\n      name: neon-internal-tls\n"));
    CHECK(of_kind(generate_storage_controller(spec), "Certificate").empty());
    CHECK(of_kind(generate_compute_hook(spec), "Certificate").empty());
    CHECK(secret_mounts(pod_of(of_kind(generate_storage_controller(spec), "Deployment")[0]))
              .count("neon-internal-tls:*") == 1);
    CHECK(secret_mounts(pod_of(of_kind(generate_compute_hook(spec), "Deployment")[0])).count("neon-internal-tls:*") ==
          1);
    for (const auto& d : of_kind(generate_computes(spec), "Deployment")) {
      CHECK(secret_mounts(pod_of(d)).count("neon-internal-tls:ca.crt") == 1);
    }
  }

  TEST_CASE("tls off (the dev starter): plain URLs, no Certificate, no TLS volume") {
    auto loaded =
        load_spec(neon::test::read_text(neon::test::source_dir() / "schemas" / "starters" / "dev.yaml"), "dev.yaml");
    REQUIRE(loaded.spec);
    const ValidSpec& spec = *loaded.spec;
    CHECK(of_kind(generate_storage_controller(spec), "Certificate").empty());
    const auto hooks = of_kind(generate_compute_hook(spec), "Deployment");
    REQUIRE(hooks.size() == 1);
    const Json& hook = hooks[0];
    CHECK(after(pod_of(hook)["containers"][0]["args"], "--listen") == ":8080");
    CHECK_FALSE(has(pod_of(hook)["containers"][0]["args"], "--metrics-listen"));
    for (const auto& d : of_kind(generate_computes(spec), "Deployment")) {
      CHECK(after(pod_of(d)["containers"][0]["args"], "--control-plane-uri") ==
            "http://compute-hook.neon.svc.cluster.local:8080");
      CHECK(pod_of(d).dump().find("tls-ca") == std::string::npos);
    }
  }
}
