#pragma once
// The one place libcurl is used. RAII handles, named timeouts, tokens never logged (errors show
// a redacted URL), TLS verification on by default. Commands and clients talk to `HttpTransport`
// so tests can inject faults; CurlTransport is the real one. Implemented in http.cpp.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generators/result.hpp"

namespace neon::cli::http {

inline constexpr std::chrono::milliseconds k_connect_timeout{5000};
inline constexpr std::chrono::milliseconds k_request_timeout{30000};

struct TlsOptions {
  std::string ca_file;          ///< PEM bundle; empty: the system store
  std::string ca_pem;           ///< PEM text (kubeconfig certificate-authority-data)
  std::string client_cert_pem;  ///< client certificate, PEM text
  std::string client_key_pem;   ///< client key, PEM text
  bool insecure_skip_verify = false;
};

/// Takes one piece of a streamed body as it arrives; returns false to stop the transfer there.
using BodyChunk = std::function<bool(std::string_view)>;

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. {"Authorization", "Bearer ..."}
  std::string body;
  /// Default k_request_timeout. Zero: no limit on the whole transfer (a followed stream); connecting
  /// is still limited by k_connect_timeout.
  std::optional<std::chrono::milliseconds> timeout;
  /// Set: the body of a 2xx answer goes here piece by piece instead of into Response::body (which
  /// keeps the body of any other status, for its error message). A transfer stopped by the callback
  /// is an answer, not a failure.
  BodyChunk on_body;
};

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
};

enum class FailureKind { connect, timeout, tls, other };

/// The error kind of a failure without an answer.
inline ErrorKind error_kind(FailureKind kind) {
  return kind == FailureKind::timeout ? ErrorKind::timeout : ErrorKind::unreachable;
}

struct TransportError {
  FailureKind kind = FailureKind::other;
  std::string message;  ///< includes the method and the redacted URL, never a token
};

/// A response (any status) or a transport failure.
struct Outcome {
  std::optional<Response> response;
  std::optional<TransportError> error;
};

class Transport {
public:
  virtual ~Transport() = default;
  virtual Outcome send(const Request& request) = 0;
};

/// libcurl behind Transport. Not shareable across threads; create one per thread.
class CurlTransport final : public Transport {
public:
  explicit CurlTransport(TlsOptions tls = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;
  Outcome send(const Request& request) override;
  /// From now on an answer whose body grows beyond `bytes` fails (FailureKind::other, "answer
  /// larger than N bytes") instead of being read into memory whole.
  void limit_answer(std::size_t bytes);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Percent-encoding for a query value or path segment: RFC 3986 unreserved characters kept,
/// every other byte %XX. The one URL encoder of the program.
std::string url_encode(std::string_view s);

/// `url` with any userinfo and query string values removed, for messages.
std::string redact_url(const std::string& url);

/// curl_global_init/cleanup (reference counted by libcurl, thread-safe since 7.84 when libcurl
/// reports CURL_VERSION_THREADSAFE). Every CurlTransport holds one, so libcurl and OpenSSL start
/// only when a command first talks HTTP; a long-lived server holds one for its lifetime so its
/// transports do not start and stop libcurl again.
class Global {
public:
  Global();
  ~Global();
  Global(const Global&) = delete;
  Global& operator=(const Global&) = delete;
};

}  // namespace neon::cli::http
