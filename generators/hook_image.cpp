// The default spec.images.hook: the image of this binary's own version (NEON_VERSION, set by CMake
// for this file only), which .ci/release builds and publishes beside the binary.
#include "generators/hook_image.hpp"

#ifndef NEON_VERSION
#define NEON_VERSION "v0.0.0-dev"
#endif

namespace neon::gen {

std::string default_hook_image() { return std::string(k_hook_image_repository) + ":" + NEON_VERSION; }

}  // namespace neon::gen
