// The system CA lookup (plugin/ca_bundle.hpp, Go's crypto/x509 root_linux.go order) and its
// precedence in the HTTP adapter: a CA of the user's (kubeconfig certificate-authority[-data]) is
// the only one trusted; without one the system CAs are. tests/release/chroot.sh runs the same
// lookup in the static binary against the real paths.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "plugin/adapters/ca_bundle.hpp"
#include "plugin/adapters/http.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "tests/support/fake_kube_api.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tools.hpp"

using namespace neon::cli;

namespace {

tls::CaLocations lookup(const std::map<std::string, std::string>& env, const std::set<std::string>& files) {
  return tls::find_ca_locations(
      [&](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      [&](const std::string& path) { return files.count(path) != 0; });
}

/// Sets one environment variable of this process for a scope (libcurl's adapter reads the real
/// environment, as the binary does).
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (m_old) {
      ::setenv(m_name, m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

bool reaches(const neon::test::FakeKubeApi& fake, http::TlsOptions tls) {
  http::CurlTransport transport(std::move(tls));
  http::Request req;
  req.url = fake.url() + "/api/v1/namespaces/neon/pods";
  req.headers = {{"Authorization", "Bearer sekret"}};
  const auto out = transport.send(req);
  return out.response.has_value() && out.response->status == 200;
}

}  // namespace

TEST_SUITE("ca-bundle") {
  TEST_CASE("the lookup follows Go: SSL_CERT_FILE, then Debian, RHEL, SUSE, Alpine paths; SSL_CERT_DIR, then folders") {
    CHECK(lookup({}, {}).file.empty());
    CHECK(lookup({}, {}).dir.empty());
    const auto debian = lookup({}, {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem", "/etc/ssl/certs"});
    CHECK(debian.file == "/etc/ssl/certs/ca-certificates.crt");
    CHECK(debian.dir == "/etc/ssl/certs");
    CHECK(lookup({}, {"/etc/pki/tls/certs/ca-bundle.crt", "/etc/pki/tls/certs"}).file ==
          "/etc/pki/tls/certs/ca-bundle.crt");
    CHECK(lookup({}, {"/etc/pki/tls/certs/ca-bundle.crt", "/etc/pki/tls/certs"}).dir == "/etc/pki/tls/certs");
    CHECK(lookup({}, {"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"}).file ==
          "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem");
    CHECK(lookup({}, {"/etc/ssl/ca-bundle.pem"}).file == "/etc/ssl/ca-bundle.pem");
    CHECK(lookup({}, {"/etc/ssl/cert.pem"}).file == "/etc/ssl/cert.pem");
    // The environment wins, even over files that exist, and is taken as given.
    const auto env = lookup({{"SSL_CERT_FILE", "/x/ca.pem"}, {"SSL_CERT_DIR", "/a:/b"}},
                            {"/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs"});
    CHECK(env.file == "/x/ca.pem");
    CHECK(env.dir == "/a:/b");
    // Empty variables count as unset.
    CHECK(lookup({{"SSL_CERT_FILE", ""}}, {"/etc/ssl/cert.pem"}).file == "/etc/ssl/cert.pem");
    // Go's order: Debian's bundle before RHEL's before Alpine's.
    CHECK(tls::ca_bundle_files().front() == "/etc/ssl/certs/ca-certificates.crt");
    CHECK(tls::ca_bundle_files().back() == "/etc/ssl/cert.pem");
  }

  TEST_CASE("a kubeconfig CA is the only one trusted; without one SSL_CERT_FILE is used" *
            doctest::test_suite("integration")) {
    NEON_REQUIRE_TOOL("openssl");  // TestPki makes the certificates
    neon::test::ScratchDir dir("ca-bundle-precedence");
    std::filesystem::create_directories(dir / "right");
    std::filesystem::create_directories(dir / "other");
    neon::test::TestPki pki(dir / "right");
    neon::test::TestPki other(dir / "other");
    REQUIRE_MESSAGE(pki.ok, pki.error);
    REQUIRE_MESSAGE(other.ok, other.error);
    neon::test::FakeKubeApi fake(pki, neon::test::FakeKubeOptions{"sekret", false, ""});
    REQUIRE(fake.running());
    const std::string right = neon::test::read_text(pki.ca_crt);
    {
      // The system store trusts the server's CA, the kubeconfig names another: refused.
      ScopedEnv env("SSL_CERT_FILE", pki.ca_crt.string());
      CHECK(reaches(fake, {}));
      http::TlsOptions data;
      data.ca_pem = neon::test::read_text(other.ca_crt);
      CHECK_FALSE(reaches(fake, data));
      http::TlsOptions file;
      file.ca_file = other.ca_crt.string();
      CHECK_FALSE(reaches(fake, file));
    }
    {
      // The system store trusts another CA, the kubeconfig the server's: accepted.
      ScopedEnv env("SSL_CERT_FILE", other.ca_crt.string());
      CHECK_FALSE(reaches(fake, {}));
      http::TlsOptions data;
      data.ca_pem = right;
      CHECK(reaches(fake, data));
      http::TlsOptions file;
      file.ca_file = pki.ca_crt.string();
      CHECK(reaches(fake, file));
    }
  }
}
