// krew-manifest.yaml, rendered for a release, must pass every check krew and krew-index apply
// (krew internal/index/validation/validate.go and cmd/validate-krew-manifest). The rules are
// written out here so the test needs nothing but the manifest, and each rule is also shown to
// reject a manifest that breaks it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "tests/support/golden.hpp"
#include "tests/support/run.hpp"

namespace fs = std::filesystem;
using neon::test::source_dir;

namespace {

const char* const k_krew_api_version = "krew.googlecontainertools.github.com/v1alpha2";

// validate-krew-manifest's supported platforms.
const std::vector<std::pair<std::string, std::string>> k_supported = {
    {"windows", "386"}, {"windows", "amd64"}, {"windows", "arm64"}, {"linux", "386"},
    {"linux", "amd64"}, {"linux", "arm"},     {"linux", "arm64"},   {"linux", "ppc64le"},
    {"darwin", "386"},  {"darwin", "amd64"},  {"darwin", "arm64"}};

const std::vector<std::string> k_license_names = {"license",      "license.txt", "license.md", "licenses",
                                                  "licenses.txt", "licenses.md", "copying",    "copying.txt"};

std::string render(std::string text, const std::string& version, const std::string& sha256) {
  const std::vector<std::pair<std::string, std::string>> tokens = {{"KUBECTL_NEON_LINUX_AMD64_SHA256", sha256},
                                                                   {"KUBECTL_NEON_LINUX_ARM64_SHA256", sha256},
                                                                   {"KUBECTL_NEON_VERSION", version}};
  for (const auto& [token, value] : tokens) {
    for (auto pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos + value.size())) {
      text.replace(pos, token.size(), value);
    }
  }
  return text;
}

/// k8s.io/apimachinery ParseSemantic after krew strips the required leading "v".
bool is_krew_version(const std::string& v) {
  static const std::regex k_semver(
      R"(^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))"
      R"((-(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?)"
      R"((\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$)");
  return std::regex_match(v, k_semver);
}

bool is_reserved_windows_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
  static const std::regex k_reserved("^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$");
  return std::regex_match(name, k_reserved);
}

bool selector_matches(const YAML::Node& sel, const std::string& os, const std::string& arch) {
  auto label = [&](const std::string& key) { return key == "os" ? os : arch; };
  if (sel["matchLabels"]) {
    for (auto it = sel["matchLabels"].begin(); it != sel["matchLabels"].end(); ++it) {
      if (label(it->first.Scalar()) != it->second.Scalar()) {
        return false;
      }
    }
  }
  if (sel["matchExpressions"]) {
    for (const auto& e : sel["matchExpressions"]) {
      const std::string op = e["operator"].Scalar();
      const std::string value = label(e["key"].Scalar());
      std::set<std::string> values;
      if (e["values"]) {
        for (const auto& v : e["values"]) {
          values.insert(v.Scalar());
        }
      }
      const bool in = values.count(value) != 0;
      if ((op == "In" && !in) || (op == "NotIn" && in) || op == "DoesNotExist") {
        return false;
      }
    }
  }
  return true;
}

/// Every problem krew and krew-index CI would find in `text`, stored as `file_name`.
std::vector<std::string> krew_problems(const std::string& text, const std::string& file_name) {
  std::vector<std::string> p;
  if (text.find("KUBECTL_NEON_") != std::string::npos) {
    p.push_back("a template token is left");
  }
  YAML::Node m;
  try {
    m = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return {std::string("not YAML: ") + e.what()};
  }
  auto str = [](const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : std::string(); };
  if (str(m["apiVersion"]) != k_krew_api_version) {
    p.push_back("apiVersion");
  }
  if (str(m["kind"]) != "Plugin") {
    p.push_back("kind");
  }
  const std::string name = str(m["metadata"]["name"]);
  static const std::regex k_name(R"(^[\w-]+$)");
  if (!std::regex_match(name, k_name)) {
    p.push_back("name must match ^[\\w-]+$");
  }
  if (is_reserved_windows_name(name)) {
    p.push_back("name is a reserved Windows device name");
  }
  if (file_name != name + ".yaml") {
    p.push_back("file name must be <name>.yaml");
  }
  const YAML::Node spec = m["spec"];
  const std::string short_desc = str(spec["shortDescription"]);
  if (short_desc.empty() || short_desc.find_first_of("\r\n") != std::string::npos) {
    p.push_back("shortDescription must be one non-empty line");
  }
  if (!is_krew_version(str(spec["version"]))) {
    p.push_back("version must be v-prefixed strict semver");
  }
  const YAML::Node platforms = spec["platforms"];
  if (!platforms || !platforms.IsSequence() || platforms.size() == 0) {
    p.push_back("platforms must not be empty");
    return p;
  }
  static const std::regex k_sha(R"(^[a-f0-9]{64}$)");
  std::vector<int> matched(k_supported.size(), 0);
  for (std::size_t i = 0; i < platforms.size(); ++i) {
    const YAML::Node pl = platforms[i];
    const std::string at = fmt::format("platforms[{}]: ", i);
    if (str(pl["uri"]).empty()) {
      p.push_back(at + "uri is empty");
    }
    if (!std::regex_match(str(pl["sha256"]), k_sha)) {
      p.push_back(at + "sha256 must be 64 lowercase hex digits");
    }
    if (str(pl["bin"]).empty()) {
      p.push_back(at + "bin is empty");
    }
    if (pl["files"]) {
      if (!pl["files"].IsSequence() || pl["files"].size() == 0) {
        p.push_back(at + "files must be left out or non-empty");
      } else {
        for (const auto& f : pl["files"]) {
          if (str(f["from"]).empty() || str(f["to"]).empty()) {
            p.push_back(at + "files need from and to");
          }
        }
      }
    }
    const YAML::Node sel = pl["selector"];
    if (!sel || !sel.IsMap() || sel.size() == 0) {
      p.push_back(at + "selector must not be empty");
      continue;
    }
    bool selector_ok = true;
    for (auto it = sel.begin(); it != sel.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (k != "matchLabels" && k != "matchExpressions") {
        p.push_back(at + "selector may only have matchLabels and matchExpressions");
        selector_ok = false;
      } else if (it->second.size() == 0) {
        p.push_back(at + k + " is given but empty");
        selector_ok = false;
      }
    }
    if (sel["matchLabels"]) {
      for (auto it = sel["matchLabels"].begin(); it != sel["matchLabels"].end(); ++it) {
        if (it->first.Scalar() != "os" && it->first.Scalar() != "arch") {
          p.push_back(at + "selector keys must be os or arch");
          selector_ok = false;
        }
      }
    }
    if (sel["matchExpressions"]) {
      for (const auto& e : sel["matchExpressions"]) {
        if (str(e["key"]) != "os" && str(e["key"]) != "arch") {
          p.push_back(at + "selector keys must be os or arch");
          selector_ok = false;
        }
      }
    }
    if (!selector_ok) {
      continue;
    }
    bool any = false;
    for (std::size_t s = 0; s < k_supported.size(); ++s) {
      if (selector_matches(sel, k_supported[s].first, k_supported[s].second)) {
        any = true;
        if (++matched[s] == 2) {
          p.push_back(fmt::format("{}/{} is matched by two platforms", k_supported[s].first, k_supported[s].second));
        }
      }
    }
    if (!any) {
      p.push_back(at + "selector matches no supported os/arch");
    }
  }
  return p;
}

std::string sha256_of(const fs::path& file) {
  const auto r = neon::test::run_process({"sha256sum", file.string()});
  REQUIRE(r.exit == 0);
  return r.out.substr(0, 64);
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_SUITE("krew") {
  TEST_CASE("the rendered manifest passes every krew rule") {
    neon::test::ScratchDir tmp("krew");
    // A release archive as .ci/release builds it: the binary, the completion shim and LICENSE, no
    // symlinks (the "release-krew" suite checks the real archives of .ci/release).
    fs::create_directories(tmp / "stage");
    fs::copy_file(NEON_BINARY, tmp / "stage/kubectl-neon");
    fs::copy_file(source_dir() / "plugin/commands/kubectl_complete-neon", tmp / "stage/kubectl_complete-neon");
    fs::copy_file(source_dir() / "LICENSE", tmp / "stage/LICENSE");
    const fs::path archive = tmp / "kubectl-neon_v0.1.0_linux_amd64.tar.gz";
    auto r = neon::test::run_process({"tar", "-czf", archive.string(), "-C", (tmp / "stage").string(), "kubectl-neon",
                                      "kubectl_complete-neon", "LICENSE"});
    REQUIRE_MESSAGE(r.exit == 0, r.err);
    r = neon::test::run_process({"tar", "-tvzf", archive.string()});
    REQUIRE(r.exit == 0);
    CHECK(r.out.find("\nl") == std::string::npos);  // no symlink entries
    CHECK(r.out.rfind("-rwx", 0) == 0);             // the binary keeps its executable bit
    const std::string sha = sha256_of(archive);

    const std::string rendered = render(neon::test::read_text(source_dir() / "krew-manifest.yaml"), "v0.1.0", sha);
    const YAML::Node m = YAML::Load(rendered);
    const std::string name = m["metadata"]["name"].Scalar();
    CHECK(name == "neon");
    neon::test::write_text(tmp / (name + ".yaml"), rendered);
    const auto problems = krew_problems(neon::test::read_text(tmp / (name + ".yaml")), name + ".yaml");
    CHECK_MESSAGE(problems.empty(), fmt::format("{}", fmt::join(problems, "\n")));

    // The platforms the project ships (static Linux binaries), each pointing at its own archive
    // of this version, each installing the three files of the archive.
    std::set<std::string> shipped;
    for (const auto& pl : m["spec"]["platforms"]) {
      const std::string os = pl["selector"]["matchLabels"]["os"].Scalar();
      const std::string arch = pl["selector"]["matchLabels"]["arch"].Scalar();
      shipped.insert(os + "/" + arch);
      CHECK(pl["uri"].Scalar().rfind("https://", 0) == 0);
      CHECK(pl["uri"].Scalar().find(fmt::format("/v0.1.0/kubectl-neon_v0.1.0_{}_{}.tar.gz", os, arch)) !=
            std::string::npos);
      CHECK(pl["bin"].Scalar() == "kubectl-neon");
      std::set<std::string> files;
      for (const auto& f : pl["files"]) {
        CHECK(f["to"].Scalar() == ".");
        files.insert(f["from"].Scalar());
      }
      CHECK(files == std::set<std::string>{"kubectl-neon", "kubectl_complete-neon", "LICENSE"});
    }
    CHECK(shipped == std::set<std::string>{"linux/amd64", "linux/arm64"});

    // The archive carries a license file under a name krew-index accepts.
    r = neon::test::run_process({"tar", "-tzf", archive.string()});
    bool license = false;
    for (const auto& n : k_license_names) {
      std::string listing = r.out;
      std::transform(listing.begin(), listing.end(), listing.begin(), [](unsigned char c) { return std::tolower(c); });
      license = license || listing.find(n + "\n") != std::string::npos;
    }
    CHECK(license);

    // The caveats install the same completion shim the project ships.
    const std::string caveats = m["spec"]["caveats"].Scalar();
    CHECK(caveats.find("kubectl_complete-neon") != std::string::npos);
    CHECK(caveats.find("exec kubectl-neon __complete \"$@\"") != std::string::npos);
    CHECK(neon::test::read_text(source_dir() / "plugin/commands/kubectl_complete-neon")
              .find("exec kubectl-neon __complete \"$@\"") != std::string::npos);
  }

  TEST_CASE("each krew rule rejects a manifest that breaks it") {
    const std::string good =
        render(neon::test::read_text(source_dir() / "krew-manifest.yaml"), "v1.2.3-rc.1", std::string(64, 'a'));
    REQUIRE(krew_problems(good, "neon.yaml").empty());
    CHECK(!krew_problems(neon::test::read_text(source_dir() / "krew-manifest.yaml"), "neon.yaml").empty());
    const std::vector<std::pair<std::string, std::string>> breaks = {
        {"apiVersion: krew.googlecontainertools.github.com/v1alpha2",
         "apiVersion: krew.googlecontainertools.github.com/v1alpha1"},
        {"kind: Plugin", "kind: Plugins"},
        {"  name: neon", "  name: neon.io"},
        {"  name: neon", "  name: Com1"},
        {"shortDescription: Run self-hosted Neon Postgres the GitOps way",
         "shortDescription: \"Run self-hosted\\nNeon Postgres\""},
        {"version: v1.2.3-rc.1", "version: 1.2.3"},
        {"version: v1.2.3-rc.1", "version: v1.2"},
        {"version: v1.2.3-rc.1", "version: v01.2.3"},
        {std::string(64, 'a'), std::string(64, 'A')},
        {std::string(64, 'a'), std::string(63, 'a')},
        {"    bin: kubectl-neon", "    bin: \"\""},
        {"    files:\n    - from: kubectl-neon\n      to: .\n    - from: kubectl_complete-neon\n      to: .\n"
         "    - from: LICENSE\n      to: .\n  - selector",
         "    files: []\n  - selector"},
        {"    - from: LICENSE\n      to: .\n  - selector", "    - from: LICENSE\n  - selector"},
        {"        arch: arm64", "        arch: arm64\n        distro: debian"},
        {"        os: linux\n        arch: arm64", "        os: linux"},
        {"        os: linux\n        arch: arm64", "        os: plan9\n        arch: arm64"},
        {"      matchLabels:\n        os: linux\n        arch: amd64", "      matchLabels: {}"},
        {"      matchLabels:\n        os: linux\n        arch: amd64",
         "      matchExpressions:\n      - {key: os, operator: In, values: [linux]}"},
    };
    for (const auto& [from, to] : breaks) {
      CAPTURE(to);
      std::string bad = good;
      const auto pos = bad.find(from);
      REQUIRE(pos != std::string::npos);
      bad.replace(pos, from.size(), to);
      CHECK_FALSE(krew_problems(bad, "neon.yaml").empty());
    }
    CHECK_FALSE(krew_problems(good, "kubectl-neon.yaml").empty());
    CHECK(replace_once(good, "  name: neon", "  name: neon_pg-2").find("neon_pg-2") != std::string::npos);
    CHECK(krew_problems(replace_once(good, "  name: neon", "  name: neon_pg-2"), "neon_pg-2.yaml").empty());
    CHECK(is_krew_version("v0.1.0"));
    CHECK(is_krew_version("v1.0.0+build.5"));
    CHECK_FALSE(is_krew_version("v1.0.0-01"));
    CHECK_FALSE(is_krew_version("v"));
  }
}

// The real release: dist/neon.yaml and the archives of .ci/release (NEON_RELEASE_DIST names the
// folder; ctest's release_krew sets it after release_build, and the unit run leaves this suite
// out). The rendered manifest passes every rule above, and each archive installed as krew installs
// it (sha256 checked, unpacked, the manifest's `files` moved into the plugin's folder, `bin`
// linked as kubectl-neon into krew's bin folder, krew internal/installation/install.go) gives a
// plugin that `kubectl plugin list` finds and `kubectl neon version` runs.
TEST_SUITE("release-krew") {
  TEST_CASE("the released manifest and archives install as krew installs them") {
    const char* dist_env = std::getenv("NEON_RELEASE_DIST");
    REQUIRE_MESSAGE(dist_env != nullptr, "NEON_RELEASE_DIST is not set (ctest's release_krew sets it)");
    const fs::path dist = dist_env;
    const std::string text = neon::test::read_text(dist / "neon.yaml");
    const auto problems = krew_problems(text, "neon.yaml");
    CHECK_MESSAGE(problems.empty(), fmt::format("{}", fmt::join(problems, "\n")));
    const YAML::Node m = YAML::Load(text);
    const std::string version = m["spec"]["version"].Scalar();
    REQUIRE(m["spec"]["platforms"].size() == 2);
    REQUIRE(neon::test::have_program("kubectl"));
    for (const auto& pl : m["spec"]["platforms"]) {
      const std::string arch = pl["selector"]["matchLabels"]["arch"].Scalar();
      CAPTURE(arch);
      const std::string uri = pl["uri"].Scalar();
      const fs::path archive = dist / uri.substr(uri.rfind('/') + 1);
      REQUIRE(fs::exists(archive));
      CHECK(sha256_of(archive) == pl["sha256"].Scalar());

      neon::test::ScratchDir krew("release-krew-" + arch);
      const fs::path extract = krew / "download";
      const fs::path store = krew / ("store/neon/" + version);
      const fs::path bin_dir = krew / "bin";
      fs::create_directories(extract);
      fs::create_directories(store);
      fs::create_directories(bin_dir);
      auto r = neon::test::run_process({"tar", "-xzf", archive.string(), "-C", extract.string()});
      REQUIRE_MESSAGE(r.exit == 0, r.err);
      for (const auto& f : pl["files"]) {
        const fs::path from = extract / f["from"].Scalar();
        REQUIRE_MESSAGE(fs::exists(from), from.string());
        CHECK(!fs::is_symlink(from));
        fs::create_directories(store / f["to"].Scalar());
        fs::rename(from, store / f["to"].Scalar() / from.filename());
      }
      const fs::path bin = store / pl["bin"].Scalar();
      REQUIRE(fs::exists(bin));
      CHECK((fs::status(bin).permissions() & fs::perms::owner_exec) != fs::perms::none);
      CHECK((fs::status(store / "kubectl_complete-neon").permissions() & fs::perms::owner_exec) != fs::perms::none);
      CHECK(fs::exists(store / "LICENSE"));
      fs::create_symlink(bin, bin_dir / "kubectl-neon");

      const char* path = std::getenv("PATH");
      const std::map<std::string, std::string> env{{"PATH", bin_dir.string() + ":" + (path ? path : "/usr/bin:/bin")},
                                                   {"KUBECONFIG", (krew / "no-kubeconfig").string()}};
      r = neon::test::run_process({"kubectl", "plugin", "list"}, krew.path(), env);
      CHECK(r.out.find((bin_dir / "kubectl-neon").string()) != std::string::npos);
      if (arch == "amd64") {
        r = neon::test::run_process({"kubectl", "neon", "version"}, krew.path(), env);
        CHECK_MESSAGE(r.exit == 0, r.err);
        CHECK(r.out == "kubectl-neon " + version + "\n");
      } else {
        // No binfmt_misc in a container: the arm64 binary runs under qemu-user directly.
        REQUIRE(neon::test::have_program("qemu-aarch64-static"));
        r = neon::test::run_process({"qemu-aarch64-static", bin.string(), "version"}, krew.path(), env);
        CHECK_MESSAGE(r.exit == 0, r.err);
        CHECK(r.out == "kubectl-neon " + version + "\n");
      }
    }
  }
}
