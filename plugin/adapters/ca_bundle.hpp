#pragma once
// Where the system's CA certificates are, found as Go's crypto/x509 finds them on Linux
// (root_linux.go): SSL_CERT_FILE, else the first bundle file that exists among the usual paths of
// Debian, RHEL, SUSE, Alpine and macOS; SSL_CERT_DIR (a colon-separated list), else the first
// certificate folder that exists. A static kubectl-neon cannot rely on the paths compiled into
// OpenSSL or libcurl (they are the build machine's), so libcurl (http.cpp) and libgit2 (git.cpp)
// are given these unless a CA of the user's (--certificate-authority, the kubeconfig) is set,
// which then is the only one trusted.

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace neon::cli::tls {

/// The bundle files looked for, in order.
const std::vector<std::string>& ca_bundle_files();
/// The certificate folders looked for, in order.
const std::vector<std::string>& ca_bundle_dirs();

struct CaLocations {
  std::string file;  ///< a PEM bundle; empty when none was found
  std::string dir;   ///< OpenSSL's colon-separated folder list; empty when none was found
};

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;
using Exists = std::function<bool(const std::string&)>;

/// The lookup itself, with the environment and the file system passed in (tests use fakes).
CaLocations find_ca_locations(const GetEnv& getenv, const Exists& exists);
/// The lookup on this process's environment and the real file system.
CaLocations system_ca_locations();

}  // namespace neon::cli::tls
