// Issue 20 items 3, 4 and 7: the generated NetworkPolicies, read back from the written tree and
// walked by an evaluator of Kubernetes' NetworkPolicy semantics (tests/support/netpol_eval.hpp),
// prove which pod reaches which port: Prometheus only the metrics ports and only from the
// configured namespace, clients of the computes only from compute.allowFrom, and every component
// only DNS and what it calls (computes never the metadata server or the API server).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "generators/embedded.hpp"
#include "generators/emit.hpp"
#include "generators/layout.hpp"
#include "generators/validate.hpp"
#include "tests/support/netpol_eval.hpp"
#include "tests/support/replaced.hpp"

namespace {

using neon::test::replaced;

using neon::test::netpol::Cluster;
using neon::test::netpol::Endpoint;
using Json = nlohmann::ordered_json;

std::string starter_text(const std::string& name) {
  const auto text = neon::gen::embedded("schemas/starters/" + name + ".yaml");
  REQUIRE(text);
  return std::string(*text);
}

/// The tree of `spec_text` with the cluster's neighbours (netpol::cluster_of_tree).
Cluster cluster_of(const std::string& spec_text) {
  auto loaded = neon::gen::load_spec(spec_text, "neon.yaml");
  for (const auto& d : loaded.diagnostics) {
    FAIL_CHECK(d.message);
  }
  REQUIRE(loaded.spec);
  return neon::test::netpol::cluster_of_tree(neon::gen::generate_tree(*loaded.spec), loaded.spec->spec().namespace_);
}

void check_flow(const Cluster& c, const Endpoint& from, const Endpoint& to, int port, bool expected,
                const std::string& protocol = "TCP") {
  const std::string what = (expected ? "refused: " : "allowed: ") + Cluster::describe(from, to, port, protocol);
  CHECK_MESSAGE(c.allowed(from, to, port, protocol) == expected, what);
}

struct Port {
  const char* component;
  int port;
};

// Each component's metrics port, and every port it listens on (neon-api.md §1).
const std::vector<Port> k_metrics = {{"storage-broker", 50051}, {"storage-controller", 1234},
                                     {"pageserver", 9898},      {"safekeeper", 7676},
                                     {"compute", 3080},         {"compute-hook", 8080}};
const std::vector<Port> k_listeners = {
    {"storage-broker", 50051}, {"storage-controller", 1234}, {"pageserver", 6400},  {"pageserver", 9898},
    {"safekeeper", 5454},      {"safekeeper", 7676},         {"compute", 55433},    {"compute", 3080},
    {"compute", 3081},         {"compute", 10301},           {"compute-hook", 8080}};

}  // namespace

TEST_SUITE("network policy") {
  TEST_CASE("Prometheus in the configured namespace reaches the metrics ports and nothing else") {
    const Cluster c = cluster_of(starter_text("prod"));
    const Endpoint& prom = c.endpoint("prometheus");
    for (const auto& l : k_listeners) {
      bool metrics = false;
      for (const auto& m : k_metrics) {
        metrics = metrics || (std::string(m.component) == l.component && m.port == l.port);
      }
      check_flow(c, prom, c.pod(l.component), l.port, metrics);
    }
  }

  TEST_CASE("a pod labelled like Prometheus in another namespace reaches nothing") {
    const Cluster c = cluster_of(starter_text("prod"));
    for (const auto& l : k_listeners) {
      check_flow(c, c.endpoint("fake-prometheus"), c.pod(l.component), l.port, false);
    }
  }

  TEST_CASE("spec.monitoring selectors move the scraper") {
    const Cluster c = cluster_of(replaced(starter_text("prod"), "  monitoring:\n    enabled: true\n",
                                          "  monitoring:\n    enabled: true\n    namespaceSelector:\n"
                                          "      kubernetes.io/metadata.name: apps\n"));
    check_flow(c, c.endpoint("fake-prometheus"), c.pod("pageserver"), 9898, true);
    check_flow(c, c.endpoint("fake-prometheus"), c.pod("pageserver"), 6400, false);
    check_flow(c, c.endpoint("prometheus"), c.pod("pageserver"), 9898, false);
  }

  TEST_CASE("compute client ports: this namespace by default, compute.allowFrom when given") {
    const Cluster dflt = cluster_of(starter_text("prod"));
    check_flow(dflt, dflt.endpoint("client-same-ns"), dflt.pod("compute"), 55433, true);
    check_flow(dflt, dflt.endpoint("client-apps"), dflt.pod("compute"), 55433, false);
    check_flow(dflt, dflt.endpoint("client-same-ns"), dflt.pod("compute"), 3080, false);

    const Cluster c = cluster_of(replaced(starter_text("prod"), "  networkPolicies:\n    enabled: true\n",
                                          "  networkPolicies:\n    enabled: true\n  compute:\n    allowFrom:\n"
                                          "      - namespaceSelector: {kubernetes.io/metadata.name: apps}\n"
                                          "        podSelector: {app: client}\n"));
    check_flow(c, c.endpoint("client-apps"), c.pod("compute"), 55433, true);
    check_flow(c, c.endpoint("fake-prometheus"), c.pod("compute"), 55433, false);
    check_flow(c, c.endpoint("client-same-ns"), c.pod("compute"), 55433, false);

    const Cluster none = cluster_of(replaced(starter_text("prod"), "  networkPolicies:\n    enabled: true\n",
                                             "  networkPolicies:\n    enabled: true\n  compute:\n    allowFrom: []\n"));
    check_flow(none, none.endpoint("client-same-ns"), none.pod("compute"), 55433, false);
    check_flow(none, none.endpoint("client-apps"), none.pod("compute"), 55433, false);
  }

  TEST_CASE("computes reach DNS and the storage they use, never the metadata server or the API server") {
    const Cluster c = cluster_of(starter_text("prod"));
    const Endpoint& compute = c.pod("compute");
    check_flow(c, compute, c.endpoint("kube-dns"), 53, true, "UDP");
    check_flow(c, compute, c.endpoint("kube-dns"), 53, true, "TCP");
    check_flow(c, compute, c.pod("pageserver"), 6400, true);
    check_flow(c, compute, c.pod("safekeeper"), 5454, true);
    check_flow(c, compute, c.pod("compute-hook"), 8443, true);  // the prod starter has spec.tls
    check_flow(c, compute, c.pod("compute-hook"), 8080, false);
    for (const int port : {80, 443}) {
      check_flow(c, compute, c.endpoint("metadata"), port, false);
      check_flow(c, compute, c.endpoint("s3"), port, false);
    }
    check_flow(c, compute, c.endpoint("api-server"), 443, false);
    check_flow(c, compute, c.endpoint("api-server"), 6443, false);
    check_flow(c, compute, c.pod("pageserver"), 9898, false);
    check_flow(c, compute, c.endpoint("client-apps"), 5432, false);
  }

  TEST_CASE("every flow the cluster needs is open, object storage included") {
    for (const char* profile : {"prod", "dev"}) {
      CAPTURE(profile);
      const Cluster c = cluster_of(starter_text(profile));
      struct Flow {
        const char* from;
        const char* to;
        int port;
      };
      // With spec.tls (the prod starter) every caller with a token uses the HTTPS ports.
      const bool tls = std::string(profile) == "prod";
      const int controller = tls ? 8443 : 1234;
      const int hook = tls ? 8443 : 8080;
      std::vector<Flow> flows = {{"compute", "compute-hook", hook},
                                 {"pageserver", "storage-broker", 50051},
                                 {"pageserver", "storage-controller", controller},
                                 {"pageserver", "safekeeper", 5454},
                                 {"safekeeper", "storage-broker", 50051},
                                 {"safekeeper", "storage-controller", controller},
                                 {"safekeeper", "safekeeper", 5454},
                                 {"safekeeper", "safekeeper", 7676},
                                 {"storage-controller", "pageserver", 9898},
                                 {"storage-controller", "safekeeper", 7676},
                                 {"storage-controller", "compute-hook", hook},
                                 {"storage-controller", "storage-controller", 1234},
                                 {"compute-hook", "storage-controller", controller},
                                 {"compute-hook", "compute", 3080}};
      if (tls) {
        // The plain ports carry no token: /metrics, probes and the controller's peers only.
        for (const char* from : {"pageserver", "safekeeper", "compute-hook"}) {
          check_flow(c, c.pod(from), c.pod("storage-controller"), 1234, false);
        }
        check_flow(c, c.pod("compute"), c.pod("compute-hook"), 8080, false);
        check_flow(c, c.pod("storage-controller"), c.pod("compute-hook"), 8080, false);
        check_flow(c, c.endpoint("prometheus"), c.pod("compute-hook"), 8080, true);
        check_flow(c, c.endpoint("prometheus"), c.pod("compute-hook"), 8443, false);
      }
      if (std::string(profile) == "dev") {
        flows.push_back({"pageserver", "dev-minio", 9000});
        flows.push_back({"safekeeper", "dev-minio", 9000});
        flows.push_back({"dev-minio", "dev-minio", 9000});
        flows.push_back({"storage-controller", "dev-postgres", 5432});
      }
      for (const auto& f : flows) {
        check_flow(c, c.pod(f.from), c.pod(f.to), f.port, true);
      }
      for (const char* component :
           {"compute", "pageserver", "safekeeper", "storage-controller", "storage-broker", "compute-hook"}) {
        check_flow(c, c.pod(component), c.endpoint("kube-dns"), 53, true, "UDP");
        check_flow(c, c.pod(component), c.endpoint("metadata"), 80, false);
      }
      check_flow(c, c.pod("storage-broker"), c.endpoint("s3"), 443, false);
      check_flow(c, c.pod("compute-hook"), c.endpoint("api-server"), 443, false);
      // Computes hold no storage controller token: the hook creates their tenants and timelines.
      check_flow(c, c.pod("compute"), c.pod("storage-controller"), 1234, false);
      if (std::string(profile) == "prod") {
        // No objectStorageCIDRs: any address but link-local, on the endpoint's port.
        check_flow(c, c.pod("pageserver"), c.endpoint("s3"), 443, true);
        check_flow(c, c.pod("safekeeper"), c.endpoint("s3"), 443, true);
        check_flow(c, c.pod("pageserver"), c.endpoint("s3"), 80, false);
      } else {
        check_flow(c, c.pod("pageserver"), c.endpoint("s3"), 443, false);
      }
    }
  }

  TEST_CASE("objectStorageCIDRs and networkPolicies.egress open exactly what they name") {
    Cluster c = cluster_of(replaced(starter_text("prod"), "  networkPolicies:\n    enabled: true\n",
                                    "  networkPolicies:\n    enabled: true\n"
                                    "    objectStorageCIDRs: [52.216.0.0/15]\n"
                                    "    egress:\n"
                                    "      - components: [compute]\n"
                                    "        to:\n"
                                    "          - ipBlock: {cidr: 8.8.8.0/24, except: [8.8.8.8/32]}\n"
                                    "        ports: [{port: 443}]\n"));
    check_flow(c, c.pod("pageserver"), c.endpoint("s3"), 443, true);
    check_flow(c, c.pod("pageserver"), c.endpoint("api-server"), 443, false);
    const Endpoint& dns8 = c.add_address("dns8", "8.8.8.8");
    const Endpoint& dns4 = c.add_address("dns4", "8.8.8.4");
    check_flow(c, c.pod("compute"), dns4, 443, true);
    check_flow(c, c.pod("compute"), dns8, 443, false);
    check_flow(c, c.pod("compute"), dns4, 80, false);
    check_flow(c, c.pod("pageserver"), dns4, 443, false);
  }

  TEST_CASE("spec.sync's pods reach DNS and the storage controller's token port, nothing else") {
    for (const char* profile : {"prod", "dev"}) {
      CAPTURE(profile);
      const Cluster c = cluster_of(
          replaced(starter_text(profile), "  gitops:\n", "  sync:\n    schedule: \"*/15 * * * *\"\n  gitops:\n"));
      const bool tls = std::string(profile) == "prod";
      check_flow(c, c.pod("spec-sync"), c.pod("storage-controller"), tls ? 8443 : 1234, true);
      check_flow(c, c.pod("spec-sync"), c.endpoint("kube-dns"), 53, true, "UDP");
      if (tls) {  // no token in the clear
        check_flow(c, c.pod("spec-sync"), c.pod("storage-controller"), 1234, false);
      }
      check_flow(c, c.pod("spec-sync"), c.pod("pageserver"), 9898, false);
      check_flow(c, c.pod("spec-sync"), c.pod("compute-hook"), tls ? 8443 : 8080, false);
      check_flow(c, c.pod("spec-sync"), c.endpoint("api-server"), 443, false);
      check_flow(c, c.pod("spec-sync"), c.endpoint("metadata"), 80, false);
      check_flow(c, c.pod("spec-sync"), c.endpoint("s3"), 443, false);
      // Nothing calls it.
      for (const char* from : {"compute", "storage-controller", "compute-hook"}) {
        check_flow(c, c.pod(from), c.pod("spec-sync"), 8080, false);
      }
      check_flow(c, c.endpoint("client-same-ns"), c.pod("spec-sync"), 8080, false);
    }
  }
}
