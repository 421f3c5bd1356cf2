#pragma once
// Raw loopback sockets for tests that misbehave on purpose (slow or silent clients).

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace neon::test {

/// A port on 127.0.0.1 that nothing listens on (bound, then closed).
inline int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

/// A TCP connection to 127.0.0.1:`port` whose reads give up after `timeout_s` seconds of silence.
inline int connect_loopback(int port, int timeout_s = 2) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

/// Everything the server sends until it closes the connection; `closed` says whether it did (end
/// of stream or reset) rather than fall silent for the read timeout.
inline std::string read_all(int fd, bool& closed) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
    if (r > 0) {
      out.append(buf, static_cast<std::size_t>(r));
      continue;
    }
    closed = r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    return out;
  }
}

}  // namespace neon::test
