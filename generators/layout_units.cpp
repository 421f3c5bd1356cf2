// object_units: which GitOps unit (a stage, or a project folder when split) applies each object.
#include "generators/layout.hpp"
#include "generators/stages.hpp"

namespace neon::gen {

namespace {

std::string object_id(const Json& o) {
  const Json& meta = o.value("metadata", Json::object());
  return o.value("kind", "") + "/" + meta.value("namespace", "") + "/" + meta.value("name", "");
}

}  // namespace

std::map<std::string, std::string> object_units(const ValidSpec& spec) {
  std::map<std::string, std::string> out;
  const auto staged = stage_objects(spec);
  for (std::size_t i = 0; i < staged.size() && i < stages().size(); ++i) {
    for (const auto& o : staged[i]) {
      out[object_id(o)] = stages()[i].name;
    }
  }
  for (const auto& [project, objects] : project_objects(spec)) {
    for (const auto& o : objects) {
      out[object_id(o)] = project_folder(project);
    }
  }
  return out;
}

}  // namespace neon::gen
