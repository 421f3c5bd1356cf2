#pragma once
// The default spec.images.hook: the image of this binary's own version, which .ci/release builds
// and publishes beside the binary. The spec parser uses it when spec.images.hook is left out, and
// `init` writes it.

#include <string>

namespace neon::gen {

/// Where the kubectl-neon image is published.
inline constexpr const char* k_hook_image_repository = "ghcr.io/kubectl-neon/kubectl-neon";

/// k_hook_image_repository:NEON_VERSION (hook_image.cpp).
std::string default_hook_image();

}  // namespace neon::gen
