// The network rules of validate: label selectors (monitoring, compute.allowFrom, extra egress),
// ipBlock CIDRs and their exceptions, ports and component names, and spec.tls, each reported at
// its field.
#include <arpa/inet.h>

#include <array>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include <fmt/format.h>

#include "generators/validate.hpp"

namespace neon::gen {

namespace {

struct Cidr {
  int family = AF_INET;
  std::array<unsigned char, 16> addr{};
  int prefix = 0;
};

/// One IPv4 or IPv6 address, as a Cidr of its full length.
std::optional<Cidr> parse_address(const std::string& ip) {
  Cidr c;
  c.family = ip.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(c.family, ip.c_str(), c.addr.data()) != 1) {
    return std::nullopt;
  }
  c.prefix = c.family == AF_INET ? 32 : 128;
  return c;
}

std::optional<Cidr> parse_cidr(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos || slash + 1 == s.size() || s.size() - slash > 4) {
    return std::nullopt;
  }
  auto c = parse_address(s.substr(0, slash));
  if (!c) {
    return std::nullopt;
  }
  const std::string bits = s.substr(slash + 1);
  for (const char ch : bits) {
    if (ch < '0' || ch > '9') {
      return std::nullopt;
    }
  }
  const int full = c->prefix;
  c->prefix = std::stoi(bits);
  if (c->prefix > full || (bits.size() > 1 && bits[0] == '0')) {
    return std::nullopt;
  }
  return c;
}

/// True when the first `prefix` bits of `a` and `b` agree.
bool same_prefix(const Cidr& a, const Cidr& b, int prefix) {
  for (int i = 0; i < prefix; ++i) {
    const auto byte = static_cast<std::size_t>(i / 8);
    const int bit = 7 - (i % 8);
    if (((a.addr[byte] >> bit) & 1) != ((b.addr[byte] >> bit) & 1)) {
      return false;
    }
  }
  return true;
}

bool is_label_key(const std::string& k) {
  static const std::regex k_name(R"(^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$)");
  const auto slash = k.find('/');
  const std::string name = slash == std::string::npos ? k : k.substr(slash + 1);
  if (slash != std::string::npos && !is_dns1123_subdomain(k.substr(0, slash))) {
    return false;
  }
  return !name.empty() && name.size() <= 63 && std::regex_match(name, k_name);
}

bool is_label_value(const std::string& v) {
  static const std::regex k_re(R"(^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$)");
  return v.size() <= 63 && std::regex_match(v, k_re);
}

class NetworkChecker {
public:
  explicit NetworkChecker(const NetworkError& error) : m_error(error) {}

  void labels(const std::string& p, const std::map<std::string, std::string>& m) {
    for (const auto& [k, v] : m) {
      if (!is_label_key(k)) {
        m_error(p + "." + k, fmt::format("\"{}\" is not a valid label key: an optional DNS prefix and '/', then at "
                                         "most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric",
                                         k));
      } else if (!is_label_value(v)) {
        m_error(p + "." + k, fmt::format("\"{}\" is not a valid label value: at most 63 letters, digits, '-', '_' or "
                                         "'.', starting and ending alphanumeric",
                                         v));
      }
    }
  }

  std::optional<Cidr> cidr(const std::string& p, const std::string& v) {
    auto c = parse_cidr(v);
    if (!c) {
      m_error(p, fmt::format("\"{}\" is not a CIDR: expected an address and a prefix length, e.g. 10.0.0.0/8 or "
                             "fd00::/8",
                             v));
    }
    return c;
  }

  void peer(const std::string& p, const NetworkPeer& peer) {
    const bool selectors = peer.namespace_selector || peer.pod_selector;
    if (!selectors && peer.cidr.empty()) {
      m_error(p, "a peer needs namespaceSelector, podSelector or ipBlock");
      return;
    }
    if (selectors && !peer.cidr.empty()) {
      m_error(p + ".ipBlock",
              "ipBlock cannot be combined with namespaceSelector or podSelector (as in a "
              "NetworkPolicyPeer): write two peers");
      return;
    }
    if (peer.namespace_selector) {
      labels(p + ".namespaceSelector", *peer.namespace_selector);
    }
    if (peer.pod_selector) {
      labels(p + ".podSelector", *peer.pod_selector);
    }
    if (peer.cidr.empty()) {
      return;
    }
    const auto block = cidr(p + ".ipBlock.cidr", peer.cidr);
    for (std::size_t i = 0; i < peer.except.size(); ++i) {
      const std::string ep = fmt::format("{}.ipBlock.except[{}]", p, i);
      const auto ex = cidr(ep, peer.except[i]);
      if (block && ex &&
          (ex->family != block->family || ex->prefix <= block->prefix || !same_prefix(*ex, *block, block->prefix))) {
        m_error(ep,
                fmt::format("\"{}\" must lie strictly inside the ipBlock's cidr \"{}\"", peer.except[i], peer.cidr));
      }
    }
  }

  void peers(const std::string& p, const std::vector<NetworkPeer>& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      peer(fmt::format("{}[{}]", p, i), list[i]);
    }
  }

private:
  const NetworkError& m_error;
};

}  // namespace

bool is_cidr(std::string_view s) { return parse_cidr(std::string(s)).has_value(); }

std::string ip_pattern_problem(std::string_view pattern) {
  const std::string s(pattern);
  // The proxy's own order (proxy/src/auth/credentials.rs:209-221): a '/' makes a subnet, else a
  // '-' a range, else one address. It trims nothing, and what it cannot parse matches nobody.
  if (s.find('/') != std::string::npos) {
    return parse_cidr(s) ? "" : "is not a subnet: expected an address and a prefix length, e.g. 10.0.0.0/8";
  }
  if (const auto dash = s.find('-'); dash != std::string::npos) {
    const auto from = parse_address(s.substr(0, dash));
    const auto to = parse_address(s.substr(dash + 1));
    if (!from || !to) {
      return "is not an address range: expected two addresses joined by '-', e.g. 10.0.0.1-10.0.0.9";
    }
    if (from->family != to->family) {
      return "mixes an IPv4 and an IPv6 address in one range";
    }
    if (from->addr > to->addr) {
      return "is a range whose first address is after its last: it would match nothing";
    }
    return "";
  }
  return parse_address(s) ? "" : "is not an IP address, a subnet (10.0.0.0/8) or a range (10.0.0.1-10.0.0.9)";
}

void check_network(const ClusterSpec& s, const NetworkError& error) {
  NetworkChecker c(error);
  const InternalTls& tls = s.tls;
  if (tls.enabled && tls.issuer_name.empty() == tls.secret_name.empty()) {
    error("spec.tls",
          "give exactly one of issuerRef (cert-manager issues the certificates) and secretRef (your own "
          "kubernetes.io/tls Secret with ca.crt)");
  }
  if (!tls.issuer_name.empty() && !is_dns1123_subdomain(tls.issuer_name)) {
    error("spec.tls.issuerRef.name", fmt::format("\"{}\" is not a valid cert-manager issuer name", tls.issuer_name));
  }
  if (tls.issuer_kind != "Issuer" && tls.issuer_kind != "ClusterIssuer") {
    error("spec.tls.issuerRef.kind", fmt::format("must be Issuer or ClusterIssuer, got \"{}\"", tls.issuer_kind));
  }
  if (!tls.secret_name.empty() && !is_dns1123_subdomain(tls.secret_name)) {
    error("spec.tls.secretRef.name",
          fmt::format("\"{}\" is not a valid Secret name (RFC 1123 subdomain)", tls.secret_name));
  }
  if (!is_quantity(s.compute.data_size)) {
    error("spec.compute.dataSize", fmt::format("\"{}\" is not a Kubernetes quantity (e.g. 10Gi)", s.compute.data_size));
  }
  c.labels("spec.monitoring.namespaceSelector", s.monitoring_config.namespace_selector);
  c.labels("spec.monitoring.podSelector", s.monitoring_config.pod_selector);
  if (s.compute.allow_from) {
    c.peers("spec.compute.allowFrom", *s.compute.allow_from);
  }
  const auto& np = s.network_policy_config;
  for (std::size_t i = 0; i < np.object_storage_cidrs.size(); ++i) {
    c.cidr(fmt::format("spec.networkPolicies.objectStorageCIDRs[{}]", i), np.object_storage_cidrs[i]);
  }
  static const std::set<std::string> k_components = {"compute",    "compute-hook",   "pageserver",
                                                     "safekeeper", "storage-broker", "storage-controller",
                                                     "dev-minio",  "dev-postgres",   "spec-sync"};
  for (std::size_t i = 0; i < np.egress.size(); ++i) {
    const std::string p = fmt::format("spec.networkPolicies.egress[{}]", i);
    const EgressRule& rule = np.egress[i];
    for (std::size_t j = 0; j < rule.components.size(); ++j) {
      if (k_components.count(rule.components[j]) == 0) {
        error(fmt::format("{}.components[{}]", p, j),
              fmt::format("unknown component \"{}\" (one of compute, compute-hook, pageserver, safekeeper, "
                          "storage-broker, storage-controller, dev-minio, dev-postgres, spec-sync)",
                          rule.components[j]));
      }
    }
    if (rule.to.empty()) {
      error(p + ".to", "must list at least one peer");
    }
    c.peers(p + ".to", rule.to);
    for (std::size_t j = 0; j < rule.ports.size(); ++j) {
      const std::string pp = fmt::format("{}.ports[{}]", p, j);
      if (rule.ports[j].port < 1 || rule.ports[j].port > 65535) {
        error(pp + ".port", fmt::format("port {} is out of range 1-65535", rule.ports[j].port));
      }
      const std::string& proto = rule.ports[j].protocol;
      if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
        error(pp + ".protocol", fmt::format("protocol must be TCP, UDP or SCTP, got \"{}\"", proto));
      }
    }
  }
}

}  // namespace neon::gen
