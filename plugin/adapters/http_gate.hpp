#pragma once
// A gate in front of a cpp-httplib server, so that slow clients cannot take its threads.
//
// cpp-httplib 0.11 gives every connection a pool thread from accept() on, and its read timeout
// applies to each read: a client that sends one byte every few seconds keeps a thread for as long
// as it likes, and a few dozen of them leave nothing for /healthz. The gate takes the public
// listener instead: one thread reads every connection's request (headers and body) with poll(),
// under one overall deadline and size bounds, and only a complete request goes on, with
// `Connection: close`, to the server listening on loopback, whose answer is relayed back by a small
// pool. A request that misses the deadline gets 408, one too large 431 or 413.
//
// With a certificate and key the gate serves HTTPS (tls_server.hpp): the handshake is driven by
// the same poll() loop and counts against the request deadline, so a client that never finishes
// it is closed then, and a plaintext request to the port is closed unanswered.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace neon::cli {

struct GateOptions {
  std::chrono::milliseconds request_deadline{5000};  ///< from accept to the last byte of the body
  std::size_t max_header = 16 * 1024;                ///< request line and headers
  std::size_t max_body = 1024 * 1024;
  std::size_t max_reading = 1024;                  ///< connections being read at once; more are closed at accept
  int relay_threads = 32;                          ///< complete requests relayed at once
  std::chrono::milliseconds relay_timeout{60000};  ///< no byte from the server or the client for this long
  /// PEM certificate chain and private key; both empty: plaintext HTTP.
  std::string tls_cert_file, tls_key_file;
  std::chrono::milliseconds tls_reload{60000};  ///< how often the files are checked for a change
  /// Set: only GET requests for these paths (the query aside) are relayed; any other gets 404 from
  /// the gate itself (a plaintext port that must carry no token: /healthz and /metrics).
  std::vector<std::string> only_get;
  /// Lines worth an operator's attention (a certificate that failed to reload); empty: dropped.
  std::function<void(const std::string&)> log;
};

class HttpGate {
public:
  /// Reads the TLS files when set: see problem().
  explicit HttpGate(GateOptions options);
  ~HttpGate();
  HttpGate(const HttpGate&) = delete;
  HttpGate& operator=(const HttpGate&) = delete;

  /// Why the gate cannot serve (a TLS file unreadable, the key not the certificate's); nullopt
  /// when it can.
  std::optional<std::string> problem() const;

  /// Listens on `host:port` (port 0: any free port); the bound port, or -1. An IPv6 address is
  /// dual-stack (IPV6_V6ONLY off).
  int bind(const std::string& host, int port);
  /// Reads requests and relays complete ones to 127.0.0.1:`backend_port` until stop().
  void run(int backend_port);
  /// Makes run() return; safe from any thread, and more than once.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace neon::cli
