#include "plugin/adapters/http_listen.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>

#include <httplib.h>

namespace neon::cli::hook {

int bind_http_server(httplib::Server& server, const std::string& host, int port) {
  // httplib hands every socket it tries to the options callback before bind(); the one that
  // binds is the last one it saw.
  auto listening = std::make_shared<socket_t>(INVALID_SOCKET);
  server.set_socket_options([listening](socket_t sock) {
    httplib::default_socket_options(sock);
    int domain = 0;
    socklen_t len = sizeof(domain);
    if (::getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET6) {
      const int off = 0;
      static_cast<void>(::setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)));
    }
    *listening = sock;
  });
  int bound = -1;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, port)) {
    bound = port;
  }
  if (bound <= 0) {
    return -1;
  }
  // Should this fail, the socket still listens with httplib's backlog.
  static_cast<void>(::listen(*listening, SOMAXCONN));
  return bound;
}

}  // namespace neon::cli::hook
