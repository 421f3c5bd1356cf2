#include "tests/support/golden.hpp"

#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace neon::test {

namespace fs = std::filesystem;

namespace {
bool& update_flag() {
  static bool flag = false;
  return flag;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) {
    out.push_back(l);
  }
  return out;
}

const char* k_update_hint = "\n(if the change is intended: cmake --build build -t update-golden, then read the diff)";
}  // namespace

void set_update_golden(bool on) { update_flag() = on; }
bool update_golden() { return update_flag(); }

fs::path source_dir() { return fs::path(NEON_SOURCE_DIR); }

std::string line_diff(const std::string& want, const std::string& got) {
  const auto a = lines(want);
  const auto b = lines(got);
  std::string out;
  std::size_t shown = 0;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n && shown < 40; ++i) {
    const std::string* x = i < a.size() ? &a[i] : nullptr;
    const std::string* y = i < b.size() ? &b[i] : nullptr;
    if (x && y && *x == *y) {
      continue;
    }
    if (x) {
      out += fmt::format("  line {}: - {}\n", i + 1, *x);
    }
    if (y) {
      out += fmt::format("  line {}: + {}\n", i + 1, *y);
    }
    ++shown;
  }
  return out;
}

std::string check_golden(const std::string& rel, const std::string& actual) {
  const fs::path p = source_dir() / "tests" / "golden" / rel;
  if (update_golden()) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << actual;
    return "";
  }
  if (!fs::exists(p)) {
    return fmt::format("golden file {} is missing{}", p.string(), k_update_hint);
  }
  const std::string want = read_all(p);
  if (want == actual) {
    return "";
  }
  return fmt::format("{} differs:\n{}{}", p.string(), line_diff(want, actual), k_update_hint);
}

std::string check_golden_tree(const std::string& rel, const std::map<std::string, std::string>& files) {
  const fs::path root = source_dir() / "tests" / "golden" / rel;
  std::map<std::string, std::string> existing;
  if (fs::exists(root)) {
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) {
        existing[fs::relative(e.path(), root).generic_string()] = read_all(e.path());
      }
    }
  }
  if (update_golden()) {
    for (const auto& [path, _] : existing) {
      if (files.count(path) == 0) {
        fs::remove(root / path);
      }
    }
    for (const auto& [path, data] : files) {
      fs::create_directories((root / path).parent_path());
      std::ofstream(root / path, std::ios::binary) << data;
    }
    return "";
  }
  std::string out;
  for (const auto& [path, data] : files) {
    auto it = existing.find(path);
    if (it == existing.end()) {
      out += fmt::format("extra file {}\n", path);
    } else if (it->second != data) {
      out += fmt::format("changed file {}:\n{}", path, line_diff(it->second, data));
    }
  }
  for (const auto& [path, _] : existing) {
    if (files.count(path) == 0) {
      out += fmt::format("missing file {}\n", path);
    }
  }
  return out.empty() ? out : fmt::format("golden tree {} differs:\n{}{}", root.string(), out, k_update_hint);
}

}  // namespace neon::test
