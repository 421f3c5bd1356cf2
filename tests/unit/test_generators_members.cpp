#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>

#include "generators/compute.hpp"
#include "generators/compute_hook.hpp"
#include "generators/computes.hpp"
#include "generators/names.hpp"
#include "generators/pageserver.hpp"
#include "generators/safekeeper.hpp"
#include "generators/storage_controller.hpp"
#include "generators/validate.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/resources.hpp"
#include "tests/support/run.hpp"

using namespace neon::gen;
using neon::test::of_kind;

namespace {

ValidSpec starter(const std::string& name) {
  const auto text = neon::test::read_text(neon::test::source_dir() / "schemas" / "starters" / (name + ".yaml"));
  auto loaded = load_spec(text, name + ".yaml");
  REQUIRE(loaded.spec.has_value());
  return *loaded.spec;
}

/// prod with one change, made on the YAML text before validation.
ValidSpec prod_with(const std::string& from, const std::string& to) {
  auto text = neon::test::read_text(neon::test::source_dir() / "schemas" / "starters" / "prod.yaml");
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  auto loaded = load_spec(text, "prod.yaml");
  for (const auto& d : loaded.diagnostics) {
    MESSAGE(format_diagnostic(d));
  }
  REQUIRE(loaded.spec.has_value());
  return *loaded.spec;
}

ResourceSet members_of(const ValidSpec& spec) {
  ResourceSet all;
  for (auto* fn : {&generate_pageservers, &generate_safekeepers, &generate_computes, &generate_compute_hook}) {
    auto part = fn(spec);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

bool is_workload(const std::string& kind) {
  return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "Job";
}

void for_each_container(const ResourceSet& set, const std::function<void(const Json&, const Json&)>& fn) {
  for (const auto& r : set) {
    if (!is_workload(r.kind())) {
      continue;
    }
    const Json& pod = r.body["spec"]["template"]["spec"];
    for (const auto* list : {"initContainers", "containers"}) {
      if (pod.contains(list)) {
        for (const auto& c : pod[list]) {
          fn(r.body, c);
        }
      }
    }
  }
}

std::string env_value(const Json& container, const std::string& name) {
  for (const auto& e : container.value("env", Json::array())) {
    if (e["name"] == name && e.contains("value")) {
      return e["value"].get<std::string>();
    }
  }
  return {};
}

/// Node ids the bootstrap init container writes (pageserver identity.toml, safekeeper.id), from
/// its --zone-number argument and the pod ordinals.
std::vector<std::uint64_t> member_ids(const Json& sts) {
  const Json& args = sts["spec"]["template"]["spec"]["initContainers"][0]["args"];
  const auto it = std::find(args.begin(), args.end(), Json("--zone-number"));
  REQUIRE(it != args.end());
  const int zone_number = std::stoi((it + 1)->get<std::string>());
  std::vector<std::uint64_t> ids;
  for (int o = 0; o < sts["spec"]["replicas"].get<int>(); ++o) {
    ids.push_back(names::node_id(zone_number, o));
  }
  return ids;
}

bool has_arg_prefix(const Json& args, const std::string& prefix) {
  return std::any_of(args.begin(), args.end(),
                     [&](const Json& a) { return a.get<std::string>().rfind(prefix, 0) == 0; });
}

}  // namespace

TEST_SUITE("members") {
  TEST_CASE("node ids are unique across sets and match the scheme") {
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      const auto spec = starter(name);
      std::set<std::uint64_t> ps_ids;
      std::set<std::uint64_t> sk_ids;
      int ps_total = 0;
      int sk_total = 0;
      for (const auto& sts : of_kind(generate_pageservers(spec), "StatefulSet")) {
        for (const auto id : member_ids(sts)) {
          CHECK(ps_ids.insert(id).second);
          ++ps_total;
        }
      }
      for (const auto& sts : of_kind(generate_safekeepers(spec), "StatefulSet")) {
        for (const auto id : member_ids(sts)) {
          CHECK(sk_ids.insert(id).second);
          ++sk_total;
        }
      }
      CHECK(ps_total == spec->pageservers.count);
      CHECK(sk_total == spec->safekeepers.count);
    }
    const auto prod = starter("prod");
    CHECK(of_kind(generate_pageservers(prod), "StatefulSet").size() == 3);
    // The spec's memory request also becomes the limit, never a smaller default.
    const Json ps = of_kind(generate_pageservers(prod), "StatefulSet")[0]["spec"]["template"]["spec"]["containers"][0];
    CHECK(ps["resources"]["requests"]["memory"] == "8Gi");
    CHECK(ps["resources"]["limits"]["memory"] == "8Gi");
    CHECK(of_kind(generate_safekeepers(prod), "StatefulSet").size() == 3);
    CHECK(member_ids(of_kind(generate_safekeepers(prod), "StatefulSet")[1]) == std::vector<std::uint64_t>{20});
  }

  TEST_CASE("every Service selects a workload's pods and names its ports") {
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      const auto all = members_of(starter(name));
      for (const auto& svc : of_kind(all, "Service")) {
        CAPTURE(svc["metadata"]["name"]);
        const Json& sel = svc["spec"]["selector"];
        REQUIRE(!sel.empty());
        int matches = 0;
        for (const auto& r : all) {
          if (!is_workload(r.kind())) {
            continue;
          }
          const Json& labels = r.body["spec"]["template"]["metadata"]["labels"];
          const bool all_match = std::all_of(sel.items().begin(), sel.items().end(), [&](const auto& kv) {
            return labels.contains(kv.key()) && labels[kv.key()] == kv.value();
          });
          if (all_match) {
            ++matches;
            const Json& c = r.body["spec"]["template"]["spec"]["containers"][0];
            for (const auto& port : svc["spec"]["ports"]) {
              const auto found = std::any_of(c["ports"].begin(), c["ports"].end(),
                                             [&](const Json& cp) { return cp["name"] == port["targetPort"]; });
              CHECK(found);
            }
          }
        }
        // A branch's read-only Service spreads reads over its replicas; every other Service has one
        // workload.
        const std::string svc_name = svc["metadata"]["name"];
        const bool replicas_service = svc_name.size() > 3 && svc_name.compare(svc_name.size() - 3, 3, "-ro") == 0;
        CHECK(replicas_service ? matches >= 1 : matches == 1);
      }
    }
  }

  TEST_CASE("pageserver.toml points at the controller and object storage") {
    const auto dev = starter("dev");
    const auto cms = of_kind(generate_pageservers(dev), "ConfigMap");
    REQUIRE(cms.size() == 1);
    const std::string toml = cms[0]["data"]["pageserver.toml"];
    CHECK(toml.find("control_plane_api = \"http://storage-controller.neon.svc.cluster.local:1234/upcall/v1/\"") !=
          std::string::npos);
    CHECK(
        toml.find("remote_storage = {endpoint = \"http://minio.neon.svc.cluster.local:9000\", bucket_name = \"neon\", "
                  "bucket_region = \"eu-north-1\", prefix_in_bucket = \"pageserver/\"}") != std::string::npos);
    CHECK(toml.find("listen_pg_addr = \"0.0.0.0:6400\"") != std::string::npos);
    CHECK(toml.find("NeonJWT") == std::string::npos);

    const auto prod = starter("prod");
    for (const auto& cm : of_kind(generate_pageservers(prod), "ConfigMap")) {
      const std::string t = cm["data"]["pageserver.toml"];
      CHECK(t.find("control_plane_api") != std::string::npos);
      CHECK(t.find("prefix_in_bucket = \"prod/pageserver/\"") != std::string::npos);
      CHECK(t.find("{endpoint") == std::string::npos);  // AWS: no custom endpoint
      CHECK(t.find("http_auth_type = \"NeonJWT\"") != std::string::npos);
      // The folder of the mounted key Secret: every key in it is trusted, so keys rotate with an
      // overlap (libs/utils/src/auth.rs JwtAuth::from_key_path).
      CHECK(t.find("auth_validation_public_key_path = \"/etc/neon/auth\"\n") != std::string::npos);
      CHECK(t.find("${") == std::string::npos);
      CHECK(t.find("availability_zone = \"zone-") != std::string::npos);
    }
  }

  TEST_CASE("safekeepers offload WAL and advertise stable names") {
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      const auto spec = starter(name);
      for (const auto& sts : of_kind(generate_safekeepers(spec), "StatefulSet")) {
        const Json& args = sts["spec"]["template"]["spec"]["containers"][0]["args"];
        const std::string set = sts["metadata"]["name"];
        CHECK(has_arg_prefix(args, "--remote-storage={"));
        // No --id and no pod-index label (Kubernetes 1.28+): the register step writes
        // safekeeper.id into the data volume (safekeeper/src/bin/safekeeper.rs:788-830).
        CHECK_FALSE(has_arg_prefix(args, "--id"));
        const Json& pod = sts["spec"]["template"]["spec"];
        CHECK(pod.dump().find("pod-index") == std::string::npos);
        const Json& init = pod["initContainers"][0];
        const auto dd = std::find(init["args"].begin(), init["args"].end(), Json("--data-dir"));
        REQUIRE(dd != init["args"].end());
        CHECK(*(dd + 1) == "/data");
        CHECK(init["volumeMounts"][0] == Json{{"name", "data"}, {"mountPath", "/data"}});
        CHECK(has_arg_prefix(args, "--advertise-pg=$(POD_NAME)." + set + ".neon.svc.cluster.local:5454"));
        CHECK(has_arg_prefix(args, "--broker-endpoint=http://storage-broker.neon.svc.cluster.local:50051"));
        const bool auth = std::string(name) == "prod";
        CHECK(has_arg_prefix(args, "--http-auth-public-key-path=") == auth);
        // Auth on means the WAL port checks tokens too (safekeeper/src/bin/safekeeper.rs:299-314).
        const bool key_folder =
            std::find(args.begin(), args.end(), Json("--pg-auth-public-key-path=/etc/neon/auth")) != args.end();
        CHECK(key_folder == auth);
        CHECK(has_arg_prefix(args, "--auth-token-path=/etc/neon/token/safekeeper") == auth);
        // Registration with an infra token read from a file, never the admin token.
        const auto tf = std::find(init["args"].begin(), init["args"].end(), Json("--token-file"));
        CHECK((tf != init["args"].end()) == auth);
        if (auth) {
          CHECK(*(tf + 1) == "/etc/neon/controller-token/infra");
          CHECK(init.value("env", Json::array()).dump().find("neon-auth-tokens") == std::string::npos);
          for (const auto& v : pod["volumes"]) {
            if (v["name"] == "auth-public-key") {
              CHECK(v == Json{{"name", "auth-public-key"}, {"secret", Json{{"secretName", "neon-auth-public-key"}}}});
            }
          }
        }
      }
    }
    const auto off = prod_with("walOffload: true", "walOffload: false");
    for (const auto& sts : of_kind(generate_safekeepers(off), "StatefulSet")) {
      const Json& c = sts["spec"]["template"]["spec"]["containers"][0];
      CHECK_FALSE(has_arg_prefix(c["args"], "--remote-storage"));
      CHECK(env_value(c, "AWS_ACCESS_KEY_ID").empty());
    }
  }

  TEST_CASE("images pinned, requests set, restricted security everywhere") {
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      const auto all = members_of(starter(name));
      int containers = 0;
      for_each_container(all, [&](const Json& workload, const Json& c) {
        CAPTURE(workload["metadata"]["name"]);
        CAPTURE(c["name"]);
        ++containers;
        CHECK(is_pinned_image(c["image"].get<std::string>()));
        CHECK(c["resources"]["requests"].contains("cpu"));
        CHECK(c["resources"]["requests"].contains("memory"));
        CHECK(c["resources"]["limits"].contains("memory"));
        CHECK(c["securityContext"]["allowPrivilegeEscalation"] == false);
        CHECK(c["securityContext"]["capabilities"]["drop"] == Json::array({"ALL"}));
        const Json& pod = workload["spec"]["template"]["spec"]["securityContext"];
        CHECK(pod["runAsNonRoot"] == true);
        CHECK(pod["seccompProfile"]["type"] == "RuntimeDefault");
        CHECK(pod["runAsUser"].get<int>() > 0);
      });
      CHECK(containers >= 6);
      for (const auto& r : all) {
        const Json& meta = r.body["metadata"];
        CHECK(meta["labels"]["app.kubernetes.io/part-of"] == "neon");
        CHECK(meta["labels"]["app.kubernetes.io/component"] == r.component);
        CHECK(meta["annotations"].contains("argocd.argoproj.io/sync-wave"));
      }
    }
  }

  TEST_CASE("secrets only by reference") {
    const auto looks_secret = [](const std::string& v) {
      return v.find("-----BEGIN") != std::string::npos || v.rfind("eyJ", 0) == 0 ||
             v.find("password") != std::string::npos || v.find(":$(") != std::string::npos;
    };
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      const auto all = members_of(starter(name));
      int by_ref = 0;
      for_each_container(all, [&](const Json&, const Json& c) {
        for (const auto& e : c.value("env", Json::array())) {
          CAPTURE(e);
          const std::string env_name = e["name"];
          if (e.contains("value")) {
            CHECK_FALSE(looks_secret(e["value"].get<std::string>()));
            const bool sensitive = env_name.find("TOKEN") != std::string::npos ||
                                   env_name.find("SECRET") != std::string::npos ||
                                   env_name.find("KEY") != std::string::npos;
            // Secret-ish names may only carry a file path.
            if (sensitive) {
              CHECK(env_name.size() > 5);
              CHECK(env_name.substr(env_name.size() - 5) == "_FILE");
            }
          } else if (e["valueFrom"].contains("secretKeyRef")) {
            ++by_ref;
          }
        }
      });
      CHECK(by_ref > 0);
      CHECK(of_kind(all, "Secret").empty());
    }
    // With auth on, each member gets the tokens of its own calls from the token Secret, as files
    // where the consumer reads files; no pod gets the admin token.
    const auto prod = members_of(starter("prod"));
    std::set<std::string> keys;
    for_each_container(prod, [&](const Json&, const Json& c) {
      for (const auto& e : c.value("env", Json::array())) {
        if (e.contains("valueFrom") && e["valueFrom"].contains("secretKeyRef") &&
            e["valueFrom"]["secretKeyRef"]["name"] == "neon-auth-tokens") {
          keys.insert("env:" + e["valueFrom"]["secretKeyRef"]["key"].get<std::string>());
        }
      }
    });
    for (const auto& o : prod) {
      if (!is_workload(o.kind())) {
        continue;
      }
      for (const auto& v : o.body["spec"]["template"]["spec"].value("volumes", Json::array())) {
        if (v.contains("secret") && v["secret"]["secretName"] == "neon-auth-tokens") {
          REQUIRE(v["secret"].contains("items"));  // never the whole Secret
          for (const auto& item : v["secret"]["items"]) {
            keys.insert("file:" + item["key"].get<std::string>());
          }
        }
      }
    }
    CHECK(keys == std::set<std::string>{"env:safekeeper", "file:generations", "file:infra", "file:safekeeper"});
  }

  TEST_CASE("computes bootstrap through the hook with their own token file; the hook has no controller token") {
    for (const auto* name : {"dev", "prod"}) {
      CAPTURE(name);
      const auto spec = starter(name);
      for (const auto& d : of_kind(generate_computes(spec), "Deployment")) {
        const Json& pod = d["spec"]["template"]["spec"];
        const Json& init = pod["initContainers"][0];
        const Json& args = init["args"];
        const std::string id = d["metadata"]["name"].get<std::string>().substr(std::string("compute-").size());
        CAPTURE(id);
        CHECK(args[0] == "bootstrap");
        CHECK(args[1] == "compute");
        CHECK(std::find(args.begin(), args.end(), Json("--storage-controller")) == args.end());
        const auto hook = std::find(args.begin(), args.end(), Json("--hook"));
        REQUIRE(hook != args.end());
        // The prod starter has spec.tls: the hook's HTTPS port (test_tls_inside.cpp).
        CHECK(*(hook + 1) == (std::string(name) == "prod" ? "https://compute-hook.neon.svc.cluster.local:8443"
                                                          : "http://compute-hook.neon.svc.cluster.local:8080"));
        const auto file = std::find(args.begin(), args.end(), Json("--compute-token-file"));
        REQUIRE(file != args.end());
        CHECK(*(file + 1) == "/etc/neon/compute-token/token");
        CHECK_FALSE(init.contains("env"));
        bool token_volume = false;
        for (const auto& v : pod["volumes"]) {
          if (v["name"] == "compute-token") {
            token_volume = true;
            CHECK(v["secret"]["secretName"] == "neon-compute-hook-tokens");
            CHECK(v["secret"]["items"] == Json::array({Json{{"key", id + ".token"}, {"path", "token"}}}));
          }
        }
        CHECK(token_volume);
        CHECK(pod.dump().find("neon-auth-tokens") == std::string::npos);
      }
      for (const auto& d : of_kind(generate_compute_hook(spec), "Deployment")) {
        const std::string text = d.dump();
        CHECK(text.find("NEON_STORAGE_CONTROLLER_TOKEN") == std::string::npos);
        CHECK(text.find("neon-auth-tokens") == std::string::npos);
      }
    }
  }

  TEST_CASE("pageservers and safekeepers are OnDelete in every starter and example: a sync restarts none of them") {
    std::vector<std::filesystem::path> specs;
    for (const char* folder : {"starters", "examples"}) {
      for (const auto& e : std::filesystem::directory_iterator(neon::test::source_dir() / "schemas" / folder)) {
        if (e.path().extension() == ".yaml") {
          specs.push_back(e.path());
        }
      }
    }
    REQUIRE(specs.size() >= 5);
    for (const auto& path : specs) {
      CAPTURE(path.string());
      auto loaded = load_spec(neon::test::read_text(path), path.filename().string());
      REQUIRE(loaded.spec);
      int sets = 0;
      for (auto* fn : {&generate_pageservers, &generate_safekeepers}) {
        for (const auto& sts : of_kind(fn(*loaded.spec), "StatefulSet")) {
          CHECK(sts["spec"]["updateStrategy"] == Json{{"type", "OnDelete"}});
          ++sets;
        }
      }
      CHECK(sets >= 2);
    }
  }

  TEST_CASE("volumeClaimTemplates carry apiVersion and kind") {
    for (const auto* name : {"dev", "prod"}) {
      const auto all = members_of(starter(name));
      for (const auto& sts : of_kind(all, "StatefulSet")) {
        for (const auto& t : sts["spec"]["volumeClaimTemplates"]) {
          CHECK(t["apiVersion"] == "v1");
          CHECK(t["kind"] == "PersistentVolumeClaim");
          CHECK(!t["spec"]["resources"]["requests"]["storage"].get<std::string>().empty());
        }
        CHECK(sts["spec"]["volumeClaimTemplates"].size() == 1);
      }
    }
  }

  TEST_CASE("computes: one per branch plus read replicas, sized from compute units") {
    const auto prod = starter("prod");
    const auto set = generate_computes(prod);
    const auto deployments = of_kind(set, "Deployment");
    REQUIRE(deployments.size() == 2);
    CHECK(deployments[0]["metadata"]["name"] == "compute-app-main");
    CHECK(deployments[1]["metadata"]["name"] == "compute-app-main-ro-0");
    CHECK(deployments[1]["spec"]["replicas"] == 1);
    CHECK(deployments[0]["spec"]["strategy"]["type"] == "Recreate");
    const Json& c = deployments[0]["spec"]["template"]["spec"]["containers"][0];
    CHECK(c["resources"]["requests"]["cpu"] == "1000m");
    CHECK(c["resources"]["requests"]["memory"] == "4096Mi");
    CHECK(has_arg_prefix(c["args"], "https://compute-hook.neon.svc.cluster.local:8443"));  // spec.tls
    const auto id_at = std::find(c["args"].begin(), c["args"].end(), Json("--compute-id"));
    REQUIRE(id_at != c["args"].end());
    CHECK(*(id_at + 1) == names::compute_id("app", "main"));
    CHECK(c["readinessProbe"]["tcpSocket"]["port"] == "postgres");
    CHECK(c["livenessProbe"]["httpGet"]["path"] == "/metrics");
    const Json& ro = deployments[1]["spec"]["template"]["spec"]["containers"][0];
    // compute_ctl reads its spec token from NEON_CONTROL_PLANE_TOKEN only (compute_tools/src/spec.rs:79):
    // each compute's own key of the hook tokens Secret, into the environment, never argv or a literal.
    for (const auto& [container, id] : {std::pair<const Json&, std::string>{c, names::compute_id("app", "main")},
                                        {ro, names::replica_id("app", "main", 0)}}) {
      REQUIRE(container["env"].size() == 2);  // and SSL_CERT_FILE (spec.tls)
      CHECK(container["env"][1] == Json{{"name", "SSL_CERT_FILE"}, {"value", "/etc/neon/tls-ca/ca.crt"}});
      CHECK(container["env"][0] == Json{{"name", "NEON_CONTROL_PLANE_TOKEN"},
                                        {"valueFrom", Json{{"secretKeyRef", Json{{"name", "neon-compute-hook-tokens"},
                                                                                 {"key", id + ".token"}}}}}});
      for (const auto& a : container["args"]) {
        CHECK(a.get<std::string>().find("token") == std::string::npos);
      }
    }
    CHECK(std::find(ro["args"].begin(), ro["args"].end(), Json(names::replica_id("app", "main", 0))) !=
          ro["args"].end());
    CHECK(of_kind(generate_computes(starter("dev")), "Deployment").size() == 1);
  }

  TEST_CASE("compute hook serves the generated computes.json") {
    const auto dev = starter("dev");
    const auto hook = generate_compute_hook(dev);
    const auto cms = of_kind(hook, "ConfigMap");
    REQUIRE(cms.size() == 1);
    CHECK(cms[0]["metadata"]["name"] == names::k_computes_config);
    CHECK(Json::parse(cms[0]["data"][names::k_computes_key].get<std::string>()) == computes_config(dev));
    const Json c = of_kind(hook, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0];
    CHECK(c["args"][0] == "hook");
    CHECK(c["readinessProbe"]["httpGet"]["path"] == "/healthz");
    // dev, auth off: no token, but the signing key still comes from its Secret.
    CHECK(env_value(c, "NEON_HOOK_SIGNING_KEY_FILE") == "/var/run/secrets/neon/signing/private.pem");
    // Every profile: the key the computes' spec tokens are derived from, the hook's alone.
    CHECK(env_value(c, "NEON_HOOK_COMPUTE_TOKEN_KEY_FILE") == "/var/run/secrets/neon/hook-tokens/compute-token-key");
    const Json volumes = of_kind(hook, "Deployment")[0]["spec"]["template"]["spec"]["volumes"];
    CHECK(
        std::find(volumes.begin(), volumes.end(),
                  Json{{"name", "hook-tokens"},
                       {"secret",
                        Json{{"secretName", "neon-compute-hook-tokens"},
                             {"items", Json::array({Json{{"key", "compute-token-key"}, {"path", "compute-token-key"}},
                                                    Json{{"key", "control-plane"}, {"path", "control-plane"}}})}}}}) !=
        volumes.end());
    // The controller's token on /notify-*, in dev too (issue 20, item 2).
    CHECK(env_value(c, "NEON_HOOK_EXPECTED_TOKEN_FILE") == "/var/run/secrets/neon/hook-tokens/control-plane");
    CHECK(env_value(c, "NEON_HOOK_STORAGE_SIGNING_KEY_FILE").empty());
    const Json prod_c =
        of_kind(generate_compute_hook(starter("prod")), "Deployment")[0]["spec"]["template"]["spec"]["containers"][0];
    CHECK(env_value(prod_c, "NEON_HOOK_SIGNING_KEY_FILE") == "/var/run/secrets/neon/signing/private.pem");
    CHECK(env_value(prod_c, "NEON_HOOK_EXPECTED_TOKEN_FILE") == "/var/run/secrets/neon/hook-tokens/control-plane");
    // The storage controller sends it in every profile (storage_controller/src/main.rs:298-301).
    for (const char* profile : {"dev", "prod"}) {
      CAPTURE(profile);
      const auto sets = generate_storage_controller(starter(profile));
      const Json sc = of_kind(sets, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0];
      bool found = false;
      for (const auto& e : sc["env"]) {
        if (e["name"] == "CONTROL_PLANE_JWT_TOKEN") {
          found = true;
          CHECK(e["valueFrom"]["secretKeyRef"] == Json{{"name", "neon-compute-hook-tokens"}, {"key", "control-plane"}});
        }
      }
      CHECK(found);
    }
    CHECK(env_value(prod_c, "NEON_HOOK_STORAGE_SIGNING_KEY_FILE") ==
          "/var/run/secrets/neon/storage-signing/private.pem");
  }

  TEST_CASE("workload identity: ServiceAccounts instead of key env") {
    const auto wi = prod_with(
        "      secretRef:\n        name: neon-s3-credentials     # keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n",
        "      workloadIdentity:\n        serviceAccountAnnotations:\n          eks.amazonaws.com/role-arn: "
        "arn:aws:iam::1:role/neon\n");
    for (const auto& set : {generate_pageservers(wi), generate_safekeepers(wi)}) {
      const auto sas = of_kind(set, "ServiceAccount");
      REQUIRE(sas.size() == 1);
      CHECK(sas[0]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::1:role/neon");
      for (const auto& sts : of_kind(set, "StatefulSet")) {
        const Json& pod = sts["spec"]["template"]["spec"];
        CHECK(pod["serviceAccountName"] == sas[0]["metadata"]["name"]);
        CHECK(env_value(pod["containers"][0], "AWS_ACCESS_KEY_ID").empty());
        for (const auto& e : pod["containers"][0].value("env", Json::array())) {
          CHECK(e["name"] != "AWS_ACCESS_KEY_ID");
        }
      }
    }
  }

  TEST_CASE("shipped components select the generated labels and port names") {
    const auto dir = neon::test::source_dir() / "overlays" / "components";
    const auto all = members_of(starter("prod"));
    std::map<std::string, std::string> port_of;  // component -> port name
    for (const auto* c : {"pageserver", "safekeeper", "compute", "compute-hook"}) {
      const auto docs =
          YAML::LoadAllFromFile((dir / "monitoring" / (std::string("servicemonitor-") + c + ".yaml")).string());
      REQUIRE(docs.size() == 1);
      CHECK(docs[0]["kind"].as<std::string>() == "ServiceMonitor");
      CHECK(docs[0]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"].as<std::string>() == c);
      port_of[c] = docs[0]["spec"]["endpoints"][0]["port"].as<std::string>();
    }
    for (const auto& svc : of_kind(all, "Service")) {
      const std::string comp = svc["metadata"]["labels"]["app.kubernetes.io/component"];
      const std::string name = svc["metadata"]["name"];
      if (comp == "compute" && name.compare(name.size() - 3, 3, "-ro") == 0) {
        continue;  // a branch's read-only Service: Postgres only, so no second scrape target
      }
      const auto& ports = svc["spec"]["ports"];
      CHECK(std::any_of(ports.begin(), ports.end(), [&](const Json& p) { return p["name"] == port_of[comp]; }));
    }
    for (const auto* file : {"kustomization.yaml"}) {
      for (const auto* comp : {"network-policy", "monitoring", "dev-minio", "dev-postgres"}) {
        const auto k = YAML::LoadFile((dir / comp / file).string());
        CHECK(k["kind"].as<std::string>() == "Component");
        for (const auto& res : k["resources"]) {
          CHECK(std::filesystem::exists(dir / comp / res.as<std::string>()));
        }
      }
    }
  }
}
