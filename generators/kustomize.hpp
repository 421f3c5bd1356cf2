#pragma once
// What the spec changes in a shipped Component's objects (generators/layout.cpp renders them with
// it, so the tree needs no kustomize transformer), in kustomize v5's own terms and semantics:
//   images:   ImageTagTransformer entries {name, newName, newTag, digest}
//   patches:  JSON6902 op lists (RFC 6902) with a {kind, name} target
// As within one kustomization, the patches run before the images.

#include <string>
#include <vector>

#include "generators/resource.hpp"

namespace neon::gen {

/// An image reference split as kustomize does: `[host[:port]/]path[:tag][@digest]`.
struct ImageRef {
  std::string name;
  std::string tag;     ///< without the `:`
  std::string digest;  ///< without the `@`, e.g. `sha256:...`
};
ImageRef split_image(const std::string& image);

/// Whether `image` is `name`, optionally followed by `:tag` and then `@sha256:...` (kustomize's
/// match; `name` is taken literally).
bool image_matches(const std::string& image, const std::string& name);

/// The `images:` entry that turns images named `name` into `image`: newName only when the name
/// differs, newTag and digest as `image` has them (kustomize keeps both when both are given).
Json image_entry(const std::string& name, const std::string& image);

/// One `patches:` entry: RFC 6902 `ops` for the object of that kind and name.
struct Patch {
  std::string kind;
  std::string name;
  Json ops;
};

/// What a tier's kustomization adds for its shipped Components, in kustomization order.
struct Transformers {
  Json images = Json::array();
  std::vector<Patch> patches;
};

/// Applies the patches (in order, to every object of that kind and name), then the images (in
/// order, to every `image` of a `containers` or `initContainers` list anywhere in an object but a
/// CustomResourceDefinition), as kustomize does for one kustomization.
void apply_transformers(std::vector<Json>& objects, const Transformers& transformers);

}  // namespace neon::gen
