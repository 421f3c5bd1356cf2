// Readers for the network sections of `spec`: monitoring (who scrapes), networkPolicies (object
// storage CIDRs and extra egress), tls (HTTPS inside the cluster), spec.compute (who reaches the computes' client
// ports, and the size of their data volume) and spec.sync (the in-cluster `kubectl neon sync` CronJob). Shapes only;
// validate_network.cpp checks label syntax, CIDRs and ports, validate_sync.cpp the schedule.
#include "generators/spec_parse_internal.hpp"

#include <fmt/format.h>

namespace neon::gen::detail {

namespace {

/// A list of NetworkPolicyPeer-shaped maps at `p.key`, items checked against `table`.
std::vector<NetworkPeer> read_peers(Reader& r, const YAML::Node& n, const std::string& p, const char* key,
                                    const std::string& table) {
  std::vector<NetworkPeer> out;
  const auto items = r.list(n, p, key);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string ip = fmt::format("{}.{}[{}]", p, key, i);
    NetworkPeer peer;
    if (r.map(items[i], ip, table)) {
      if (Reader::present(items[i], "namespaceSelector")) {
        peer.namespace_selector = r.string_map(items[i], ip, "namespaceSelector");
      }
      if (Reader::present(items[i], "podSelector")) {
        peer.pod_selector = r.string_map(items[i], ip, "podSelector");
      }
      const YAML::Node b = r.section(items[i], ip, "ipBlock", table + ".ipBlock");
      if (b.IsDefined()) {
        set_if(r.string(b, ip + ".ipBlock", "cidr"), peer.cidr);
        peer.except = r.string_list(b, ip + ".ipBlock", "except");
      }
    }
    out.push_back(std::move(peer));
  }
  return out;
}

}  // namespace

void read_network(Reader& r, const YAML::Node& spec, ClusterSpec& out) {
  const YAML::Node m = r.section(spec, "spec", "monitoring", "spec.monitoring");
  if (m.IsDefined()) {
    const std::string p = "spec.monitoring";
    set_if(r.boolean(m, p, "enabled"), out.monitoring_config.enabled);
    if (Reader::present(m, "namespaceSelector")) {
      out.monitoring_config.namespace_selector = r.string_map(m, p, "namespaceSelector");
    }
    if (Reader::present(m, "podSelector")) {
      out.monitoring_config.pod_selector = r.string_map(m, p, "podSelector");
    }
  }
  out.monitoring = out.monitoring_config.enabled;

  const YAML::Node np = r.section(spec, "spec", "networkPolicies", "spec.networkPolicies");
  if (np.IsDefined()) {
    const std::string p = "spec.networkPolicies";
    auto& cfg = out.network_policy_config;
    set_if(r.boolean(np, p, "enabled"), cfg.enabled);
    cfg.object_storage_cidrs = r.string_list(np, p, "objectStorageCIDRs");
    const auto rules = r.list(np, p, "egress");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const std::string rp = fmt::format("{}.egress[{}]", p, i);
      EgressRule rule;
      if (r.map(rules[i], rp, "spec.networkPolicies.egress[]")) {
        rule.components = r.string_list(rules[i], rp, "components");
        rule.to = read_peers(r, rules[i], rp, "to", "spec.networkPolicies.egress[].to[]");
        const auto ports = r.list(rules[i], rp, "ports");
        for (std::size_t j = 0; j < ports.size(); ++j) {
          const std::string pp = fmt::format("{}.ports[{}]", rp, j);
          NetworkPort port;
          if (r.map(ports[j], pp, "spec.networkPolicies.egress[].ports[]")) {
            if (auto v = r.integer(ports[j], pp, "port")) {
              port.port = static_cast<int>(*v);
            }
            set_if(r.string(ports[j], pp, "protocol"), port.protocol);
          }
          rule.ports.push_back(port);
        }
      }
      cfg.egress.push_back(std::move(rule));
    }
  }
  out.network_policies = out.network_policy_config.enabled;

  const YAML::Node t = r.section(spec, "spec", "tls", "spec.tls");
  if (t.IsDefined()) {
    set_if(r.boolean(t, "spec.tls", "enabled"), out.tls.enabled);
    const YAML::Node issuer = r.section(t, "spec.tls", "issuerRef", "spec.tls.issuerRef");
    if (issuer.IsDefined()) {
      set_if(r.string(issuer, "spec.tls.issuerRef", "name"), out.tls.issuer_name);
      set_if(r.string(issuer, "spec.tls.issuerRef", "kind"), out.tls.issuer_kind);
    }
    const YAML::Node secret = r.section(t, "spec.tls", "secretRef", "spec.tls.secretRef");
    if (secret.IsDefined()) {
      set_if(r.string(secret, "spec.tls.secretRef", "name"), out.tls.secret_name);
    }
  }

  const YAML::Node c = r.section(spec, "spec", "compute", "spec.compute");
  if (c.IsDefined()) {
    if (Reader::present(c, "allowFrom")) {
      out.compute.allow_from = read_peers(r, c, "spec.compute", "allowFrom", "spec.compute.allowFrom[]");
    }
    set_if(r.string(c, "spec.compute", "dataSize"), out.compute.data_size);
  }

  const YAML::Node sync = r.section(spec, "spec", "sync", "spec.sync");
  if (sync.IsDefined()) {
    out.sync.enabled = true;
    set_if(r.string(sync, "spec.sync", "schedule"), out.sync.schedule);
    set_if(r.boolean(sync, "spec.sync", "suspend"), out.sync.suspend);
  }
}

}  // namespace neon::gen::detail
