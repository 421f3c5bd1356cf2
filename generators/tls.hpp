#pragma once
// spec.tls: HTTPS to the storage controller and to the compute hook (issue 20 item 8).
//
// Each server keeps its plain port for /metrics and probes (and the controller's peers) and adds
// an HTTPS port, k_https_port, for every caller that brings a token: the hook, pageserver upcalls,
// the bootstrap init containers, compute_ctl. Certificates come from cert-manager (one Certificate
// per server, issuerRef) or from one kubernetes.io/tls Secret of the user's (secretRef); clients
// trust the ca.crt of that Secret.
//
// What the servers and clients take (Neon source at 6a35a3e9f149):
// - storage controller: --listen-https, --ssl-cert-file, --ssl-key-file (re-read every 60 s), and
//   --ssl-ca-file, trusted by its clients, the compute hook's among them
//   (storage_controller/src/main.rs:70-71, :196-207, :411-418; compute_hook.rs:625-632);
// - pageserver upcalls: ssl_ca_file in pageserver.toml (pageserver/src/controller_upcall_client.rs:80-95);
// - compute_ctl: no CA flag; its HTTP client takes native roots, which SSL_CERT_FILE replaces
//   (compute_tools/src/spec.rs:27; rustls-native-certs 0.7 lib.rs:57-71).

#include <string>

#include "generators/resource.hpp"
#include "generators/spec.hpp"

namespace neon::gen::tls {

inline constexpr int k_https_port = 8443;
/// The server's tls.crt, tls.key and ca.crt; beside the hook's other Secrets, outside /etc/neon
/// (the hook's computes ConfigMap is mounted there, and a mount inside it would be nested).
inline constexpr const char* k_server_dir = "/var/run/secrets/neon/tls";
inline constexpr const char* k_ca_dir = "/etc/neon/tls-ca";  ///< a client's ca.crt
inline constexpr const char* k_ca_file = "/etc/neon/tls-ca/ca.crt";

/// The Secret with `server`'s certificate (server: names::k_controller or names::k_hook):
/// `<server>-tls` with issuerRef, the user's Secret with secretRef.
std::string secret_name(const ClusterSpec& spec, const std::string& server);

/// The cert-manager Certificate of `server`, with issuerRef; null otherwise.
Json certificate(const ClusterSpec& spec, const std::string& server, Wave wave);

/// `server`'s Secret mounted whole at k_server_dir: a mount and a volume appended.
void mount_server(const ClusterSpec& spec, const std::string& server, Json& mounts, Json& volumes);

/// The ca.crt that verifies `server`, mounted at k_ca_dir: the volume (only that key of its
/// Secret) and the mount. With TLS off, both null.
Json ca_volume(const ClusterSpec& spec, const std::string& server);
Json ca_mount();

/// http://storage-controller...:1234, or https://...:8443 with TLS.
std::string controller_url(const ClusterSpec& spec);
/// http://compute-hook...:8080, or https://...:8443 with TLS.
std::string hook_url(const ClusterSpec& spec);

}  // namespace neon::gen::tls
