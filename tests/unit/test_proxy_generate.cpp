// Issue 16, generated objects: Neon's proxy (spec.proxy) with the compute hook as its control
// plane, suspendable computes (compute.suspendAfter) whose replicas the hook owns, the hook's Role,
// and the NetworkPolicy flows among them. Flags as Neon reads them (generators/proxy.cpp cites
// proxy/src/binary/proxy.rs); the example is schemas/examples/serverless-argocd.yaml.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "generators/compute.hpp"
#include "generators/compute_hook.hpp"
#include "generators/computes.hpp"
#include "generators/emit.hpp"
#include "generators/gitops.hpp"
#include "generators/layout.hpp"
#include "generators/proxy.hpp"
#include "generators/validate.hpp"
#include "plugin/hook/hook_cplane.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/netpol_eval.hpp"
#include "tests/support/replaced.hpp"
#include "tests/support/resources.hpp"
#include "tests/support/run.hpp"
#include "tests/support/valid_spec.hpp"

using namespace neon::gen;
using neon::test::of_kind;
using neon::test::replaced;
using neon::test::netpol::Cluster;

namespace {

std::string example_text() {
  return neon::test::read_text(neon::test::source_dir() / "schemas" / "examples" / "serverless-argocd.yaml");
}

ValidSpec load(const std::string& text) { return neon::test::valid_spec(text); }

/// The example with spec.tls on (cert-manager issues the internal certificates).
std::string with_internal_tls(const std::string& text) {
  return replaced(text, "  proxy:\n    enabled: true\n",
                  "  tls:\n    enabled: true\n    issuerRef:\n      name: neon-ca\n  proxy:\n    enabled: true\n");
}

/// The example with the proxy's certificate from a Secret of the user's instead of cert-manager.
std::string with_secret_ref(const std::string& text) {
  return replaced(text, "    tls:\n      issuerRef:\n        name: letsencrypt\n        kind: ClusterIssuer\n",
                  "    tls:\n      secretRef:\n        name: wildcard-db\n");
}

/// The example without the proxy and without suspendAfter (which needs it).
std::string without_proxy(const std::string& text) {
  return replaced(replaced(text, "            suspendAfter: 10m\n", ""), "  proxy:\n    enabled: true\n",
                  "  proxy:\n    enabled: false\n");
}

Json one(const ResourceSet& set, const std::string& kind, const std::string& name) {
  for (const auto& r : set) {
    if (r.kind() == kind && r.name() == name) {
      return r.body;
    }
  }
  FAIL(kind << " " << name << " not generated");
  return nullptr;
}

const Json& container_of(const Json& workload) { return workload["spec"]["template"]["spec"]["containers"][0]; }

bool has(const Json& list, const std::string& item) {
  return std::find(list.begin(), list.end(), Json(item)) != list.end();
}

/// The env entry `name` of `container`, or null.
Json env_of(const Json& container, const std::string& name) {
  for (const auto& e : container.value("env", Json::array())) {
    if (e["name"] == name) {
      return e;
    }
  }
  return nullptr;
}

/// Whether `role` lets a subject do `verb` on `resource` (group/resource[/subresource]) named
/// `name`, by Kubernetes RBAC's rule matching: each list matches its value or "*", and a rule
/// without resourceNames matches every name.
bool rbac_allows(const Json& role, const std::string& verb, const std::string& group, const std::string& resource,
                 const std::string& name) {
  auto matches = [](const Json& rule, const char* key, const std::string& value) {
    const Json list = rule.value(key, Json::array());
    return has(list, value) || has(list, "*");
  };
  for (const auto& rule : role["rules"]) {
    const bool named =
        !rule.contains("resourceNames") || rule["resourceNames"].empty() || has(rule["resourceNames"], name);
    if (matches(rule, "verbs", verb) && matches(rule, "apiGroups", group) && matches(rule, "resources", resource) &&
        named) {
      return true;
    }
  }
  return false;
}

void check_flow(const Cluster& c, const neon::test::netpol::Endpoint& from, const neon::test::netpol::Endpoint& to,
                int port, bool expected) {
  CHECK_MESSAGE(c.allowed(from, to, port) == expected, (expected ? "refused: " : "allowed: ")
                                                           << Cluster::describe(from, to, port, "TCP"));
}

}  // namespace

TEST_SUITE("proxy") {
  TEST_CASE("the proxy Deployment: control-plane backend at the hook's /cplane, token from the environment only") {
    const ValidSpec spec = load(example_text());
    const ResourceSet set = generate_proxy(spec);
    const Json d = one(set, "Deployment", "neon-proxy");
    const Json& c = container_of(d);
    CHECK(c["image"] == "docker.io/neondatabase/neon:8463");
    CHECK(c["command"] == Json::array({"/usr/local/bin/proxy"}));  // the image's CMD is the pageserver
    CHECK(c["args"] == Json::array({"--auth-backend=control-plane",
                                    "--auth-endpoint=http://compute-hook.neon.svc.cluster.local:8080/cplane",
                                    "--proxy=0.0.0.0:4432", "--wss=0.0.0.0:4444", "--http=0.0.0.0:7001",
                                    "--tls-key=/certs/tls.key", "--tls-cert=/certs/tls.crt"}));
    // proxy.rs:114-121: --control-plane-token reads NEON_PROXY_TO_CONTROLPLANE_TOKEN.
    const Json token = env_of(c, "NEON_PROXY_TO_CONTROLPLANE_TOKEN");
    REQUIRE(!token.is_null());
    CHECK(token["valueFrom"]["secretKeyRef"] == Json{{"name", "neon-compute-hook-tokens"}, {"key", "proxy-token"}});
    for (const auto& a : c["args"]) {
      CHECK(a.get<std::string>().find("token") == std::string::npos);
    }
    CHECK(env_of(c, "SSL_CERT_FILE").is_null());
    CHECK(d["spec"]["replicas"] == 2);
    const Json& pod = d["spec"]["template"]["spec"];
    CHECK(pod["automountServiceAccountToken"] == false);
    CHECK(pod["securityContext"]["runAsNonRoot"] == true);
    CHECK(c["securityContext"]["readOnlyRootFilesystem"] == true);
    CHECK(c["securityContext"]["allowPrivilegeEscalation"] == false);
    CHECK(pod["affinity"].contains("podAntiAffinity"));
    CHECK(pod["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"] == d["spec"]["selector"]["matchLabels"]);
    // The certificate: tls.crt and tls.key of the Secret cert-manager fills, at /certs.
    CHECK(pod["volumes"][0]["secret"]["secretName"] == "neon-proxy-tls");
    CHECK(c["volumeMounts"][0] == Json{{"name", "certs"}, {"mountPath", "/certs"}, {"readOnly", true}});
    // Probes on GET /v1/status of --http (proxy/src/http/health_server.rs:30-40), port 7001.
    CHECK(c["readinessProbe"]["httpGet"] == Json{{"path", "/v1/status"}, {"port", "http"}});
    bool http_7001 = false;
    for (const auto& p : c["ports"]) {
      http_7001 = http_7001 || (p["name"] == "http" && p["containerPort"] == 7001);
    }
    CHECK(http_7001);
    CHECK(one(set, "PodDisruptionBudget", "neon-proxy")["spec"]["maxUnavailable"] == 1);
  }

  TEST_CASE("under spec.tls the proxy calls the hook over HTTPS and trusts its CA through SSL_CERT_FILE") {
    const ValidSpec spec = load(with_internal_tls(example_text()));
    const Json d = one(generate_proxy(spec), "Deployment", "neon-proxy");
    const Json& c = container_of(d);
    CHECK(has(c["args"], "--auth-endpoint=https://compute-hook.neon.svc.cluster.local:8443/cplane"));
    CHECK(env_of(c, "SSL_CERT_FILE")["value"] == "/etc/neon/tls-ca/ca.crt");
    bool ca = false;
    for (const auto& v : d["spec"]["template"]["spec"]["volumes"]) {
      ca = ca || (v["name"] == "tls-ca" && v["secret"]["secretName"] == "compute-hook-tls");
    }
    CHECK(ca);
  }

  TEST_CASE("the Certificate: subject exactly CN=*.<domain>, the wildcard in dnsNames, a PKCS#8 key") {
    const ResourceSet set = generate_proxy(load(example_text()));
    const Json cert = one(set, "Certificate", "neon-proxy-tls");
    const Json& s = cert["spec"];
    CHECK(s["secretName"] == "neon-proxy-tls");
    CHECK(s["commonName"] == "*.db.example.com");
    CHECK(s["dnsNames"] == Json::array({"*.db.example.com"}));
    // proxy/src/tls/server_config.rs:171-192: any other RDN breaks the domain match.
    CHECK_FALSE(s.contains("subject"));
    CHECK(s["privateKey"]["encoding"] == "PKCS8");
    CHECK(s["issuerRef"] == Json{{"name", "letsencrypt"}, {"kind", "ClusterIssuer"}, {"group", "cert-manager.io"}});

    // tls.secretRef: no Certificate; the user's Secret is mounted.
    const ResourceSet own = generate_proxy(load(with_secret_ref(example_text())));
    CHECK(of_kind(own, "Certificate").empty());
    CHECK(one(own, "Deployment", "neon-proxy")["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"] ==
          "wildcard-db");
  }

  TEST_CASE("the Services: the public one by spec (5432 and 443 only), /metrics on a ClusterIP one") {
    const ResourceSet set = generate_proxy(load(example_text()));
    const Json svc = one(set, "Service", "neon-proxy");
    CHECK(svc["spec"]["type"] == "LoadBalancer");
    CHECK(svc["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb");
    CHECK(svc["spec"]["ports"] ==
          Json::array({Json{{"name", "postgres"}, {"port", 5432}, {"targetPort", "postgres"}, {"protocol", "TCP"}},
                       Json{{"name", "https"}, {"port", 443}, {"targetPort", "https"}, {"protocol", "TCP"}}}));
    CHECK_FALSE(svc["spec"].contains("externalTrafficPolicy"));
    const Json metrics = one(set, "Service", "neon-proxy-metrics");
    CHECK(metrics["spec"]["type"] == "ClusterIP");
    CHECK(metrics["spec"]["ports"][0]["port"] == 7001);
    // The ServiceMonitor selects the metrics Service alone.
    const Json monitor = proxy_service_monitor(load(example_text()).spec());
    for (const auto& [k, v] : monitor["spec"]["selector"]["matchLabels"].items()) {
      CHECK(metrics["metadata"]["labels"][k] == v);
    }
    CHECK(svc["metadata"]["labels"]["app.kubernetes.io/name"] !=
          monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]);

    const std::string node_port = replaced(example_text(), "    service:\n      annotations:\n",
                                           "    service:\n      type: NodePort\n      annotations:\n");
    CHECK(one(generate_proxy(load(node_port)), "Service", "neon-proxy")["spec"]["type"] == "NodePort");
  }

  TEST_CASE("without proxy.enabled: no proxy object, no proxy-token, no Role, computes keep replicas: 1") {
    const ValidSpec spec = load(without_proxy(example_text()));
    CHECK(generate_proxy(spec).empty());
    for (const auto& file : generate_tree(spec)) {
      const std::string& path = file.first;
      const std::string& text = file.second;
      CAPTURE(path);
      CHECK(text.find("proxy") == std::string::npos);
      CHECK(text.find("kind: Role") == std::string::npos);
      CHECK(text.find("--scale-computes") == std::string::npos);
    }
    for (const auto& d : of_kind(generate_computes(spec), "Deployment")) {
      CHECK(d["spec"]["replicas"] == 1);
    }
    for (const auto& file : bootstrap_tree(spec)) {
      CHECK(file.second.find("RespectIgnoreDifferences") == std::string::npos);
    }
  }

  TEST_CASE("suspendAfter: no replicas in that compute's Deployment, and Argo CD ignores exactly its replicas") {
    const ValidSpec spec = load(example_text());
    const ResourceSet computes = generate_computes(spec);
    CHECK_FALSE(one(computes, "Deployment", "compute-app-main")["spec"].contains("replicas"));
    CHECK(one(computes, "Deployment", "compute-app-preview")["spec"]["replicas"] == 1);
    CHECK(suspendable_computes(spec.spec()) == std::vector<std::string>{"compute-app-main"});

    const FileTree boot = bootstrap_tree(spec);
    const auto app = parse_yaml_stream(boot.at("bootstrap/serverless/application-neon-serverless.yaml"));
    REQUIRE(app);
    const Json& s = (*app)[0]["spec"];
    Json replicas_ignored = Json::array();
    for (const auto& d : s["ignoreDifferences"]) {
      if (d["kind"] == "Deployment") {
        replicas_ignored.push_back(d);
      }
    }
    CHECK(replicas_ignored == Json::array({Json{{"group", "apps"},
                                                {"kind", "Deployment"},
                                                {"name", "compute-app-main"},
                                                {"namespace", "neon"},
                                                {"jsonPointers", Json::array({"/spec/replicas"})}}}));
    CHECK(has(s["syncPolicy"]["syncOptions"], "RespectIgnoreDifferences=true"));

    // Split by project: the projects' ApplicationSet template carries the same.
    const ValidSpec split =
        load(replaced(example_text(), "    target: argocd\n", "    target: argocd\n    split: project\n"));
    const FileTree sboot = bootstrap_tree(split);
    const auto set = parse_yaml_stream(sboot.at("bootstrap/serverless/applicationset-neon-serverless-projects.yaml"));
    REQUIRE(set);
    const Json& tmpl = (*set)[0]["spec"]["template"]["spec"];
    CHECK(tmpl["ignoreDifferences"] == replicas_ignored);
    CHECK(has(tmpl["syncPolicy"]["syncOptions"], "RespectIgnoreDifferences=true"));
  }

  TEST_CASE("the hook: proxy-token file, --scale-computes, and its own ServiceAccount only with suspendAfter") {
    const ResourceSet set = generate_compute_hook(load(example_text()));
    const Json d = one(set, "Deployment", "compute-hook");
    const Json& c = container_of(d);
    CHECK(env_of(c, "NEON_HOOK_PROXY_TOKEN_FILE")["value"] == "/var/run/secrets/neon/hook-tokens/proxy-token");
    bool item = false;
    for (const auto& v : d["spec"]["template"]["spec"]["volumes"]) {
      if (v["name"] == "hook-tokens") {
        const Json& items = v["secret"]["items"];
        item =
            std::find(items.begin(), items.end(), Json{{"key", "proxy-token"}, {"path", "proxy-token"}}) != items.end();
      }
    }
    CHECK(item);
    CHECK(has(c["args"], "--scale-computes"));
    const Json& pod = d["spec"]["template"]["spec"];
    CHECK(pod["serviceAccountName"] == "compute-hook");
    CHECK(pod["automountServiceAccountToken"] == true);

    // The proxy on, no branch suspendable: the token, but no Kubernetes access at all.
    const ResourceSet awake =
        generate_compute_hook(load(replaced(example_text(), "            suspendAfter: 10m\n", "")));
    const Json awake_hook = one(awake, "Deployment", "compute-hook");
    const Json& apod = awake_hook["spec"]["template"]["spec"];
    CHECK(apod["automountServiceAccountToken"] == false);
    CHECK_FALSE(apod.contains("serviceAccountName"));
    CHECK_FALSE(has(apod["containers"][0]["args"], "--scale-computes"));
    CHECK_FALSE(env_of(apod["containers"][0], "NEON_HOOK_PROXY_TOKEN_FILE").is_null());
    CHECK(of_kind(awake, "Role").empty());
    CHECK(of_kind(awake, "ServiceAccount").empty());
  }

  TEST_CASE("the hook's Role: get and patch deployments/scale, get deployments, of the suspendable computes only") {
    const ValidSpec spec = load(example_text());
    const ResourceSet set = generate_compute_hook(spec);
    const Json role = one(set, "Role", "compute-hook");
    const std::string diff = neon::test::check_golden(
        "proxy/role-compute-hook.yaml", to_yaml(role) + "---\n" + to_yaml(one(set, "RoleBinding", "compute-hook")));
    CHECK_MESSAGE(diff.empty(), diff);
    CHECK(role["rules"].dump().find('*') == std::string::npos);

    const std::vector<std::string> verbs = {
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind"};
    const std::vector<std::pair<std::string, std::string>> resources = {{"apps", "deployments"},
                                                                        {"apps", "deployments/scale"},
                                                                        {"apps", "deployments/status"},
                                                                        {"apps", "statefulsets"},
                                                                        {"apps", "statefulsets/scale"},
                                                                        {"apps", "replicasets"},
                                                                        {"", "pods"},
                                                                        {"", "pods/exec"},
                                                                        {"", "secrets"},
                                                                        {"", "configmaps"},
                                                                        {"", "services"},
                                                                        {"autoscaling", "horizontalpodautoscalers"},
                                                                        {"extensions", "deployments/scale"}};
    const std::vector<std::string> names = {"compute-app-main", "compute-app-preview", "neon-proxy",
                                            "compute-hook",     "storage-controller",  ""};
    int allowed = 0;
    for (const auto& verb : verbs) {
      for (const auto& gr : resources) {
        const std::string& group = gr.first;
        const std::string& resource = gr.second;
        for (const auto& name : names) {
          const bool want = name == "compute-app-main" && group == "apps" &&
                            ((resource == "deployments/scale" && (verb == "get" || verb == "patch")) ||
                             (resource == "deployments" && verb == "get"));
          CAPTURE(verb);
          CAPTURE(resource);
          CAPTURE(name);
          CHECK(rbac_allows(role, verb, group, resource, name) == want);
          allowed += want ? 1 : 0;
        }
      }
    }
    CHECK(allowed == 3);

    // Bound to the hook's ServiceAccount alone, which no other pod runs as.
    const Json binding = one(set, "RoleBinding", "compute-hook");
    CHECK(binding["subjects"] ==
          Json::array({Json{{"kind", "ServiceAccount"}, {"name", "compute-hook"}, {"namespace", "neon"}}}));
    for (const auto& file : generate_tree(spec)) {
      if (file.second.find("serviceAccountName: compute-hook") != std::string::npos) {
        CHECK(file.first.find("deployment-compute-hook.yaml") != std::string::npos);
      }
    }
  }

  TEST_CASE("NetworkPolicies: clients reach the proxy, the proxy reaches the hook and the computes, nothing more") {
    const ValidSpec spec = load(example_text());
    Cluster c = neon::test::netpol::cluster_of_tree(generate_tree(spec), "neon");
    const auto& internet = c.add_address("internet-client", "203.0.113.7");
    const auto& proxy = c.pod("proxy");
    const auto& compute = c.pod("compute");
    check_flow(c, internet, proxy, 4432, true);
    check_flow(c, internet, proxy, 4444, true);
    check_flow(c, c.endpoint("client-apps"), proxy, 4432, true);
    check_flow(c, internet, proxy, 7001, false);
    check_flow(c, c.endpoint("client-apps"), proxy, 7001, false);
    check_flow(c, c.endpoint("prometheus"), proxy, 7001, true);
    check_flow(c, c.endpoint("fake-prometheus"), proxy, 7001, false);
    check_flow(c, proxy, compute, 55433, true);
    check_flow(c, proxy, compute, 6432, true);  // PgBouncer of the preview branch
    check_flow(c, proxy, compute, 3080, false);
    check_flow(c, proxy, c.pod("compute-hook"), 8080, true);
    check_flow(c, proxy, c.pod("storage-controller"), 1234, false);
    check_flow(c, proxy, c.pod("pageserver"), 6400, false);
    check_flow(c, proxy, c.endpoint("kube-dns"), 53, true);
    check_flow(c, proxy, c.endpoint("api-server"), 443, false);
    check_flow(c, proxy, c.endpoint("metadata"), 80, false);
    // The hook scales the suspendable computes through the API server, and still never reaches
    // the metadata server.
    check_flow(c, c.pod("compute-hook"), c.endpoint("api-server"), 443, true);
    check_flow(c, c.pod("compute-hook"), c.endpoint("metadata"), 80, false);
    check_flow(c, compute, c.endpoint("api-server"), 443, false);
    // Default allowFrom: this namespace's pods reach computes, other namespaces only through the proxy.
    check_flow(c, c.endpoint("client-same-ns"), compute, 55433, true);
    check_flow(c, c.endpoint("client-apps"), compute, 55433, false);

    // compute.allowFrom set: its peers reach computes, the proxy still does, others do not.
    const ValidSpec narrowed = load(replaced(example_text(), "  networkPolicies:\n    enabled: true\n",
                                             "  networkPolicies:\n    enabled: true\n  compute:\n    allowFrom:\n"
                                             "      - namespaceSelector: {kubernetes.io/metadata.name: apps}\n"
                                             "        podSelector: {app: client}\n"));
    Cluster n = neon::test::netpol::cluster_of_tree(generate_tree(narrowed), "neon");
    check_flow(n, n.endpoint("client-apps"), n.pod("compute"), 55433, true);
    check_flow(n, n.endpoint("client-same-ns"), n.pod("compute"), 55433, false);
    check_flow(n, n.pod("proxy"), n.pod("compute"), 55433, true);
    check_flow(n, n.pod("proxy"), n.pod("compute"), 6432, true);
    const ValidSpec nobody = load(replaced(example_text(), "  networkPolicies:\n    enabled: true\n",
                                           "  networkPolicies:\n    enabled: true\n  compute:\n    allowFrom: []\n"));
    Cluster z = neon::test::netpol::cluster_of_tree(generate_tree(nobody), "neon");
    check_flow(z, z.endpoint("client-same-ns"), z.pod("compute"), 55433, false);
    check_flow(z, z.pod("proxy"), z.pod("compute"), 55433, true);

    // Under spec.tls the proxy reaches the hook's HTTPS port, not its plain one.
    Cluster t = neon::test::netpol::cluster_of_tree(generate_tree(load(with_internal_tls(example_text()))), "neon");
    check_flow(t, t.pod("proxy"), t.pod("compute-hook"), 8443, true);
    check_flow(t, t.pod("proxy"), t.pod("compute-hook"), 8080, false);
  }
}

TEST_SUITE("proxy") {
  TEST_CASE(
      "allowedIps: computes.json carries them, the hook answers them as allowed_ips, the Service keeps "
      "client addresses (proxy/src/control_plane/mod.rs:101)") {
    const std::string text =
        replaced(example_text(), "      tenantId: 6c1f0a52e3b94d7a8f21c4d9e0b7a315\n",
                 "      tenantId: 6c1f0a52e3b94d7a8f21c4d9e0b7a315\n"
                 "      allowedIps: [203.0.113.7, 10.0.0.0/8, 10.1.0.1-10.1.0.9, \"2001:db8::/32\"]\n");
    const ValidSpec spec = load(text);
    const Json allowed = Json::array({"203.0.113.7", "10.0.0.0/8", "10.1.0.1-10.1.0.9", "2001:db8::/32"});

    // The hook reads the generated computes.json back and answers the proxy with the list.
    const Json config = computes_config(spec);
    CHECK(config["projects"][0]["allowed_ips"] == allowed);
    auto parsed = parse_computes(config.dump());
    REQUIRE_MESSAGE(parsed, (parsed ? std::string() : parsed.error().message));
    const auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    for (const std::string endpointish : {"app", "app-preview", "app-preview-pooler"}) {
      CAPTURE(endpointish);
      const auto reply = neon::cli::hook::access_control_reply(*parsed, endpointish, "app", none);
      CHECK(reply.status == 200);
      CHECK(reply.body["allowed_ips"] == allowed);
    }

    // The proxy compares the client's own address: no source NAT on the public Service.
    CHECK(one(generate_proxy(spec), "Service", "neon-proxy")["spec"]["externalTrafficPolicy"] == "Local");
    const std::string cluster_ip = replaced(text, "    service:\n      annotations:\n",
                                            "    service:\n      type: ClusterIP\n      annotations:\n");
    CHECK_FALSE(
        one(generate_proxy(load(cluster_ip)), "Service", "neon-proxy")["spec"].contains("externalTrafficPolicy"));

    // Without allowedIps: null (every address), and computes.json has no key for it.
    const Json plain = computes_config(load(example_text()));
    CHECK_FALSE(plain["projects"][0].contains("allowed_ips"));
    auto plain_parsed = parse_computes(plain.dump());
    REQUIRE(plain_parsed);
    CHECK(neon::cli::hook::access_control_reply(*plain_parsed, "app", "app", none).body["allowed_ips"].is_null());
  }

  TEST_CASE("allowedIps entries are what the proxy parses (auth/credentials.rs:209-221)") {
    for (const char* good : {"203.0.113.7", "10.0.0.0/8", "10.0.0.1-10.0.0.9", "2001:db8::/32", "::1",
                             "fd00::1-fd00::ff", "10.0.0.5-10.0.0.5"}) {
      CAPTURE(good);
      CHECK(ip_pattern_problem(good) == "");
    }
    for (const char* bad : {"", " 10.0.0.1", "10.0.0.1 ", "10.0.0.0/33", "10.0.0/8", "10.0.0.9-10.0.0.1",
                            "10.0.0.1-fd00::1", "example.com", "10.0.0.1-", "010.0.0.1", "*"}) {
      CAPTURE(bad);
      CHECK(ip_pattern_problem(bad) != "");
    }
  }
}
