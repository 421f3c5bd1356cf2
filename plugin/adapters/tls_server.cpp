#include "plugin/adapters/tls_server.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <ctime>

#include <fmt/format.h>

namespace neon::cli {
namespace {

/// The most recent OpenSSL error of this thread, and clears the queue.
std::string ssl_error() {
  const unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    text = buf.data();
  }
  ERR_clear_error();
  return text.empty() ? std::string("unknown OpenSSL error") : text;
}

/// OpenSSL writes to the socket with write(), which raises SIGPIPE when the peer is gone; the
/// process does not ignore SIGPIPE, so it is blocked for this thread while OpenSSL writes and a
/// SIGPIPE raised meanwhile is taken before unblocking (the thread's mask is restored).
class NoSigpipe {
public:
  NoSigpipe() {
    sigemptyset(&m_pipe);
    sigaddset(&m_pipe, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    m_was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &m_pipe, &m_old);
  }
  ~NoSigpipe() {
    if (!m_was_pending) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        static_cast<void>(sigtimedwait(&m_pipe, nullptr, &zero));
      }
    }
    pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

private:
  sigset_t m_pipe{};
  sigset_t m_old{};
  bool m_was_pending = false;
};

}  // namespace

void SslCtxFree::operator()(ssl_ctx_st* ctx) const { SSL_CTX_free(ctx); }
void SslFree::operator()(ssl_st* ssl) const { SSL_free(ssl); }

Result<SslCtxPtr> load_tls_server_context(const std::string& cert_file, const std::string& key_file) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    return make_error("cannot create a TLS context: " + ssl_error());
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return make_error(
        fmt::format("TLS certificate {}: cannot read a PEM certificate chain: {}", cert_file, ssl_error()),
        ErrorKind::invalid);
  }
  // PEM_read_bio_PrivateKey reads PKCS#8, PKCS#1 (RSA) and SEC1 (EC) keys alike.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(key_file.c_str(), "r"), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (!key) {
    return make_error(fmt::format("TLS key {}: cannot read a PEM private key: {}", key_file, ssl_error()),
                      ErrorKind::invalid);
  }
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1) {
    return make_error(
        fmt::format("TLS key {} does not belong to the certificate in {}: {}", key_file, cert_file, ssl_error()),
        ErrorKind::invalid);
  }
  return ctx;
}

bool TlsServerContext::Stamp::operator==(const Stamp& o) const {
  return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec;
}

std::optional<TlsServerContext::Stamp> TlsServerContext::stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {  // follows the Secret volume's ..data symlinks
    return std::nullopt;
  }
  return Stamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
}

Result<std::unique_ptr<TlsServerContext>> TlsServerContext::load(std::string cert_file, std::string key_file,
                                                                 std::chrono::milliseconds recheck) {
  std::unique_ptr<TlsServerContext> t(new TlsServerContext());
  t->m_cert_stamp = stamp(cert_file);
  t->m_key_stamp = stamp(key_file);
  auto ctx = load_tls_server_context(cert_file, key_file);
  if (!ctx) {
    return ctx.error();
  }
  t->m_ctx = std::move(*ctx);
  t->m_cert_file = std::move(cert_file);
  t->m_key_file = std::move(key_file);
  t->m_recheck = recheck;
  t->m_checked = Clock::now();
  return t;
}

ssl_ctx_st* TlsServerContext::current(Clock::time_point now, std::optional<std::string>& problem) {
  if (now - m_checked < m_recheck) {
    return m_ctx.get();
  }
  m_checked = now;
  auto cert = stamp(m_cert_file);
  auto key = stamp(m_key_file);
  if (cert == m_cert_stamp && key == m_key_stamp) {
    return m_ctx.get();
  }
  // Remembered even when the load fails: the files are tried again once they change again (a
  // Secret volume swaps both at once, so a half-written pair is not seen there).
  m_cert_stamp = cert;
  m_key_stamp = key;
  auto ctx = load_tls_server_context(m_cert_file, m_key_file);
  if (!ctx) {
    problem = "TLS certificate not reloaded, the previous one stays in use: " + ctx.error().message;
    return m_ctx.get();
  }
  m_ctx = std::move(*ctx);  // connections accepted before hold their own reference to the old one
  return m_ctx.get();
}

GateEndpoint::GateEndpoint(int fd, ssl_ctx_st* ctx) : m_fd(fd) {
  if (ctx != nullptr) {
    m_ssl.reset(SSL_new(ctx));
    if (m_ssl && SSL_set_fd(m_ssl.get(), fd) == 1) {
      SSL_set_accept_state(m_ssl.get());
    } else {
      ::close(m_fd);
      m_fd = -1;  // handshake() reports it closed
    }
  } else {
    m_handshaken = true;
  }
}

GateEndpoint::~GateEndpoint() {
  m_ssl.reset();
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

GateEndpoint::GateEndpoint(GateEndpoint&& o) noexcept
    : m_fd(o.m_fd), m_ssl(std::move(o.m_ssl)), m_handshaken(o.m_handshaken) {
  o.m_fd = -1;
}

GateEndpoint& GateEndpoint::operator=(GateEndpoint&& o) noexcept {
  if (this != &o) {
    m_ssl.reset();
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = o.m_fd;
    m_ssl = std::move(o.m_ssl);
    m_handshaken = o.m_handshaken;
    o.m_fd = -1;
  }
  return *this;
}

GateEndpoint::Io GateEndpoint::handshake() {
  if (m_fd < 0) {
    return Io::closed;
  }
  if (m_handshaken) {
    return Io::done;
  }
  NoSigpipe guard;
  ERR_clear_error();
  const int r = SSL_accept(m_ssl.get());
  if (r == 1) {
    m_handshaken = true;
    return Io::done;
  }
  return after_failure(r);
}

GateEndpoint::Io GateEndpoint::read_some(std::string& out, std::size_t limit) {
  std::array<char, 16384> buf{};
  for (;;) {
    if (!m_ssl) {
      const ssize_t r = ::recv(m_fd, buf.data(), buf.size(), 0);
      if (r > 0) {
        out.append(buf.data(), static_cast<std::size_t>(r));
        if (out.size() > limit) {
          return Io::want_read;
        }
        continue;
      }
      if (r < 0 && errno == EINTR) {
        continue;
      }
      return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Io::want_read : Io::closed;
    }
    NoSigpipe guard;
    ERR_clear_error();
    const int r = SSL_read(m_ssl.get(), buf.data(), static_cast<int>(buf.size()));
    if (r > 0) {
      out.append(buf.data(), static_cast<std::size_t>(r));
      if (out.size() > limit) {
        return Io::want_read;
      }
      continue;
    }
    return after_failure(r);
  }
}

GateEndpoint::Io GateEndpoint::after_failure(int result) {
  const int e = SSL_get_error(m_ssl.get(), result);
  ERR_clear_error();
  if (e == SSL_ERROR_WANT_READ) {
    return Io::want_read;
  }
  if (e == SSL_ERROR_WANT_WRITE) {
    return Io::want_write;
  }
  return Io::closed;
}

bool GateEndpoint::buffered() const { return m_ssl && m_handshaken && SSL_pending(m_ssl.get()) > 0; }

bool GateEndpoint::send_nowait(std::string_view data) {
  if (m_fd < 0) {
    return false;
  }
  if (!m_ssl) {
    return ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(data.size());
  }
  NoSigpipe guard;
  ERR_clear_error();
  const int r = SSL_write(m_ssl.get(), data.data(), static_cast<int>(data.size()));
  ERR_clear_error();
  return r == static_cast<int>(data.size());
}

void GateEndpoint::set_blocking(std::chrono::milliseconds timeout) {
  static_cast<void>(::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL, 0) & ~O_NONBLOCK));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  static_cast<void>(::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
  static_cast<void>(::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
}

bool GateEndpoint::send_all(std::string_view data) {
  while (!data.empty()) {
    if (m_ssl) {
      NoSigpipe guard;
      ERR_clear_error();
      const int w = SSL_write(m_ssl.get(), data.data(), static_cast<int>(data.size()));
      ERR_clear_error();
      if (w <= 0) {
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(w));
      continue;
    }
    const ssize_t w = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(w));
  }
  return true;
}

void GateEndpoint::finish() {
  if (m_fd < 0) {
    return;
  }
  std::array<char, 4096> buf{};
  if (m_ssl && m_handshaken) {
    NoSigpipe guard;
    ERR_clear_error();
    const int flags = ::fcntl(m_fd, F_GETFL, 0);
    static_cast<void>(::fcntl(m_fd, F_SETFL, flags | O_NONBLOCK));
    while (SSL_read(m_ssl.get(), buf.data(), static_cast<int>(buf.size())) > 0) {
    }
    static_cast<void>(SSL_shutdown(m_ssl.get()));  // our close_notify; the peer's is not waited for
    ERR_clear_error();
  }
  while (::recv(m_fd, buf.data(), buf.size(), MSG_DONTWAIT) > 0) {
  }
  ::shutdown(m_fd, SHUT_WR);
  m_ssl.reset();
  ::close(m_fd);
  m_fd = -1;
}

}  // namespace neon::cli
