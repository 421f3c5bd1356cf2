#include "plugin/commands/proxy_checks.hpp"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace neon::cli::proxy {

std::optional<std::string> certificate_subject(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!in) {
    return std::nullopt;
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) {
    return std::nullopt;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  // RFC 2253 order is most specific first; the proxy reads the subject as a whole.
  if (!out || X509_NAME_print_ex(out.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253) < 0) {
    return std::nullopt;
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::optional<std::string> subject_problem(const std::string& subject, const std::string& domain) {
  const std::string want = "CN=*." + domain;
  if (subject == want) {
    return std::nullopt;
  }
  return fmt::format(
      "its subject is {}, and the proxy needs exactly {}: it takes the routing domain from the "
      "subject (proxy/src/tls/server_config.rs:171-192)",
      subject.empty() ? "empty" : subject, want);
}

std::optional<std::string> certificate_problem(const gen::ProxySpec& proxy, const std::optional<kube::Secret>& secret) {
  const std::string name = proxy.certificate_secret();
  if (!secret) {
    return fmt::format("proxy certificate: Secret {} does not exist{}", name,
                       proxy.issuer_name.empty() ? "" : " yet (cert-manager has not issued the Certificate)");
  }
  const auto crt = secret->data.find("tls.crt");
  if (crt == secret->data.end()) {
    return fmt::format("proxy certificate: Secret {} has no tls.crt", name);
  }
  const auto subject = certificate_subject(crt->second);
  if (!subject) {
    return fmt::format("proxy certificate: tls.crt of Secret {} is not a PEM certificate", name);
  }
  if (auto problem = subject_problem(*subject, proxy.domain)) {
    return fmt::format("proxy certificate {}: {}", name, *problem);
  }
  return std::nullopt;
}

std::vector<std::string> asleep(const std::vector<kube::Deployment>& deployments) {
  std::vector<std::string> out;
  for (const auto& d : deployments) {
    if (d.replicas == 0) {
      out.push_back(d.name);
    }
  }
  return out;
}

std::vector<std::string> waking(const std::vector<kube::Deployment>& deployments,
                                const std::vector<std::string>& suspendable) {
  std::vector<std::string> out;
  for (const auto& d : deployments) {
    const bool ours = std::find(suspendable.begin(), suspendable.end(), d.name) != suspendable.end();
    if (ours && d.replicas > 0 && d.available_replicas == 0) {
      out.push_back(d.name);
    }
  }
  return out;
}

}  // namespace neon::cli::proxy
