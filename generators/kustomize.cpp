#include "generators/kustomize.hpp"

#include <regex>

#include "generators/emit.hpp"

namespace neon::gen {
namespace {

/// kustomize's imageTagUpdater: newName replaces the name; newTag and digest, when either is
/// given, replace both the old tag and the old digest.
std::string updated_image(const std::string& image, const Json& entry) {
  ImageRef ref = split_image(image);
  const std::string new_name = entry.value("newName", "");
  const std::string new_tag = entry.value("newTag", "");
  const std::string digest = entry.value("digest", "");
  if (!new_name.empty()) {
    ref.name = new_name;
  }
  if (!new_tag.empty() || !digest.empty()) {
    ref.tag = new_tag;
    ref.digest = digest;
  }
  std::string out = ref.name;
  if (!ref.tag.empty()) {
    out += ":" + ref.tag;
  }
  if (!ref.digest.empty()) {
    out += "@" + ref.digest;
  }
  return out;
}

/// kustomize's LegacyFilter walk: every field named containers or initContainers, at any depth,
/// that holds a list; each element's `image` is updated when it matches the entry's name.
void update_images(Json& node, const Json& entry) {
  if (node.is_array()) {
    for (auto& element : node) {
      update_images(element, entry);
    }
    return;
  }
  if (!node.is_object()) {
    return;
  }
  for (auto& [key, value] : node.items()) {
    update_images(value, entry);
    if ((key == "containers" || key == "initContainers") && value.is_array()) {
      for (auto& container : value) {
        if (container.is_object() && container.contains("image") && container["image"].is_string()) {
          const std::string image = container["image"].get<std::string>();
          if (image_matches(image, entry.value("name", ""))) {
            container["image"] = updated_image(image, entry);
          }
        }
      }
    }
  }
}

}  // namespace

ImageRef split_image(const std::string& image) {
  // As kustomize's image.Split: look for `:` and `@` after the first `/` (a registry port is no tag).
  std::size_t offset = 0;
  if (const auto slash = image.find('/'); slash != std::string::npos && slash > 0) {
    offset = slash;
  }
  const auto at = image.find('@', offset);
  const auto colon = image.find(':', offset);
  if (at == std::string::npos && colon == std::string::npos) {
    return ImageRef{image, "", ""};
  }
  if (at != std::string::npos && (colon == std::string::npos || at < colon)) {
    return ImageRef{image.substr(0, at), "", image.substr(at + 1)};
  }
  if (at != std::string::npos) {
    return ImageRef{image.substr(0, colon), image.substr(colon + 1, at - colon - 1), image.substr(at + 1)};
  }
  return ImageRef{image.substr(0, colon), image.substr(colon + 1), ""};
}

bool image_matches(const std::string& image, const std::string& name) {
  if (name.empty() || image.compare(0, name.size(), name) != 0) {
    return false;
  }
  static const std::regex k_rest(R"(^(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$)");
  return std::regex_match(image.begin() + static_cast<std::ptrdiff_t>(name.size()), image.end(), k_rest);
}

Json image_entry(const std::string& name, const std::string& image) {
  const ImageRef ref = split_image(image);
  Json entry{{"name", name}};
  if (ref.name != name) {
    entry["newName"] = ref.name;
  }
  if (!ref.tag.empty()) {
    entry["newTag"] = ref.tag;
  }
  if (!ref.digest.empty()) {
    entry["digest"] = ref.digest;
  }
  return entry;
}

void apply_transformers(std::vector<Json>& objects, const Transformers& transformers) {
  for (const auto& p : transformers.patches) {
    for (auto& o : objects) {
      if (o.value("kind", "") == p.kind && o.contains("metadata") && o["metadata"].value("name", "") == p.name) {
        o = o.patch(p.ops);
      }
    }
  }
  for (const auto& entry : transformers.images) {
    for (auto& o : objects) {
      if (o.value("kind", "") != "CustomResourceDefinition") {
        update_images(o, entry);
      }
    }
  }
}

}  // namespace neon::gen
