#include "tests/support/netpol_eval.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

#include <doctest/doctest.h>

#include "generators/emit.hpp"

namespace neon::test::netpol {

namespace {

Labels labels_of(const Json& meta) {
  Labels out;
  if (meta.contains("labels")) {
    for (const auto& [k, v] : meta["labels"].items()) {
      out[k] = v.get<std::string>();
    }
  }
  return out;
}

bool has_type(const Json& spec, const std::string& type) {
  if (spec.contains("policyTypes")) {
    const auto& t = spec["policyTypes"];
    return std::find(t.begin(), t.end(), type) != t.end();
  }
  // Without policyTypes: Ingress always, Egress when egress rules are present.
  return type == "Ingress" || spec.contains("egress");
}

bool port_matches(const Json& rule, int port, const std::string& protocol) {
  if (!rule.contains("ports") || rule["ports"].empty()) {
    return true;
  }
  for (const auto& p : rule["ports"]) {
    const std::string proto = p.value("protocol", "TCP");
    if (proto != protocol) {
      continue;
    }
    if (!p.contains("port")) {
      return true;
    }
    const int lo = p["port"].get<int>();
    const int hi = p.contains("endPort") ? p["endPort"].get<int>() : lo;
    if (port >= lo && port <= hi) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool selector_matches(const Json& selector, const Labels& labels) {
  if (selector.contains("matchLabels")) {
    for (const auto& [k, v] : selector["matchLabels"].items()) {
      auto it = labels.find(k);
      if (it == labels.end() || it->second != v.get<std::string>()) {
        return false;
      }
    }
  }
  if (selector.contains("matchExpressions")) {
    for (const auto& e : selector["matchExpressions"]) {
      const std::string key = e["key"].get<std::string>();
      const std::string op = e["operator"].get<std::string>();
      const auto it = labels.find(key);
      bool in = false;
      if (e.contains("values")) {
        for (const auto& v : e["values"]) {
          in = in || (it != labels.end() && it->second == v.get<std::string>());
        }
      }
      if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && it == labels.end()) ||
          (op == "DoesNotExist" && it != labels.end())) {
        return false;
      }
    }
  }
  return true;
}

bool cidr_contains(const std::string& cidr, const std::string& ip) {
  const auto slash = cidr.find('/');
  in_addr net{};
  in_addr addr{};
  if (cidr.find(':') != std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1 ||
      inet_pton(AF_INET, ip.c_str(), &addr) != 1) {
    return false;  // IPv6 blocks never hold the IPv4 addresses of these tests
  }
  const int bits = std::stoi(cidr.substr(slash + 1));
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (ntohl(net.s_addr) & mask) == (ntohl(addr.s_addr) & mask);
}

void Cluster::add_policies(const std::vector<Json>& objects) {
  for (const auto& o : objects) {
    if (o.value("kind", "") == "NetworkPolicy") {
      if (!o["metadata"].contains("namespace")) {
        throw std::runtime_error("NetworkPolicy without a namespace: " + o["metadata"].dump());
      }
      m_policies.push_back(o);
    }
  }
}

void Cluster::add_workload_pods(const std::vector<Json>& objects) {
  for (const auto& o : objects) {
    const std::string kind = o.value("kind", "");
    if (kind == "Deployment" || kind == "StatefulSet" || kind == "Job") {
      add_pod(o["metadata"]["name"].get<std::string>(), o["metadata"]["namespace"].get<std::string>(),
              labels_of(o["spec"]["template"]["metadata"]));
    } else if (kind == "CronJob") {  // the pods of its Jobs
      add_pod(o["metadata"]["name"].get<std::string>(), o["metadata"]["namespace"].get<std::string>(),
              labels_of(o["spec"]["jobTemplate"]["spec"]["template"]["metadata"]));
    }
  }
}

void Cluster::add_namespace(const std::string& ns, Labels labels) {
  labels["kubernetes.io/metadata.name"] = ns;
  m_namespaces[ns] = std::move(labels);
}

const Endpoint& Cluster::add_pod(const std::string& name, const std::string& ns, Labels labels) {
  if (m_namespaces.count(ns) == 0) {
    add_namespace(ns);
  }
  const int n = m_next_ip++;
  m_endpoints.push_back(
      Endpoint{name, ns, std::move(labels), "10.244." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1)});
  return m_endpoints.back();
}

const Endpoint& Cluster::add_address(const std::string& name, const std::string& ip) {
  m_endpoints.push_back(Endpoint{name, "", {}, ip});
  return m_endpoints.back();
}

const Endpoint& Cluster::pod(const std::string& component) const {
  for (const auto& e : m_endpoints) {
    auto it = e.labels.find("app.kubernetes.io/component");
    if (!e.ns.empty() && it != e.labels.end() && it->second == component) {
      return e;
    }
  }
  throw std::runtime_error("no pod of component " + component);
}

const Endpoint& Cluster::endpoint(const std::string& name) const {
  for (const auto& e : m_endpoints) {
    if (e.name == name) {
      return e;
    }
  }
  throw std::runtime_error("no endpoint " + name);
}

bool Cluster::peer_matches(const Json& peer, const std::string& policy_ns, const Endpoint& e) const {
  if (peer.contains("ipBlock")) {
    const auto& b = peer["ipBlock"];
    if (!cidr_contains(b["cidr"].get<std::string>(), e.ip)) {
      return false;
    }
    if (b.contains("except")) {
      for (const auto& x : b["except"]) {
        if (cidr_contains(x.get<std::string>(), e.ip)) {
          return false;
        }
      }
    }
    return true;
  }
  if (e.ns.empty()) {
    return false;  // selectors pick pods only
  }
  if (peer.contains("namespaceSelector")) {
    if (!selector_matches(peer["namespaceSelector"], m_namespaces.at(e.ns))) {
      return false;
    }
  } else if (e.ns != policy_ns) {
    return false;
  }
  return !peer.contains("podSelector") || selector_matches(peer["podSelector"], e.labels);
}

bool Cluster::direction_allows(const Endpoint& subject, const Endpoint& peer, int port, const std::string& protocol,
                               bool ingress) const {
  if (subject.ns.empty()) {
    return true;  // outside the cluster: no policy applies
  }
  const char* type = ingress ? "Ingress" : "Egress";
  const char* rules_key = ingress ? "ingress" : "egress";
  const char* peers_key = ingress ? "from" : "to";
  bool selected = false;
  for (const auto& p : m_policies) {
    const Json& spec = p["spec"];
    if (p["metadata"]["namespace"] != subject.ns || !has_type(spec, type) ||
        !selector_matches(spec["podSelector"], subject.labels)) {
      continue;
    }
    selected = true;
    if (!spec.contains(rules_key)) {
      continue;
    }
    for (const auto& rule : spec[rules_key]) {
      if (!port_matches(rule, port, protocol)) {
        continue;
      }
      if (!rule.contains(peers_key) || rule[peers_key].empty()) {
        return true;
      }
      for (const auto& pe : rule[peers_key]) {
        if (peer_matches(pe, subject.ns, peer)) {
          return true;
        }
      }
    }
  }
  return !selected;
}

bool Cluster::allowed(const Endpoint& from, const Endpoint& to, int port, const std::string& protocol) const {
  return direction_allows(from, to, port, protocol, false) && direction_allows(to, from, port, protocol, true);
}

std::string Cluster::describe(const Endpoint& from, const Endpoint& to, int port, const std::string& protocol) {
  return from.name + "(" + from.ns + ") -> " + to.name + "(" + to.ns + "):" + std::to_string(port) + "/" + protocol;
}

Cluster cluster_of_tree(const std::map<std::string, std::string>& tree, const std::string& ns) {
  std::vector<Json> objects;
  for (const auto& file : tree) {
    const std::string& path = file.first;
    const std::string& text = file.second;
    if (path.size() < 5 || path.substr(path.size() - 5) != ".yaml" ||
        path.find("kustomization.yaml") != std::string::npos) {
      continue;
    }
    auto docs = neon::gen::parse_yaml_stream(text);
    REQUIRE_MESSAGE(docs, path);
    objects.insert(objects.end(), docs->begin(), docs->end());
  }
  Cluster c;
  c.add_namespace(ns);
  c.add_policies(objects);
  c.add_workload_pods(objects);
  c.add_pod("prometheus", "monitoring", {{"app.kubernetes.io/name", "prometheus"}});
  c.add_pod("fake-prometheus", "apps", {{"app.kubernetes.io/name", "prometheus"}});
  c.add_pod("client-same-ns", ns, {{"app", "client"}});
  c.add_pod("client-apps", "apps", {{"app", "client"}});
  c.add_pod("kube-dns", "kube-system", {{"k8s-app", "kube-dns"}});
  c.add_address("api-server", "10.96.0.1");
  c.add_address("metadata", "169.254.169.254");
  c.add_address("s3", "52.216.1.1");
  return c;
}

}  // namespace neon::test::netpol
