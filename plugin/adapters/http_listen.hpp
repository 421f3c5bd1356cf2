#pragma once
// Binding a cpp-httplib server: the hook's listener, also used by the test fakes.
#include <string>

namespace httplib {
class Server;
}

namespace neon::cli::hook {

/// Binds `server` to `host:port` (port 0: any free port) and returns the bound port, or -1. An
/// IPv6 socket is made dual-stack (IPV6_V6ONLY off), so `::` also takes IPv4 connections.
/// cpp-httplib 0.11 listens with a backlog of 5, compiled into the shared library: a burst of more
/// connections than that overflows the accept queue, the kernel drops their handshakes and the
/// clients only retransmit a second later, or give up. The listening socket is listened on again
/// with SOMAXCONN, which Linux takes as a new backlog. Keeps httplib's socket options.
int bind_http_server(httplib::Server& server, const std::string& host, int port);

}  // namespace neon::cli::hook
