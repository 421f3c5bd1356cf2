#pragma once
// A fake compute_ctl external HTTP server (neon-api.md §4.4) for tests and benches: cpp-httplib on
// 127.0.0.1 in a background thread. POST /configure checks the bearer JWT like compute_ctl does
// (EdDSA against a JWKS, `exp`, the `compute_id` claim; 400 / 401 / 403), checks the body has
// both `spec` and `compute_ctl_config`, and records each spec it accepts. It can be taken down
// (nothing listens on its port) and brought back, answer 412 like a compute that is not running,
// or hold its answers until the test lets them go.

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
  explicit FakeComputeCtl(std::string compute_id);
  ~FakeComputeCtl();
  FakeComputeCtl(const FakeComputeCtl&) = delete;
  FakeComputeCtl& operator=(const FakeComputeCtl&) = delete;

  int port() const;
  std::string address() const;  ///< 127.0.0.1:<port>, as computes.json spells it

  /// Verify tokens with this JWKS; without it, with the JWKS in the request body.
  void trust(const nlohmann::json& jwks);
  void set_mode(Mode mode);
  /// Stops listening (connections are refused) or listens again on the same port.
  void set_down(bool down);

  /// From now on /configure waits before answering, until release().
  void hold();
  /// Lets the waiting requests through and stops holding.
  void release();
  /// Waits until `count` requests are held; false if that takes longer than `limit`.
  bool wait_held(int count, std::chrono::milliseconds limit) const;

  /// Specs accepted by /configure, oldest first.
  std::vector<nlohmann::json> specs() const;
  /// Calls answered 400/401/403 because of the token.
  int rejected() const;
  /// Requests received, accepted or not.
  int requests() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

/// The Ed25519 public key PEM for one JWK {"kty":"OKP","crv":"Ed25519","x":...}; empty if invalid.
std::string jwk_to_pem(const nlohmann::json& jwk);

}  // namespace neon::test
