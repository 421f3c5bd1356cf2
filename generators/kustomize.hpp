#pragma once
// The two kustomize v5 transformers the generated tier kustomizations apply to the shipped
// Components, written out for the tree and done in code for render_stream, so that
// `kubectl neon render` prints what `kubectl kustomize` builds:
//   images:   ImageTagTransformer entries {name, newName, newTag, digest}
//   patches:  JSON6902 op lists (RFC 6902) with a {kind, name} target
// Within one kustomization kustomize runs the patches before the images.

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

/// `{target: {kind, name}, patch: <the ops as a YAML list>}`, as written into a kustomization.
Json patch_entry(const Patch& patch);

/// Applies the patches (in order, to every object of that kind and name), then the images (in
/// order, to every `image` of a `containers` or `initContainers` list anywhere in an object but a
/// CustomResourceDefinition), as kustomize does for one kustomization.
void apply_transformers(std::vector<Json>& objects, const Transformers& transformers);

}  // namespace neon::gen
