// Issue 16, the hook as the control plane of Neon's proxy: the /cplane routes against golden bodies
// written from neon-connect.md §4.5-4.6, their token check, the proxy's retry rules applied to our
// error bodies, wake on connect end to end (the fake Kubernetes API's scale subresource and a fake
// compute_ctl that comes up and fetches its spec from the hook), and idle suspend with an injected
// clock.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <set>
#include <sstream>

#include "plugin/adapters/base64.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/hook/hook_cplane.hpp"
#include "plugin/hook/hook_roles.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"
#include "tests/unit/test_hook_cluster.hpp"

namespace {

using namespace hook_test;
using neon::test::FakeKubeApi;
using neon::test::FakeKubeOptions;
using neon::test::TestPki;

const std::string k_proxy_token = "test-proxy-token";

ComputeDef endpoint_def(const std::string& id, const std::string& endpoint, long suspend_after = 0) {
  ComputeDef d{id, k_tenant, k_timeline};
  d.roles = Json::array({Json{{"name", "app"}, {"options", nullptr}, {"secret", "app-main-app"}}});
  d.databases = Json::array({Json{{"name", "app"}, {"owner", "app"}, {"options", nullptr}}});
  d.project = "app";
  d.branch = id.substr(id.find('-') + 1);
  d.endpoint = endpoint;
  d.deployment = "compute-" + id;
  d.suspend_after_seconds = suspend_after;
  return d;
}

/// GET `path` on the hook with the proxy's headers (cplane_proxy_v1.rs:130-215): bearer token,
/// X-Request-ID, session_id and application_name in the query.
httplib::Result proxy_get(const Cluster& cluster, const std::string& path, const std::string& token = k_proxy_token) {
  httplib::Headers headers{{"X-Request-ID", "7f1b1a52-6c9e-4a31-9d0e-5b2a33c4f001"}};
  if (!token.empty()) {
    headers.emplace("Authorization", "Bearer " + token);
  }
  const char* sep = path.find('?') == std::string::npos ? "?" : "&";
  return cluster.client().Get(
      (path + sep + "session_id=7f1b1a52-6c9e-4a31-9d0e-5b2a33c4f001&application_name=psql").c_str(), headers);
}

/// The proxy's reading of an error body (proxy/src/control_plane/messages.rs:15-21 and :68-90,
/// Reason::can_retry below it): retried when `status` is present and has retry_info, or a
/// retryable reason; cached 30 s unless retryable without retry_info
/// (client/cplane_proxy_v1.rs:476-497, neon-connect.md §4.6).
struct ProxyView {
  bool parses = false;
  bool retried = false;
  bool cached = false;
};
ProxyView as_proxy_reads(const std::string& body) {
  ProxyView v;
  const Json j = Json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) {
    return v;
  }
  v.parses = true;
  if (!j.contains("status")) {
    v.cached = true;
    return v;
  }
  const Json& st = j["status"];
  v.parses = st.contains("code") && st.contains("message") && st.contains("details");
  const Json& details = st["details"];
  const bool retry_info = details.contains("retry_info");
  static const std::set<std::string> k_retryable{"RUNNING_OPERATIONS", "CONCURRENCY_LIMIT_REACHED",
                                                 "LOCK_ALREADY_TAKEN", "ENDPOINT_IDLE", "PROJECT_UNDER_MAINTENANCE"};
  const std::string reason =
      details.contains("error_info") ? details["error_info"].value("reason", std::string()) : std::string();
  v.retried = retry_info || k_retryable.count(reason) > 0;
  v.cached = !(v.retried && !retry_info);
  return v;
}

/// A fake Kubernetes API with the compute Deployments, and the hook's scale functions pointed at it.
struct Kube {
  neon::test::ScratchDir dir;
  TestPki pki;
  FakeKubeApi api;
  Kube() : dir("hook-proxy-kube"), pki(dir.path()), api(pki, FakeKubeOptions{"kube-token", false, ""}) {
    REQUIRE_MESSAGE(pki.ok, pki.error);
    REQUIRE(api.running());
  }
  neon::cli::kube::ApiServer server() const {
    neon::cli::kube::ApiServer s;
    s.server = api.url();
    s.tls.ca_file = pki.ca_crt.string();
    s.headers = {{"Authorization", "Bearer kube-token"}};
    return s;
  }
  void wire(ClusterOptions& o) const {
    const auto s = server();
    o.get_scale = [s](const std::string& d) -> neon::Result<int> {
      neon::cli::http::CurlTransport t(s.tls);
      neon::cli::kube::Client c(s, t);
      return c.get_scale("neon", d);
    };
    o.set_scale = [s](const std::string& d, int n) -> neon::Result<void> {
      neon::cli::http::CurlTransport t(s.tls);
      neon::cli::kube::Client c(s, t);
      return c.set_scale("neon", d, n);
    };
  }
  /// The hook's options for Deployment `name` scaled to zero: the proxy's token and these scale functions.
  ClusterOptions asleep(const std::string& name) {
    api.workloads().add_deployment("neon", name, {{"app.kubernetes.io/component", "compute"}}, 0, 0, 0);
    ClusterOptions o;
    o.proxy_token = k_proxy_token;
    wire(o);
    return o;
  }
  /// asleep(), with the wake's wait per call and its deadline.
  ClusterOptions asleep(const std::string& name, int wait_ms, int deadline_ms) {
    ClusterOptions o = asleep(name);
    o.wake_wait = std::chrono::milliseconds(wait_ms);
    o.wake_deadline = std::chrono::milliseconds(deadline_ms);
    return o;
  }
  int scale_patches() const {
    int n = 0;
    for (const auto& r : api.requests()) {
      n += r.method == "PATCH" && r.target.find("/scale") != std::string::npos ? 1 : 0;
    }
    return n;
  }
};

}  // namespace

TEST_SUITE("hook proxy") {
  TEST_CASE("the /cplane routes answer Neon's proxy: bodies of cplane_proxy_v1.rs, golden") {
    neon::test::ScratchDir tmp("hook-cplane");
    neon::test::write_text(tmp / "app-main-app", "correct horse");
    ClusterOptions o;
    o.passwords_dir = tmp.path().string();
    o.proxy_token = k_proxy_token;
    ComputeDef main = endpoint_def("app-main", "app");
    main.pooler_port = 6432;
    ComputeDef replica{"app-main-ro-0", k_tenant, k_timeline, "replica"};  // not an endpoint
    Cluster cluster({main, replica}, o);
    cluster.storcon.add_tenant(k_tenant);

    std::string transcript;
    for (const std::string path : {
             "/cplane/get_endpoint_access_control?endpointish=app&role=app",
             "/cplane/get_endpoint_access_control?endpointish=app-pooler&role=app",
             "/cplane/get_endpoint_access_control?endpointish=app&role=nobody",
             "/cplane/get_endpoint_access_control?endpointish=app&role=cloud_admin",
             "/cplane/get_endpoint_access_control?endpointish=app-main-ro-0&role=app",
             "/cplane/wake_compute?endpointish=app",
             "/cplane/wake_compute?endpointish=app-pooler",
             "/cplane/wake_compute?endpointish=nope",
             "/cplane/endpoints/app/jwks",
             "/cplane/endpoints/nope/jwks",
         }) {
      auto res = proxy_get(cluster, path);
      REQUIRE(res);
      const Json body = Json::parse(res->body);
      // The compute_ctl fake listens on a free port; its Postgres port is computes.json's pg_port.
      transcript += fmt::format("GET {}\n{} {}\n\n", path, res->status, body.dump());
    }
    CHECK(neon::test::check_golden("hook/cplane-routes.txt", transcript) == "");

    // The secret is the verifier the compute gets in its spec (neon-connect.md §4.8: the proxy
    // logs in to the compute with the keys recovered from it).
    auto res = proxy_get(cluster, "/cplane/get_endpoint_access_control?endpointish=app&role=app");
    REQUIRE(res);
    auto verifier = neon::cli::hook::role_verifier("correct horse", "app", "main", "app");
    REQUIRE(verifier);
    CHECK(Json::parse(res->body)["role_secret"] == *verifier);
    REQUIRE(cluster.get_spec("app-main")->status == 200);
    CHECK(Json::parse(cluster.get_spec("app-main")->body)["spec"]["cluster"]["roles"][0]["encrypted_password"] ==
          *verifier);
  }

  TEST_CASE("the /cplane routes take the proxy's token only; the notify token is not it") {
    ClusterOptions o;
    o.proxy_token = k_proxy_token;
    Cluster cluster({endpoint_def("app-main", "app")}, o);
    for (const std::string path : {"/cplane/get_endpoint_access_control?endpointish=app&role=app",
                                   "/cplane/wake_compute?endpointish=app", "/cplane/endpoints/app/jwks"}) {
      CAPTURE(path);
      auto none = proxy_get(cluster, path, "");
      REQUIRE(none);
      CHECK(none->status == 401);
      auto other = proxy_get(cluster, path, cluster.token);  // the storage controller's
      REQUIRE(other);
      CHECK(other->status == 403);
      CHECK(other->body.find(k_proxy_token) == std::string::npos);
      // Without status details the proxy neither retries nor dresses it up (messages.rs:68-75).
      CHECK_FALSE(as_proxy_reads(other->body).retried);
    }
    CHECK(metric(cluster, R"(neon_hook_proxy_requests_total{route="any",outcome="denied"})") == 6);

    // A hook without the proxy's token serves no /cplane route at all.
    Cluster plain({endpoint_def("app-main", "app")});
    auto res = proxy_get(plain, "/cplane/wake_compute?endpointish=app");
    REQUIRE(res);
    CHECK(res->status == 404);
  }

  TEST_CASE("error bodies as the proxy reads them: starting is retried and not cached, a failure is final") {
    using neon::cli::hook::CplaneError;
    const auto starting = neon::cli::hook::cplane_error_body(CplaneError{
        503, "compute app-main: starting", "RUNNING_OPERATIONS", std::nullopt, "endpoint is starting, retry"});
    auto v = as_proxy_reads(starting.dump());
    CHECK(v.parses);
    CHECK(v.retried);
    CHECK_FALSE(v.cached);
    CHECK(starting["status"]["details"]["user_facing_message"]["message"] == "endpoint is starting, retry");
    const auto final_error =
        neon::cli::hook::cplane_error_body(CplaneError{500, "did not start", "", std::nullopt, "could not be started"});
    v = as_proxy_reads(final_error.dump());
    CHECK(v.parses);
    CHECK_FALSE(v.retried);
    CHECK(v.cached);
    // `details` is not optional in the proxy's Status (messages.rs:93-98): present even when empty.
    CHECK(final_error["status"]["details"].contains("error_info") == false);
    CHECK(final_error["status"].contains("details"));
  }

  TEST_CASE(
      "wake on connect: a sleeping compute is scaled to 1, fetches its spec from the hook, and the call "
      "answers its address" *
      doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube kube;
    auto& w = kube.api.workloads();
    ClusterOptions o = kube.asleep("compute-app-main");
    std::ostringstream log;
    o.log = &log;
    Cluster cluster({endpoint_def("app-main", "app", 300)}, o);
    FakeComputeCtl& compute = *cluster.computes[0];
    compute.set_down(true);  // zero replicas: nothing listens
    std::atomic<bool> fetched{false};
    std::vector<std::thread> starts;
    std::mutex starts_mu;
    w.on_scaled([&](const std::string&, const std::string&, int replicas) {
      if (replicas != 1) {
        return;
      }
      std::lock_guard<std::mutex> lock(starts_mu);
      starts.emplace_back([&] {  // the pod starts: compute_ctl listens, fetches its spec, applies it
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        compute.set_status("empty");
        compute.set_down(false);
        auto f = compute.fetch_spec(cluster.hook->url(), compute_token("app-main"));
        fetched = f.ok;
        compute.set_status(f.ok ? "running" : "failed");
      });
    });
    cluster.storcon.add_tenant(k_tenant);  // the placement its spec needs, read from the controller

    auto res = proxy_get(cluster, "/cplane/wake_compute?endpointish=app");
    REQUIRE(res);
    CHECK_MESSAGE(res->status == 200, (res->body + "\n" + log.str()));
    const Json body = Json::parse(res->body);
    CHECK(body["address"] == "127.0.0.1:55433");
    CHECK(body["aux"]["cold_start_info"] == "pool_miss");
    CHECK(body["aux"]["compute_id"] == "app-main");
    CHECK(fetched);
    CHECK(w.replicas("neon", "compute-app-main") == 1);
    CHECK(kube.scale_patches() == 1);
    // Awake now: the next wake answers at once, warm, with no scale call.
    auto again = proxy_get(cluster, "/cplane/wake_compute?endpointish=app");
    REQUIRE(again);
    CHECK(Json::parse(again->body)["aux"]["cold_start_info"] == "warm");
    CHECK(kube.scale_patches() == 1);
    CHECK(metric(cluster, "neon_hook_compute_cold_starts_total") == 1);
    CHECK(metric(cluster, "neon_hook_compute_wakes_total") == 2);
    for (auto& t : starts) {
      t.join();
    }
  }

  TEST_CASE("20 concurrent wake-ups of one sleeping compute make one scale call" * doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube kube;
    auto& w = kube.api.workloads();
    ClusterOptions o = kube.asleep("compute-app-main");
    Cluster cluster({endpoint_def("app-main", "app", 300)}, o);
    FakeComputeCtl& compute = *cluster.computes[0];
    compute.set_down(true);
    std::thread start;
    w.on_scaled([&](const std::string&, const std::string&, int replicas) {
      if (replicas == 1) {
        start = std::thread([&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          compute.set_down(false);
        });
      }
    });
    std::vector<std::future<int>> calls;
    for (int i = 0; i < 20; ++i) {
      calls.push_back(std::async(std::launch::async, [&] {
        auto r = proxy_get(cluster, "/cplane/wake_compute?endpointish=app");
        return r ? r->status : -1;
      }));
    }
    for (auto& c : calls) {
      CHECK(c.get() == 200);
    }
    CHECK(kube.scale_patches() == 1);
    CHECK(metric(cluster, "neon_hook_compute_cold_starts_total") == 1);
    start.join();
  }

  TEST_CASE("a compute that never starts: retryable errors, then a final one within the wake timeout" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube kube;
    Cluster cluster({endpoint_def("app-main", "app", 300)}, kube.asleep("compute-app-main", 200, 1000));
    cluster.computes[0]->set_down(true);  // scaled up, but never listens (an image that cannot be pulled)
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::string> seen;
    int final_status = 0;
    std::string final_body;
    for (int i = 0; i < 50; ++i) {  // what the proxy's retries do: call again and again
      auto res = proxy_get(cluster, "/cplane/wake_compute?endpointish=app");
      REQUIRE(res);
      const auto v = as_proxy_reads(res->body);
      REQUIRE(v.parses);
      if (!v.retried) {
        final_status = res->status;
        final_body = res->body;
        break;
      }
      CHECK(res->status == 503);
      CHECK_FALSE(v.cached);
      seen.push_back(Json::parse(res->body)["status"]["details"]["error_info"]["reason"]);
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    CHECK(seen.size() >= 3);
    CHECK(seen.front() == "RUNNING_OPERATIONS");
    CHECK(final_status == 500);
    CHECK(final_body.find("did not start within 1 s") != std::string::npos);
    CHECK(took < 5.0);  // the deadline (1 s) plus at most one wait (0.2 s), with room for a loaded machine
    CHECK(kube.scale_patches() == 1);
    CHECK(metric(cluster, "neon_hook_compute_wake_failures_total") == 1);
  }

  TEST_CASE("a wake that fails while no call waits is told to the next call within 10 s, not to a later one" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube kube;
    ClusterOptions o = kube.asleep("compute-app-main", 50, 1000);
    auto now = std::make_shared<std::atomic<long>>(0);  // seconds, for told_within (far below suspendAfter)
    o.clock = [now] { return neon::cli::hook::Clock::time_point{} + std::chrono::seconds(now->load()); };
    Cluster cluster({endpoint_def("app-main", "app", 300)}, o);
    cluster.computes[0]->set_down(true);
    const auto wake = [&] {
      auto res = proxy_get(cluster, "/cplane/wake_compute?endpointish=app");
      REQUIRE(res);
      return *res;
    };
    const auto failures_reach = [&](long n) {
      for (int i = 0; i < 500 && metric(cluster, "neon_hook_compute_wake_failures_total") < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return metric(cluster, "neon_hook_compute_wake_failures_total") == n;
    };
    CHECK(wake().status == 503);  // waited 50 ms; the wake goes on without a caller and fails at 1 s
    REQUIRE(failures_reach(1));
    const auto told = wake();
    CHECK_FALSE(as_proxy_reads(told.body).retried);
    CHECK(told.status == 500);
    CHECK(told.body.find("did not start within") != std::string::npos);
    CHECK(metric(cluster, "neon_hook_compute_wake_failures_total") == 1);  // no second wake ran
    // Told once: the call after it starts a new wake (the Deployment is at 1 already, so no scale).
    const auto again = wake();
    CHECK(again.status == 503);
    CHECK(as_proxy_reads(again.body).retried);
    // That one fails too, and the next call comes 11 s later: a new client, not a retry. It is
    // not handed the stale failure (the proxy would cache it for 30 s); a third wake starts.
    REQUIRE(failures_reach(2));
    now->store(11);
    const auto late = wake();
    CHECK(late.status == 503);
    CHECK(as_proxy_reads(late.body).retried);
    CHECK(kube.scale_patches() == 1);
  }

  TEST_CASE("a hook that stops ends a waiting wake_compute at once, not after its wait" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube kube;
    ClusterOptions o = kube.asleep("compute-app-main");
    o.wake_wait = std::chrono::milliseconds(30000);
    auto cluster = std::make_unique<Cluster>(std::vector<ComputeDef>{endpoint_def("app-main", "app", 300)}, o);
    cluster->computes[0]->set_down(true);  // never starts
    auto call = std::async(std::launch::async, [&] {
      auto r = proxy_get(*cluster, "/cplane/wake_compute?endpointish=app");
      return r ? r->status : -1;
    });
    for (int i = 0; i < 200 && kube.scale_patches() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(kube.scale_patches() == 1);  // the wake is under way
    const auto stopping = std::chrono::steady_clock::now();
    cluster->hook->server->stop();
    CHECK(call.get() == 500);                                                       // final: "the hook is stopping"
    CHECK(std::chrono::steady_clock::now() - stopping < std::chrono::seconds(10));  // not the 30 s wait
  }

  TEST_CASE("idle computes are terminated and scaled to zero after suspendAfter, by the injected clock" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");
    Kube kube;
    auto& w = kube.api.workloads();
    w.add_deployment("neon", "compute-app-main", {{"app.kubernetes.io/component", "compute"}}, 1, 1, 1);
    w.add_deployment("neon", "compute-app-dev", {{"app.kubernetes.io/component", "compute"}}, 1, 1, 1);
    w.add_deployment("neon", "compute-app-keep", {{"app.kubernetes.io/component", "compute"}}, 1, 1, 1);
    ClusterOptions o;
    o.proxy_token = k_proxy_token;
    kube.wire(o);
    o.activity_poll = std::chrono::milliseconds(30);
    const auto t0 = *neon::cli::hook::parse_rfc3339("2026-12-05T10:00:00Z");
    auto now = std::make_shared<std::atomic<long>>(0);  // seconds after t0
    o.clock = [now, t0] { return t0 + std::chrono::seconds(now->load()); };
    std::ostringstream log;
    o.log = &log;
    Cluster cluster(
        {endpoint_def("app-main", "app", 300), endpoint_def("app-dev", "dev", 600), endpoint_def("app-keep", "keep")},
        o);
    auto& main = *cluster.computes[0];  // last active 10:00:00, suspends at 10:05:00
    auto& dev = *cluster.computes[1];   // no session yet: idle since its start, 10:01:00, suspends at 10:11:00
    auto& keep = *cluster.computes[2];  // no suspendAfter
    main.set_activity("2026-12-05T10:00:00.250Z", "2026-12-05T09:00:00Z");
    dev.set_activity(std::nullopt, "2026-12-05T10:01:00+00:00");
    keep.set_activity("2026-12-05T08:00:00Z", "2026-12-05T08:00:00Z");
    auto settle = [&] {  // a few activity polls
      const int before = main.status_requests();
      for (int i = 0; i < 200 && main.status_requests() < before + 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    };
    now->store(4 * 60);
    settle();
    CHECK(w.replicas("neon", "compute-app-main") == 1);
    CHECK(main.terminations() == 0);
    now->store(5 * 60 + 1);
    for (int i = 0; i < 300 && w.replicas("neon", "compute-app-main") != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK_MESSAGE(w.replicas("neon", "compute-app-main") == 0, log.str());
    CHECK(main.terminations() == 1);  // fast shutdown first: the last WAL reaches the safekeepers
    CHECK(w.replicas("neon", "compute-app-dev") == 1);
    now->store(11 * 60 + 1);
    for (int i = 0; i < 300 && w.replicas("neon", "compute-app-dev") != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(w.replicas("neon", "compute-app-dev") == 0);
    CHECK(dev.terminations() == 1);
    CHECK(w.replicas("neon", "compute-app-keep") == 1);
    CHECK(keep.status_requests() == 0);  // not suspendable: never polled
    CHECK(metric(cluster, "neon_hook_compute_suspends_total") == 2);
    CHECK(metric(cluster, "neon_hook_computes_asleep") == 2);
    CHECK(log.str().find("suspend app-main: idle, scaled compute-app-main to 0") != std::string::npos);
  }

  TEST_CASE("compute_ctl timestamps as chrono writes them") {
    using neon::cli::hook::parse_rfc3339;
    const auto z = parse_rfc3339("2026-12-05T10:00:00Z");
    REQUIRE(z);
    CHECK(parse_rfc3339("2026-12-05T11:30:00+01:30") == z);
    CHECK(*parse_rfc3339("2026-12-05T10:00:00.5Z") - *z == std::chrono::milliseconds(500));
    CHECK(*parse_rfc3339("2026-12-05T10:00:01.123456789Z") - *z == std::chrono::nanoseconds(1123456789));
    CHECK_FALSE(parse_rfc3339("2026-12-05 10:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-12-05T10:00:00"));
    CHECK_FALSE(parse_rfc3339("yesterday"));
  }
}
