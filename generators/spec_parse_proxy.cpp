// The reader for spec.proxy: shapes only; validate_proxy.cpp checks the domain, the TLS choice and
// the endpoints.
#include "generators/spec_parse_internal.hpp"

#include <algorithm>

namespace neon::gen::detail {

void read_proxy(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const std::string p = "spec.proxy";
  const YAML::Node n = r.section(spec, "spec", "proxy", p);
  if (!n.IsDefined()) {
    return;
  }
  ProxySpec& px = out.proxy;
  set_if(r.boolean(n, p, "enabled"), px.enabled);
  set_if(r.string(n, p, "domain"), px.domain);
  const YAML::Node tls = r.section(n, p, "tls", p + ".tls");
  if (tls.IsDefined()) {
    const YAML::Node secret = r.section(tls, p + ".tls", "secretRef", p + ".tls.secretRef");
    if (secret.IsDefined()) {
      set_if(r.string(secret, p + ".tls.secretRef", "name"), px.tls_secret);
    }
    const YAML::Node issuer = r.section(tls, p + ".tls", "issuerRef", p + ".tls.issuerRef");
    if (issuer.IsDefined()) {
      set_if(r.string(issuer, p + ".tls.issuerRef", "name"), px.issuer_name);
      set_if(r.string(issuer, p + ".tls.issuerRef", "kind"), px.issuer_kind);
    }
  }
  const YAML::Node service = r.section(n, p, "service", p + ".service");
  if (service.IsDefined()) {
    set_if(r.string(service, p + ".service", "type"), px.service_type);
    px.service_annotations = r.string_map(service, p + ".service", "annotations");
  }
  if (auto replicas = r.integer(n, p, "replicas")) {
    px.replicas = static_cast<int>(std::clamp<long long>(*replicas, -1, 1000));
  }
  read_resources(r, n, p, p + ".resources", px.resources);
}

}  // namespace neon::gen::detail
