#pragma once
// A fake compute_ctl external HTTP server (neon-api.md §4.4) for tests and benches: cpp-httplib on
// 127.0.0.1 (or ::1) in a background thread. POST /configure checks the bearer JWT like
// compute_ctl does (EdDSA against a JWKS, `exp`, the `compute_id` claim; 400 / 401 / 403), checks
// the body has both `spec` and `compute_ctl_config`, and records each spec it accepts. It can be
// taken down (nothing listens on its port) and brought back, answer 412 like a compute that is not
// running, or hold its answers until the test lets them go.
//
// Like compute_ctl, it fixes the keys it accepts when it starts (compute_tools/src/compute.rs:648-656,
// http/server.rs:122-126): the JWKS from its spec fetch (fetch_spec) or given with trust(); the
// JWKS in a later /configure body changes nothing. GET /status and POST /terminate check the token
// the same way. A token no fixed key verifies gets 401
// {"error":"failed to verify authorization token"} (http/middleware/authorize.rs:88-91, :184).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace neon::test {

class FakeComputeCtl {
public:
  enum class Mode { running, not_running /* 412 */, failing /* 500 */ };

  /// A compute_ctl started with `--compute-id compute_id`. An empty id stands for many computes
  /// behind one server (benches): any `compute_id` claim is accepted, but one is still required.
  explicit FakeComputeCtl(std::string compute_id, std::string host = "127.0.0.1");
  ~FakeComputeCtl();
  FakeComputeCtl(const FakeComputeCtl&) = delete;
  FakeComputeCtl& operator=(const FakeComputeCtl&) = delete;

  int port() const;
  std::string address() const;  ///< 127.0.0.1:<port> or [::1]:<port>, as computes.json spells it

  /// Starts with this JWKS, as if from its config file. The first JWKS stays: false (and no
  /// change) when another one was fixed before. Without one, every token gets 401.
  bool trust(const nlohmann::json& jwks);

  /// compute_ctl's start with --control-plane-uri (compute_tools/src/spec.rs:23-135): GET
  /// <base>/compute/api/v2/computes/<id>/spec at most 3 times, 100 ms after each failure; only a
  /// transport error, 502, 503 or an undecodable 200 is tried again; "attached" without a spec
  /// fails. On success the reply's compute_ctl_config.jwks is fixed, as trust() does.
  struct Fetch {
    bool ok = false;
    int attempts = 0;
    long status = 0;  ///< of the last attempt; 0: transport error
    std::string error;
    nlohmann::json reply;  ///< the last 200 body
  };
  Fetch fetch_spec(const std::string& base_url, const std::string& token = "");
  void set_mode(Mode mode);
  /// Stops listening (connections are refused) or listens again on the same port.
  void set_down(bool down);

  /// From now on /configure waits before answering, until release().
  void hold();
  /// Lets the waiting requests through and stops holding.
  void release();
  /// Waits until `count` requests are held; false if that takes longer than `limit`.
  bool wait_held(int count, std::chrono::milliseconds limit) const;

  /// What GET /status reports as `status` (default running); /terminate sets terminated.
  void set_status(const std::string& status);
  /// GET /status's last_active (nullopt: null) and start_time, RFC 3339.
  void set_activity(std::optional<std::string> last_active, std::string start_time);
  /// POST /terminate calls that stopped a running compute.
  int terminations() const;
  int status_requests() const;

  /// Specs accepted by /configure, oldest first.
  std::vector<nlohmann::json> specs() const;
  /// Calls answered 400/401/403 because of the token.
  int rejected() const;
  /// The body of the last answer that refused a token, e.g. {"error":"failed to verify authorization token"}.
  nlohmann::json last_rejection() const;
  /// Requests received, accepted or not.
  int requests() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

/// The Ed25519 public key PEM for one JWK {"kty":"OKP","crv":"Ed25519","x":...}; empty if invalid.
std::string jwk_to_pem(const nlohmann::json& jwk);

}  // namespace neon::test
