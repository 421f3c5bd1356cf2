#pragma once
// A computes.json (generators/computes.hpp) with one project and the compute of one of its
// branches, for tests of `bootstrap compute` and the hook's bootstrap route.

#include <string>

#include <nlohmann/json.hpp>

namespace neon::test {

/// `project` holds name, tenant_id, pg_version, branches and any other project field; the compute
/// is `<name>-<branch>` on that branch's timeline.
inline std::string computes_file(const nlohmann::json& project, const std::string& branch) {
  std::string timeline;
  for (const auto& b : project.at("branches")) {
    if (b.at("name") == branch) {
      timeline = b.at("timeline_id").get<std::string>();
    }
  }
  const std::string name = project.at("name").get<std::string>();
  nlohmann::json doc{{"version", 1},
                     {"namespace", "neon"},
                     {"safekeepers", nlohmann::json::array()},
                     {"projects", nlohmann::json::array({project})},
                     {"computes", nlohmann::json::array({nlohmann::json{{"compute_id", name + "-" + branch},
                                                                        {"project", name},
                                                                        {"branch", branch},
                                                                        {"tenant_id", project.at("tenant_id")},
                                                                        {"timeline_id", timeline},
                                                                        {"address", "127.0.0.1:1"}}})}};
  return doc.dump();
}

}  // namespace neon::test
