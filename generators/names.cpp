#include "generators/names.hpp"

#include <fmt/format.h>

namespace neon::gen::names {

std::string pageserver_set(const std::string& zone) { return zone.empty() ? "pageserver" : "pageserver-" + zone; }

std::string safekeeper_set(const std::string& zone) { return zone.empty() ? "safekeeper" : "safekeeper-" + zone; }

std::string compute_name(const std::string& project, const std::string& branch, bool replicas) {
  return fmt::format("compute-{}-{}{}", project, branch, replicas ? "-ro" : "");
}

std::string compute_id(const std::string& project, const std::string& branch) {
  return fmt::format("{}-{}", project, branch);
}

std::string replica_name(const std::string& project, const std::string& branch, int index) {
  return fmt::format("compute-{}-{}-ro-{}", project, branch, index);
}

std::string endpoint_name(const std::string& project, const Branch& branch) {
  return branch.endpoint.empty() ? fmt::format("{}-{}", project, branch.name) : branch.endpoint;
}

std::string replica_id(const std::string& project, const std::string& branch, int index) {
  return fmt::format("{}-{}-ro-{}", project, branch, index);
}

std::string listen_any(const ClusterSpec& spec, int port) {
  return fmt::format("{}:{}", spec.ip_family == IpFamily::ipv6 ? "[::]" : "0.0.0.0", port);
}

std::string url_host(const ClusterSpec& spec, const std::string& host) {
  const bool literal6 = host.find(':') != std::string::npos;
  const bool pod_ip6 = spec.ip_family == IpFamily::ipv6 && host.rfind("$(", 0) == 0;
  return literal6 || pod_ip6 ? fmt::format("[{}]", host) : host;
}

std::string service_host(const ClusterSpec& spec, const std::string& service) {
  return fmt::format("{}.{}.svc.cluster.local", service, spec.namespace_);
}

std::string pod_host(const ClusterSpec& spec, const std::string& set, int ordinal) {
  return fmt::format("{}-{}.{}.{}.svc.cluster.local", set, ordinal, set, spec.namespace_);
}

std::uint64_t node_id(int zone_number, int ordinal) { return std::stoull(fmt::format("{}{}", zone_number, ordinal)); }

std::vector<std::string> zones_or_default(const std::vector<std::string>& zones) {
  return zones.empty() ? std::vector<std::string>{""} : zones;
}

int members_in_zone(int count, std::size_t zones, std::size_t z) {
  const int n = static_cast<int>(zones);
  return count / n + (static_cast<int>(z) < count % n ? 1 : 0);
}

}  // namespace neon::gen::names
