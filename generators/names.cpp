#include "generators/names.hpp"

#include <fmt/format.h>

namespace neon::gen::names {

std::string pageserver_set(const std::string& zone) { return zone.empty() ? "pageserver" : "pageserver-" + zone; }

std::string safekeeper_set(const std::string& zone) { return zone.empty() ? "safekeeper" : "safekeeper-" + zone; }

std::string compute_name(const std::string& project, const std::string& branch, bool replica) {
  return fmt::format("compute-{}-{}{}", project, branch, replica ? "-ro" : "");
}

std::string compute_id(const std::string& project, const std::string& branch, bool replica) {
  return fmt::format("{}-{}{}", project, branch, replica ? "-ro" : "");
}

std::string service_host(const ClusterSpec& spec, const std::string& service) {
  return fmt::format("{}.{}.svc.cluster.local", service, spec.namespace_);
}

std::string pod_host(const ClusterSpec& spec, const std::string& set, int ordinal) {
  return fmt::format("{}-{}.{}.{}.svc.cluster.local", set, ordinal, set, spec.namespace_);
}

std::uint64_t node_id(int zone_number, int ordinal) {
  return std::stoull(fmt::format("{}{}", zone_number, ordinal));
}

std::vector<std::string> zones_or_default(const std::vector<std::string>& zones) {
  return zones.empty() ? std::vector<std::string>{""} : zones;
}

int members_in_zone(int count, std::size_t zones, std::size_t z) {
  const int n = static_cast<int>(zones);
  return count / n + (static_cast<int>(z) < count % n ? 1 : 0);
}

}  // namespace neon::gen::names
