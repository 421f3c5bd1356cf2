#pragma once
// The server side of TLS for the HTTP gate (http_gate.hpp), with OpenSSL: a server context made
// from a certificate chain file and a private key file (PEM: PKCS#8, PKCS#1 or SEC1), read again
// when the files change (cert-manager renews a mounted kubernetes.io/tls Secret in place), and one
// accepted connection, plaintext or TLS, driven without blocking by the gate's poll() loop. Every
// OpenSSL object is owned here (RAII); nothing is global.

#include <sys/stat.h>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "generators/result.hpp"

struct ssl_st;
struct ssl_ctx_st;

namespace neon::cli {

struct SslCtxFree {
  void operator()(ssl_ctx_st* ctx) const;
};
struct SslFree {
  void operator()(ssl_st* ssl) const;
};
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxFree>;
using SslPtr = std::unique_ptr<ssl_st, SslFree>;

/// A server context for TLS 1.2 and later from `cert_file` (the chain, leaf first) and
/// `key_file`; an error naming the file when one is unreadable or the key is not the
/// certificate's.
Result<SslCtxPtr> load_tls_server_context(const std::string& cert_file, const std::string& key_file);

/// The current server context, read again when the files' inode, size or mtime change (checked
/// at most every `recheck`). A reload that fails keeps the previous context.
class TlsServerContext {
public:
  using Clock = std::chrono::steady_clock;
  static Result<std::unique_ptr<TlsServerContext>> load(std::string cert_file, std::string key_file,
                                                        std::chrono::milliseconds recheck);
  /// The context to accept with now. When a reload failed, `problem` is set to why (once per
  /// failed change of the files).
  ssl_ctx_st* current(Clock::time_point now, std::optional<std::string>& problem);

private:
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    bool operator==(const Stamp& o) const;
  };
  static std::optional<Stamp> stamp(const std::string& path);
  TlsServerContext() = default;

  std::string m_cert_file, m_key_file;
  std::chrono::milliseconds m_recheck{60000};
  SslCtxPtr m_ctx;
  std::optional<Stamp> m_cert_stamp, m_key_stamp;  ///< of the files m_ctx (or the last failed try) came from
  Clock::time_point m_checked;
};

/// One accepted connection: its socket and, with TLS, its SSL. Closes the socket when destroyed.
class GateEndpoint {
public:
  enum class Io { done, want_read, want_write, closed };

  /// Takes `fd` (non-blocking); `ctx` nullptr: plaintext.
  GateEndpoint(int fd, ssl_ctx_st* ctx);
  ~GateEndpoint();
  GateEndpoint(GateEndpoint&& o) noexcept;
  GateEndpoint& operator=(GateEndpoint&& o) noexcept;
  GateEndpoint(const GateEndpoint&) = delete;
  GateEndpoint& operator=(const GateEndpoint&) = delete;

  int fd() const { return m_fd; }
  bool tls() const { return m_ssl != nullptr; }
  /// Advances the TLS handshake: done once it is finished (at once in plaintext), closed when it
  /// failed (a plaintext request to the TLS port, an untrusted client, a reset).
  Io handshake();
  bool handshaken() const { return m_handshaken; }
  /// Appends to `out` what has arrived, stopping once `out` holds more than `limit` bytes:
  /// want_read or want_write when nothing more is there yet, closed when the peer ended or failed.
  Io read_some(std::string& out, std::size_t limit);
  /// Whether decrypted bytes wait inside the SSL (poll() does not see them).
  bool buffered() const;
  /// Sends `data` without waiting (a short answer fits the socket buffer); false when it could not.
  bool send_nowait(std::string_view data);
  /// Makes the socket blocking, with `timeout` on every read and write (the relay's mode).
  void set_blocking(std::chrono::milliseconds timeout);
  /// Sends all of `data` (blocking mode); false on failure or timeout.
  bool send_all(std::string_view data);
  /// Ends the connection: drops unread input (closing with it would reset the connection and
  /// could lose the answer), sends close_notify with TLS, ends our side and closes.
  void finish();

private:
  /// What a failed SSL_accept or SSL_read (result `result`) asks for next.
  Io after_failure(int result);
  int m_fd = -1;
  SslPtr m_ssl;
  bool m_handshaken = false;
};

}  // namespace neon::cli
