#include "plugin/gitops/diff_risks.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"

namespace neon::cli {

namespace {

using gen::Json;

int replicas_of(const Json& sts) {
  const Json::json_pointer p("/spec/replicas");
  return sts.contains(p) && sts.at(p).is_number_integer() ? sts.at(p).get<int>() : 1;
}

/// --zone-number of the StatefulSet's first init container (bootstrap pageserver|safekeeper).
int zone_number_of(const Json& sts) {
  const Json::json_pointer p("/spec/template/spec/initContainers/0/args");
  if (!sts.contains(p) || !sts.at(p).is_array()) {
    return 1;
  }
  const Json& args = sts.at(p);
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--zone-number" && args[i + 1].is_string()) {
      return std::stoi(args[i + 1].get<std::string>());
    }
  }
  return 1;
}

}  // namespace

std::string removed_node_advice(const Json& before, const Json& after) {
  const Json::json_pointer component("/metadata/labels/app.kubernetes.io~1component");
  const std::string kind = before.contains(component) ? before.at(component).get<std::string>() : "";
  if (kind != "pageserver" && kind != "safekeeper") {
    return "";
  }
  const int zone = zone_number_of(before);
  std::string out;
  for (int ordinal = replicas_of(after); ordinal < replicas_of(before); ++ordinal) {
    const auto id = gen::names::node_id(zone, ordinal);
    out += kind == "pageserver"
               ? fmt::format("\n  kubectl neon node pageserver delete {} --wait", id)
               : fmt::format("\n  kubectl neon node safekeeper decommission {}   # after moving its timelines", id);
  }
  return out;
}

}  // namespace neon::cli
