#include "plugin/commands/report_bundle.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include <fmt/format.h>

#include "plugin/adapters/process.hpp"

namespace neon::cli::report {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_redacted = "[REDACTED]";
/// Shorter values ("true", "1", a user name) would blank out ordinary words.
constexpr std::size_t k_min_secret = 8;
/// A line of a multi-line value (a PEM body line is 64 characters) is removed on its own too.
constexpr std::size_t k_min_secret_line = 16;

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool b64url(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '='; }

/// The length of a JWT starting at `at` ("eyJ" header, two dots), or 0.
std::size_t jwt_at(const std::string& text, std::size_t at) {
  std::size_t i = at;
  int dots = 0;
  while (i < text.size() && (b64url(text[i]) || (text[i] == '.' && dots < 2))) {
    dots += text[i] == '.' ? 1 : 0;
    ++i;
  }
  return dots == 2 && text[i - 1] != '.' ? i - at : 0;
}

}  // namespace

std::variant<Output, std::string> parse_output(const std::string& value) {
  Output out;
  out.shown = value;
  std::string path = value;
  if (!path.empty() && path.back() == '/') {
    out.kind = Output::Kind::folder;
    while (path.size() > 1 && path.back() == '/') {
      path.pop_back();
    }
  } else if (!ends_with(path, ".tar.gz") && !ends_with(path, ".tgz")) {
    return fmt::format("-o \"{}\": name a FILE.tar.gz (or .tgz), or a folder ending in / (DIR/)", value);
  }
  const fs::path p(path);
  out.name = p.filename().string();
  if (out.name.empty() || out.name == "." || out.name == ".." || out.name == "/" || out.name == ".tar.gz" ||
      out.name == ".tgz") {
    return fmt::format("-o \"{}\": no file or folder name", value);
  }
  out.parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (out.kind == Output::Kind::tarball) {
    const std::size_t ext = ends_with(out.name, ".tgz") ? 4 : 7;
    out.top = out.name.substr(0, out.name.size() - ext);
    out.as_folder = value.substr(0, value.size() - ext) + "/";
  }
  return out;
}

std::optional<std::string> check_output(const Output& out) {
  std::error_code ec;
  if (!fs::is_directory(out.parent, ec)) {
    return fmt::format("-o {}: the folder {} does not exist", out.shown, out.parent.string());
  }
  const fs::path target = out.parent / out.name;
  const auto st = fs::symlink_status(target, ec);
  if (ec || st.type() == fs::file_type::not_found) {
    return std::nullopt;
  }
  if (out.kind == Output::Kind::folder && st.type() == fs::file_type::directory && fs::is_empty(target, ec)) {
    return std::nullopt;
  }
  return fmt::format("-o {}: {} already exists; not overwriting it", out.shown, target.string());
}

void Redactor::credential(const std::string& value) { secret(value); }

void Redactor::secret(const std::string& value) {
  const auto add = [this](const std::string& v) {
    if (std::find(m_values.begin(), m_values.end(), v) == m_values.end()) {
      m_values.push_back(v);
    }
  };
  if (value.size() >= k_min_secret) {
    add(value);
  }
  if (value.find('\n') != std::string::npos) {
    std::size_t start = 0;
    while (start < value.size()) {
      auto nl = value.find('\n', start);
      const std::string line = value.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      if (line.size() >= k_min_secret_line && line.rfind("-----", 0) != 0) {
        add(line);
      }
      start = nl == std::string::npos ? value.size() : nl + 1;
    }
  }
  // Longer values first, so a value holding a shorter one goes whole.
  std::sort(m_values.begin(), m_values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::scrub(std::string text) const {
  for (const auto& v : m_values) {
    for (auto at = text.find(v); at != std::string::npos;
         at = text.find(v, at + std::char_traits<char>::length(k_redacted))) {
      text.replace(at, v.size(), k_redacted);
    }
  }
  for (auto at = text.find("eyJ"); at != std::string::npos; at = text.find("eyJ", at + 1)) {
    if (at > 0 && b64url(text[at - 1])) {
      continue;
    }
    if (const std::size_t n = jwt_at(text, at); n != 0) {
      text.replace(at, n, k_redacted);
    }
  }
  return text;
}

nlohmann::json redact_secrets(const nlohmann::json& items) {
  nlohmann::json out = nlohmann::json::array();
  for (auto item : items) {
    if (!item.is_object()) {
      continue;
    }
    for (const char* field : {"data", "stringData"}) {
      if (item.contains(field) && item[field].is_object()) {
        for (auto& [key, value] : item[field].items()) {
          const std::size_t size = value.is_string() ? value.get<std::string>().size() : 0;
          value = fmt::format("{} ({} base64 characters)", k_redacted, size);
        }
      }
    }
    if (item.contains("metadata") && item["metadata"].is_object()) {
      auto& meta = item["metadata"];
      meta.erase("managedFields");
      if (meta.contains("annotations") && meta["annotations"].is_object() &&
          meta["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration")) {
        meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = k_redacted;
      }
    }
    out.push_back(std::move(item));
  }
  return out;
}

Result<Bundle> Bundle::open(const Output& out, std::string tar) {
  Bundle b;
  b.m_out = out;
  b.m_tar = std::move(tar);
  auto staging = make_temp_dir(out.parent, fmt::format(".{}.tmp-", out.name));
  NEON_TRY(staging);
  b.m_staging = *staging;
  auto root = open_dir(out.parent / b.m_staging, false);
  NEON_TRY(root);
  if (out.kind == Output::Kind::tarball) {
    auto top = open_below(root->get(), out.top, true);
    NEON_TRY(top);
    b.m_root = std::move(*top);
  } else {
    b.m_root = std::move(*root);
  }
  return b;
}

Bundle::Bundle(Bundle&& other) noexcept
    : m_out(std::move(other.m_out)),
      m_tar(std::move(other.m_tar)),
      m_staging(std::move(other.m_staging)),
      m_root(std::move(other.m_root)),
      m_entries(std::move(other.m_entries)),
      m_missing(std::move(other.m_missing)),
      m_done(other.m_done) {
  other.m_done = true;  // the moved-from bundle owns nothing to clean up
}

Bundle::~Bundle() {
  m_root.reset(-1);
  if (m_done || m_staging.empty()) {
    return;
  }
  std::error_code ec;
  fs::remove_all(m_out.parent / m_staging, ec);
  fs::remove(m_out.parent / (m_staging + ".tar.gz"), ec);
}

Result<void> Bundle::add(const std::string& rel, const std::string& bytes, const std::string& note) {
  const auto slash = rel.rfind('/');
  UniqueFd below;
  int dir = m_root.get();
  if (slash != std::string::npos) {
    auto opened = open_below(m_root.get(), rel.substr(0, slash), true);
    NEON_TRY(opened);
    below = std::move(*opened);
    dir = below.get();
  }
  NEON_TRY(write_new_at(dir, rel.substr(slash == std::string::npos ? 0 : slash + 1), bytes, Access::owner_only, rel));
  m_entries.push_back({rel, bytes.size(), note});
  return {};
}

Result<std::size_t> Bundle::finish(const Context& ctx) {
  auto parent = open_dir(m_out.parent, false);
  NEON_TRY(parent);
  if (!*parent) {
    return make_error(fmt::format("{}: no such folder", m_out.parent.string()));
  }
  const std::string shown = (m_out.parent / m_out.name).string();
  m_root.reset(-1);
  if (m_out.kind == Output::Kind::folder) {
    NEON_TRY(publish_dir_at(parent->get(), m_staging, m_out.name, shown));
    m_done = true;
    std::size_t total = 0;
    for (const auto& e : m_entries) {
      total += e.bytes;
    }
    return total;
  }
  const std::string archive = m_staging + ".tar.gz";
  const fs::path base = fs::absolute(m_out.parent);
  std::vector<std::string> env;
  for (const auto& [k, v] : ctx.env) {
    env.push_back(k + "=" + v);
  }
  auto child =
      run_child({m_tar, "-czf", (base / archive).string(), "-C", (base / m_staging).string(), m_out.top}, env, "tar");
  NEON_TRY(child);
  if (child->status != 0) {
    return make_error(fmt::format("tar exited with status {}: {}", child->status, child->err));
  }
  if (::fchmodat(parent->get(), archive.c_str(), S_IRUSR | S_IWUSR, 0) != 0) {
    return make_error(fmt::format("cannot make {} private", shown));
  }
  std::error_code ec;
  const auto size = fs::file_size(base / archive, ec);
  NEON_TRY(publish_at(parent->get(), archive, m_out.name, Overwrite::no, shown));
  fs::remove_all(base / m_staging, ec);
  m_done = true;
  return static_cast<std::size_t>(ec ? 0 : size);
}

}  // namespace neon::cli::report
