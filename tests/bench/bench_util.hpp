#pragma once
// Measuring helpers shared by the bench_*.cpp programs.
#include <sys/resource.h>

#include <chrono>

namespace neon::bench {

/// Wall-clock seconds since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Peak resident memory in MiB of RUSAGE_SELF or RUSAGE_CHILDREN.
inline double peak_mib(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace neon::bench
