#include "plugin/adapters/http_gate.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "plugin/adapters/tls_server.hpp"
#include "plugin/adapters/work_pool.hpp"

namespace neon::cli {
namespace {

using Clock = std::chrono::steady_clock;

using Io = GateEndpoint::Io;

struct Conn {
  GateEndpoint io;
  Clock::time_point start;
  std::string data;
  bool continued = false;        ///< "100 Continue" sent
  std::size_t discard_left = 0;  ///< bytes of a too large body still to read and drop before the 413
  short events = POLLIN;         ///< what the TLS layer waits for
};

enum class Parse { more, more_continue, complete, header_too_large, body_too_large, bad, not_allowed };

void set_timeouts(int fd, std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  static_cast<void>(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
  static_cast<void>(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
}

bool send_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

/// A short answer of the gate's own, sent without waiting (it fits the socket buffer), then the
/// connection is ended. A TLS connection still in its handshake is just closed.
void refuse(GateEndpoint& io, int status, const char* reason, const char* message) {
  if (io.handshaken()) {
    const std::string body = fmt::format(R"({{"error":"{}"}})", message);
    io.send_nowait(fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
        reason, body.size(), body));
  }
  io.finish();
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// Whether `data` holds one whole request. On `complete`, `out` is that request with its
/// Connection, Keep-Alive and Expect headers replaced by `Connection: close`.
Parse parse(const std::string& data, const GateOptions& o, std::string& out, std::size_t& total) {
  const auto end = data.find("\r\n\r\n");
  if (end == std::string::npos) {
    return data.size() > o.max_header ? Parse::header_too_large : Parse::more;
  }
  if (end + 4 > o.max_header) {
    return Parse::header_too_large;
  }
  std::string rebuilt;
  std::optional<std::size_t> length;
  bool expect = false;
  std::size_t pos = 0;
  for (bool first = true; pos <= end; first = false) {
    auto nl = data.find("\r\n", pos);
    const std::string line = data.substr(pos, nl - pos);
    pos = nl + 2;
    if (first && !o.only_get.empty()) {
      // "GET /metrics?x HTTP/1.1": the method and the path without its query.
      const auto sp = line.find(' ');
      const std::string target = line.substr(sp + 1, line.find(' ', sp + 1) - sp - 1);
      const std::string path = target.substr(0, target.find('?'));
      if (line.compare(0, sp, "GET") != 0 ||
          std::find(o.only_get.begin(), o.only_get.end(), path) == o.only_get.end()) {
        return Parse::not_allowed;
      }
    }
    if (!first) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) {
        return Parse::bad;
      }
      const std::string name = lower(trimmed(line.substr(0, colon)));
      const std::string value = trimmed(line.substr(colon + 1));
      if (name == "transfer-encoding") {
        return Parse::bad;  // none of the callers sends a chunked body; refusing it keeps framing simple
      }
      if (name == "content-length") {
        if (value.empty() || value.size() > 12 || value.find_first_not_of("0123456789") != std::string::npos) {
          return Parse::bad;
        }
        const std::size_t n = std::stoull(value);
        if (length && *length != n) {
          return Parse::bad;
        }
        length = n;
      }
      if (name == "expect") {
        expect = lower(value) == "100-continue";
      }
      if (name == "connection" || name == "keep-alive" || name == "expect") {
        continue;
      }
    }
    rebuilt += line + "\r\n";
  }
  const std::size_t body = length.value_or(0);
  total = end + 4 + body;
  if (body > o.max_body) {
    return Parse::body_too_large;
  }
  if (data.size() < end + 4 + body) {
    return expect ? Parse::more_continue : Parse::more;
  }
  out = rebuilt + "Connection: close\r\n\r\n" + data.substr(end + 4, body);
  return Parse::complete;
}

/// Sends the request to the server on loopback and its answer back to the client.
void relay(GateEndpoint& client, const std::string& request, int backend_port, std::chrono::milliseconds timeout) {
  client.set_blocking(timeout);
  const int b = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(backend_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (b < 0 || ::connect(b, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (b >= 0) {
      ::close(b);
    }
    refuse(client, 503, "Service Unavailable", "unavailable");
    return;
  }
  set_timeouts(b, timeout);
  if (send_all(b, request.data(), request.size())) {
    std::array<char, 16384> buf{};
    for (;;) {
      const ssize_t r = ::recv(b, buf.data(), buf.size(), 0);
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r <= 0 || !client.send_all(std::string_view(buf.data(), static_cast<std::size_t>(r)))) {
        break;
      }
    }
  }
  ::close(b);
  client.finish();
}

}  // namespace

struct HttpGate::Impl {
  GateOptions options;
  std::unique_ptr<TlsServerContext> tls;  ///< nullptr: plaintext
  std::optional<std::string> problem;
  int listen_fd = -1;
  std::array<int, 2> wake{-1, -1};
  std::atomic<bool> stopping{false};

  bool expired(const Conn& c, Clock::time_point now) const { return now - c.start >= options.request_deadline; }

  /// One pass over a connection being read: true while it stays in the reading set.
  bool step(Conn& c, bool ready, Clock::time_point now, WorkPool& pool, int backend_port) const {
    if (!c.io.handshaken()) {
      const Io h = ready ? c.io.handshake() : Io::want_read;
      if (h == Io::closed) {
        return false;  // a plaintext request to the TLS port, a failed or abandoned handshake
      }
      if (h != Io::done) {
        if (ready) {
          c.events = h == Io::want_write ? POLLOUT : POLLIN;
        }
        return !expired(c, now);  // the handshake counts against the deadline: closed unanswered
      }
      c.events = POLLIN;
    }
    bool open = true;
    if (ready) {
      const Io r = c.io.read_some(c.data, options.max_header + options.max_body + 1);
      open = r != Io::closed;
      c.events = r == Io::want_write ? POLLOUT : POLLIN;
    }
    if (c.discard_left > 0) {
      // The body of a request refused for its size: read to its end, so the 413 arrives.
      const std::size_t got = c.data.size();
      c.data.clear();
      if (got >= c.discard_left) {
        refuse(c.io, 413, "Payload Too Large", "request body too large");
        return false;
      }
      c.discard_left -= got;
    }
    std::string request;
    std::size_t total = 0;
    switch (c.discard_left > 0 ? Parse::more : parse(c.data, options, request, total)) {
      case Parse::complete: {
        auto io = std::make_shared<GateEndpoint>(std::move(c.io));
        const auto timeout = options.relay_timeout;
        pool.submit([io, request = std::move(request), backend_port, timeout] {
          relay(*io, request, backend_port, timeout);
          return 0;
        });
        return false;
      }
      case Parse::header_too_large:
        refuse(c.io, 431, "Request Header Fields Too Large", "request headers too large");
        return false;
      case Parse::body_too_large:
        if (total - std::min(total, c.data.size()) == 0 || total > 64 * options.max_body) {
          refuse(c.io, 413, "Payload Too Large", "request body too large");
          return false;
        }
        c.discard_left = total - c.data.size();
        c.data.clear();
        break;
      case Parse::bad:
        refuse(c.io, 400, "Bad Request", "malformed request");
        return false;
      case Parse::not_allowed:
        refuse(c.io, 404, "Not Found", "not served on this port");
        return false;
      case Parse::more_continue:
        if (!c.continued) {
          c.continued = true;
          static_cast<void>(c.io.send_nowait("HTTP/1.1 100 Continue\r\n\r\n"));
        }
        break;
      case Parse::more:
        break;
    }
    if (!open) {
      return false;
    }
    if (expired(c, now)) {
      refuse(c.io, 408, "Request Timeout", "the request took too long to arrive");
      return false;
    }
    return true;
  }
};

HttpGate::HttpGate(GateOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->options = std::move(options);
  const GateOptions& o = m_impl->options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    auto tls = TlsServerContext::load(o.tls_cert_file, o.tls_key_file, o.tls_reload);
    if (tls) {
      m_impl->tls = std::move(*tls);
    } else {
      m_impl->problem = tls.error().message;
    }
  }
  static_cast<void>(::pipe2(m_impl->wake.data(), O_CLOEXEC | O_NONBLOCK));
}

HttpGate::~HttpGate() {
  for (const int fd : {m_impl->listen_fd, m_impl->wake[0], m_impl->wake[1]}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

std::optional<std::string> HttpGate::problem() const { return m_impl->problem; }

int HttpGate::bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0) {
    return -1;
  }
  int bound = -1;
  for (addrinfo* a = found; a != nullptr && bound < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      continue;
    }
    const int on = 1;
    const int off = 0;
    static_cast<void>(::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)));
    if (a->ai_family == AF_INET6) {
      static_cast<void>(::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)));
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      continue;
    }
    m_impl->listen_fd = fd;
    bound = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  }
  ::freeaddrinfo(found);
  return bound;
}

void HttpGate::run(int backend_port) {
  Impl& m = *m_impl;
  if (m.problem) {
    return;
  }
  WorkPool pool(static_cast<std::size_t>(std::max(1, m.options.relay_threads)));
  std::deque<Conn> conns;  // oldest first
  while (!m.stopping) {
    std::vector<pollfd> fds{{m.listen_fd, POLLIN, 0}, {m.wake[0], POLLIN, 0}};
    auto now = Clock::now();
    auto wait = std::chrono::milliseconds(1000);
    for (const Conn& c : conns) {
      fds.push_back({c.io.fd(), c.events, 0});
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(c.start + m.options.request_deadline - now);
      wait = std::max(std::chrono::milliseconds(0), std::min(wait, left + std::chrono::milliseconds(1)));
      if (c.io.buffered()) {
        wait = std::chrono::milliseconds(0);  // decrypted bytes poll() cannot see
      }
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) < 0 && errno != EINTR) {
      break;
    }
    if (m.stopping) {
      break;
    }
    now = Clock::now();
    std::deque<Conn> keep;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      const bool ready = (fds[i + 2].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) != 0 || conns[i].io.buffered();
      if (m.step(conns[i], ready, now, pool, backend_port)) {
        keep.push_back(std::move(conns[i]));
      }
    }
    conns = std::move(keep);
    if ((fds[0].revents & POLLIN) != 0) {
      for (;;) {
        const int fd = ::accept4(m.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          break;
        }
        if (conns.size() >= m.options.max_reading) {
          // Full of connections that have not sent their request: the oldest is the slowest.
          refuse(conns.front().io, 408, "Request Timeout", "the request took too long to arrive");
          conns.pop_front();
        }
        std::optional<std::string> reload_problem;
        ssl_ctx_st* ctx = m.tls ? m.tls->current(now, reload_problem) : nullptr;
        if (reload_problem && m.options.log) {
          m.options.log(*reload_problem);
        }
        conns.push_back(Conn{GateEndpoint(fd, ctx), now, {}, false, 0, POLLIN});
      }
    }
  }
}

void HttpGate::stop() {
  m_impl->stopping = true;
  static_cast<void>(::write(m_impl->wake[1], "x", 1));
}

}  // namespace neon::cli
