// The system CA lookup of ca_bundle.hpp.
#include "plugin/adapters/ca_bundle.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace neon::cli::tls {

const std::vector<std::string>& ca_bundle_files() {
  static const std::vector<std::string> k_files = {
      "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Gentoo, Arch
      "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL 6
      "/etc/ssl/ca-bundle.pem",                             // openSUSE
      "/etc/pki/tls/cacert.pem",                            // OpenELEC
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // CentOS, RHEL 7+
      "/etc/ssl/cert.pem",                                  // Alpine, macOS
  };
  return k_files;
}

const std::vector<std::string>& ca_bundle_dirs() {
  static const std::vector<std::string> k_dirs = {
      "/etc/ssl/certs",      // SLES 10/11, Debian
      "/etc/pki/tls/certs",  // Fedora, RHEL
  };
  return k_dirs;
}

CaLocations find_ca_locations(const GetEnv& getenv, const Exists& exists) {
  CaLocations out;
  if (auto file = getenv("SSL_CERT_FILE"); file && !file->empty()) {
    out.file = *file;
  } else {
    for (const auto& f : ca_bundle_files()) {
      if (exists(f)) {
        out.file = f;
        break;
      }
    }
  }
  if (auto dir = getenv("SSL_CERT_DIR"); dir && !dir->empty()) {
    out.dir = *dir;
  } else {
    for (const auto& d : ca_bundle_dirs()) {
      if (exists(d)) {
        out.dir = d;
        break;
      }
    }
  }
  return out;
}

CaLocations system_ca_locations() {
  return find_ca_locations(
      [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only
        return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
      },
      [](const std::string& path) {
        std::error_code ec;
        return std::filesystem::exists(path, ec);
      });
}

}  // namespace neon::cli::tls
