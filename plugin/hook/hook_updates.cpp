#include "plugin/hook/hook_updates.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <future>
#include <utility>

#include <fmt/format.h>

#include "plugin/adapters/work_pool.hpp"
#include "plugin/hook/hook_auth.hpp"
#include "plugin/hook/hook_placement.hpp"
#include "plugin/hook/hook_roles.hpp"

namespace neon::cli::hook {

namespace {

/// The safekeepers' WAL service (--listen-pg), where computes send WAL (libs/safekeeper_api/src/lib.rs:30).
constexpr std::uint32_t k_safekeeper_pg_port = 5454;

}  // namespace

ComputeUpdates::ComputeUpdates(UpdateContext context)
    : m_context(std::move(context)),
      m_pool(std::make_unique<WorkPool>(static_cast<std::size_t>(std::max(1, m_context.workers)))) {}

ComputeUpdates::~ComputeUpdates() = default;

std::optional<std::string> ComputeUpdates::storage_token(const std::string& tenant_id) const {
  auto it = m_context.storage_tokens.find(tenant_id);
  return it == m_context.storage_tokens.end() ? std::nullopt : std::optional<std::string>(it->second);
}

SafekeeperSet ComputeUpdates::safekeepers_for(const std::string& timeline_id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_safekeepers.find(timeline_id);
  if (it != m_safekeepers.end()) {
    return it->second;
  }
  return SafekeeperSet{m_context.computes.safekeepers, std::nullopt};
}

Json ComputeUpdates::spec_for(const ComputeEntry& compute, const Placement& placement) {
  return build_spec(compute, placement, safekeepers_for(compute.timeline_id), storage_token(compute.tenant_id),
                    m_context.passwords.roles(compute));
}

ConfigureResult ComputeUpdates::configure(const ComputeEntry& compute, const Json& spec) {
  ConfigureCall call{m_context.signing_key_pem, m_context.kid, m_context.jwks, m_context.configure_timeout,
                     storage_token(compute.tenant_id).value_or("")};
  call.redact_more = [this](const std::string& text) { return m_context.passwords.redact(text); };
  return configure_compute(compute, spec, call);
}

ConfigureResult ComputeUpdates::configure_all(const std::vector<const ComputeEntry*>& targets,
                                              const Placement& placement) {
  std::vector<std::future<ConfigureResult>> futures;
  for (const ComputeEntry* c : targets) {
    Json spec = spec_for(*c, placement);
    futures.push_back(m_pool->submit([this, c, spec] { return configure(*c, spec); }));
  }
  ConfigureResult worst;
  auto rank = [](int status) { return status == 200 ? 0 : status == 503 ? 3 : status == 423 ? 2 : 1; };
  for (auto& f : futures) {
    ConfigureResult o;
    try {
      o = f.get();
    } catch (const std::exception& e) {
      o = ConfigureResult{500, fmt::format("configuring a compute failed: {}", e.what())};
    }
    if (rank(o.status) > rank(worst.status)) {
      worst = o;
    }
  }
  return worst;
}

ConfigureResult ComputeUpdates::apply_attach(const AttachNotification& n) {
  if (auto split = m_context.book.splitting(n.tenant_id)) {
    return ConfigureResult{503, *split + "; retry once the split is done"};
  }
  auto placement = m_context.book.from_notification(n);
  if (!placement) {
    return ConfigureResult{503, placement.error().message};
  }
  m_context.book.remember(n.tenant_id, *placement);
  std::vector<const ComputeEntry*> targets;
  for (const ComputeEntry& c : m_context.computes.computes) {
    if (c.tenant_id == n.tenant_id) {
      targets.push_back(&c);
    }
  }
  return configure_all(targets, *placement);
}

ConfigureResult ComputeUpdates::apply_safekeepers(const SafekeepersNotification& n) {
  SafekeeperSet set;
  set.generation = n.generation;
  for (const SafekeeperRef& s : n.safekeepers) {
    if (!s.hostname) {
      return ConfigureResult{400, fmt::format("safekeeper {} has no hostname", s.id)};
    }
    // Only the cluster's own safekeepers (computes.json, from the spec): a notification must not
    // point computes' WAL at any other host.
    if (!known_safekeeper(m_context.computes, *s.hostname)) {
      return ConfigureResult{400,
                             fmt::format("safekeeper {}: {} is not a safekeeper of this cluster", s.id, *s.hostname)};
    }
    set.connstrings.push_back(fmt::format("{}:{}", *s.hostname, k_safekeeper_pg_port));
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_safekeepers[n.timeline_id] = set;
  }
  std::vector<const ComputeEntry*> targets;
  for (const ComputeEntry& c : m_context.computes.computes) {
    if (c.tenant_id == n.tenant_id && c.timeline_id == n.timeline_id) {
      targets.push_back(&c);
    }
  }
  if (targets.empty()) {
    return ConfigureResult{};
  }
  auto placement = m_context.book.current(n.tenant_id);
  if (!placement) {
    return ConfigureResult{503, placement.error().message};
  }
  return configure_all(targets, *placement);
}

ConfigureResult ComputeUpdates::apply(const Notification& notification) {
  if (const auto* attach = std::get_if<AttachNotification>(&notification)) {
    return apply_attach(*attach);
  }
  return apply_safekeepers(std::get<SafekeepersNotification>(notification));
}

}  // namespace neon::cli::hook
