#include "generators/tls.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"

namespace neon::gen::tls {

std::string secret_name(const ClusterSpec& spec, const std::string& server) {
  return spec.tls.secret_name.empty() ? server + "-tls" : spec.tls.secret_name;
}

Json certificate(const ClusterSpec& spec, const std::string& server, Wave wave) {
  if (!spec.tls.enabled || spec.tls.issuer_name.empty()) {
    return nullptr;
  }
  const std::string name = secret_name(spec, server);
  Json dns = Json::array({server, fmt::format("{}.{}", server, spec.namespace_),
                          fmt::format("{}.{}.svc", server, spec.namespace_), names::service_host(spec, server)});
  // cert-manager renews in place; the controller re-reads its files every 60 s and the hook when
  // they change. A new key at each renewal (rotationPolicy Always), as cert-manager 1.18 defaults to.
  return Json{
      {"apiVersion", "cert-manager.io/v1"},
      {"kind", "Certificate"},
      {"metadata", object_meta(name, server, wave)},
      {"spec",
       Json{{"secretName", name},
            {"issuerRef",
             Json{{"name", spec.tls.issuer_name}, {"kind", spec.tls.issuer_kind}, {"group", "cert-manager.io"}}},
            {"dnsNames", std::move(dns)},
            {"privateKey", Json{{"algorithm", "ECDSA"}, {"size", 256}, {"rotationPolicy", "Always"}}},
            {"usages", Json::array({"server auth", "digital signature", "key encipherment"})}}}};
}

void mount_server(const ClusterSpec& spec, const std::string& server, Json& mounts, Json& volumes) {
  mounts.push_back(Json{{"name", "tls"}, {"mountPath", k_server_dir}, {"readOnly", true}});
  volumes.push_back(Json{{"name", "tls"}, {"secret", Json{{"secretName", secret_name(spec, server)}}}});
}

Json ca_volume(const ClusterSpec& spec, const std::string& server) {
  if (!spec.tls.enabled) {
    return nullptr;
  }
  return Json{{"name", "tls-ca"},
              {"secret", Json{{"secretName", secret_name(spec, server)},
                              {"items", Json::array({Json{{"key", "ca.crt"}, {"path", "ca.crt"}}})}}}};
}

Json ca_mount() { return Json{{"name", "tls-ca"}, {"mountPath", k_ca_dir}, {"readOnly", true}}; }

std::string controller_url(const ClusterSpec& spec) {
  return spec.tls.enabled
             ? fmt::format("https://{}:{}", names::service_host(spec, names::k_controller), k_https_port)
             : fmt::format("http://{}:{}", names::service_host(spec, names::k_controller), names::k_controller_port);
}

std::string hook_url(const ClusterSpec& spec) {
  return spec.tls.enabled ? fmt::format("https://{}:{}", names::service_host(spec, names::k_hook), k_https_port)
                          : fmt::format("http://{}:{}", names::service_host(spec, names::k_hook), names::k_hook_port);
}

}  // namespace neon::gen::tls
