#pragma once
// What `status` checks of the serverless endpoint: the proxy certificate's subject (the proxy takes
// its routing domain from it and accepts nothing but `CN=*.<domain>`,
// proxy/src/tls/server_config.rs:171-192), and which suspendable computes sleep.

#include <optional>
#include <string>
#include <vector>

#include "generators/spec.hpp"
#include "plugin/clients/kube_client.hpp"

namespace neon::cli::proxy {

/// The subject of the first certificate of `pem`, RFC 2253 style (`CN=*.db.example.com`,
/// `CN=x,O=Acme`); nullopt when there is no readable certificate.
std::optional<std::string> certificate_subject(const std::string& pem);

/// Why a certificate with `subject` cannot serve `domain`, or nothing.
std::optional<std::string> subject_problem(const std::string& subject, const std::string& domain);

/// The problem with the proxy's TLS Secret as the API server holds it, or nothing (`secret` is
/// nullopt when it does not exist).
std::optional<std::string> certificate_problem(const gen::ProxySpec& proxy, const std::optional<kube::Secret>& secret);

/// The Deployments among `deployments` that are scaled to zero (spec.replicas 0), by name.
std::vector<std::string> asleep(const std::vector<kube::Deployment>& deployments);
/// Those of `suspendable` (Deployment names) scaled up but with no available pod yet: being woken.
std::vector<std::string> waking(const std::vector<kube::Deployment>& deployments,
                                const std::vector<std::string>& suspendable);

}  // namespace neon::cli::proxy
