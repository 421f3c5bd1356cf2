#include "plugin/hook/hook_placement.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "plugin/adapters/http.hpp"
#include "plugin/clients/storcon.hpp"

namespace neon::cli::hook {

namespace {

/// A waiting spec request asks the controller again this often (and at once after a notification).
constexpr std::chrono::milliseconds k_poll{500};

std::vector<DescribedShard> described(const storcon::Tenant& tenant) {
  std::vector<DescribedShard> out;
  for (const storcon::Shard& s : tenant.shards) {
    out.push_back(DescribedShard{s.tenant_shard_id, s.node_attached, s.is_splitting});
  }
  return out;
}

storcon::ClientOptions controller_options(const PlacementBook::Options& options, int attempts) {
  storcon::ClientOptions o;
  o.base_url = options.controller_url;
  if (options.tokens != nullptr) {
    o.token_for = options.tokens->for_routes();
  }
  o.timeout = std::chrono::milliseconds(3000);
  o.max_attempts = attempts;
  return o;
}

}  // namespace

PlacementBook::PlacementBook(Options options) : m_options(std::move(options)) {}

std::optional<std::string> PlacementBook::cached_node_url(std::uint64_t node_id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_node_urls.find(node_id);
  return it == m_node_urls.end() ? std::nullopt : std::optional<std::string>(it->second);
}

Result<std::string> PlacementBook::node_url(std::uint64_t node_id) {
  if (auto url = cached_node_url(node_id)) {
    return *url;
  }
  // A burst of notifications for a new pageserver asks the controller once, not once each.
  std::lock_guard<std::mutex> fetching(m_node_fetch);
  if (auto url = cached_node_url(node_id)) {
    return *url;
  }
  http::TlsOptions tls;
  tls.ca_file = m_options.ca_file;
  http::CurlTransport transport(tls);
  transport.limit_answer(m_options.max_answer);
  storcon::Client client(transport, controller_options(m_options, 2));
  auto node = client.get_node(node_id);
  if (!node) {
    return node.error();
  }
  // A registered node cannot change its pg address (the controller answers 409), so the
  // mapping is cached for the life of the process.
  std::string url = libpq_url(node->pg_addr, node->pg_port);  // brackets an IPv6 address
  std::lock_guard<std::mutex> lock(m_mutex);
  m_node_urls[node_id] = url;
  return url;
}

Result<Placement> PlacementBook::from_notification(const AttachNotification& n) {
  Placement p;
  p.shard_count = n.shards.size() > 1 ? static_cast<int>(n.shards.size()) : 0;
  p.stripe_size = p.shard_count > 0 ? n.stripe_size : std::nullopt;
  for (const AttachShard& s : n.shards) {
    auto url = node_url(s.node_id);
    if (!url) {
      return make_error(fmt::format("pageserver node {}: {}", s.node_id, url.error().message));
    }
    p.shards.push_back(Placement::Shard{s.node_id, *url});
  }
  return p;
}

void PlacementBook::remember(const std::string& tenant_id, const Placement& placement) {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_placements[tenant_id] = placement;
  }
  {
    std::lock_guard<std::mutex> lock(m_wait_mutex);
    ++m_version;
  }
  m_changed.notify_all();
}

Result<Placement> PlacementBook::current(const std::string& tenant_id) {
  http::TlsOptions tls;
  tls.ca_file = m_options.ca_file;
  http::CurlTransport transport(tls);
  transport.limit_answer(m_options.max_answer);
  storcon::Client client(transport, controller_options(m_options, 2));
  auto tenant = client.describe_tenant(tenant_id);
  if (tenant && *tenant) {
    auto n = attachment_from_describe(tenant_id, (*tenant)->stripe_size, described(**tenant));
    if (!n) {
      return n.error();
    }
    return from_notification(*n);
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_placements.find(tenant_id);
  if (it != m_placements.end()) {
    return it->second;
  }
  if (!tenant) {
    return tenant.error();
  }
  return make_error(fmt::format("tenant {} is not known to the storage controller", tenant_id));
}

std::optional<std::string> PlacementBook::splitting(const std::string& tenant_id) {
  http::TlsOptions tls;
  tls.ca_file = m_options.ca_file;
  http::CurlTransport transport(tls);
  transport.limit_answer(m_options.max_answer);
  storcon::Client client(transport, controller_options(m_options, 1));
  auto tenant = client.describe_tenant(tenant_id);
  if (!tenant || !*tenant) {
    return std::nullopt;
  }
  return split_in_progress(tenant_id, described(**tenant));
}

Result<Placement> PlacementBook::wait(const std::string& tenant_id, Result<Placement> last) {
  {
    std::lock_guard<std::mutex> lock(m_wait_mutex);
    if (m_stopping || m_waiting >= m_options.max_waiting) {
      return last;
    }
    ++m_waiting;
  }
  const auto deadline = std::chrono::steady_clock::now() + m_options.wait;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(m_wait_mutex);
      const std::uint64_t seen = m_version;
      m_changed.wait_until(lock, std::min(std::chrono::steady_clock::now() + k_poll, deadline),
                           [&] { return m_stopping || m_version != seen; });
      if (m_stopping) {
        break;
      }
    }
    last = current(tenant_id);
    if (last || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
  }
  std::lock_guard<std::mutex> lock(m_wait_mutex);
  --m_waiting;
  return last;
}

int PlacementBook::waiting() const {
  std::lock_guard<std::mutex> lock(m_wait_mutex);
  return m_waiting;
}

void PlacementBook::stop() {
  {
    std::lock_guard<std::mutex> lock(m_wait_mutex);
    m_stopping = true;
  }
  m_changed.notify_all();
}

}  // namespace neon::cli::hook
