#include "plugin/commands/pod_logs.hpp"

#include <algorithm>
#include <cctype>
#include <future>

#include <fmt/format.h>

#include "plugin/adapters/http.hpp"
#include "plugin/adapters/work_pool.hpp"

namespace neon::cli::logs {

const std::vector<Component>& components() {
  // The hook's container is "hook" (generators/compute_hook.cpp); every other container is named
  // after its component.
  static const std::vector<Component> k_components = {
      {"storage-controller", "storage-controller", "storage-controller"},
      {"broker", "storage-broker", "storage-broker"},
      {"hook", "compute-hook", "hook"},
      {"pageserver", "pageserver", "pageserver"},
      {"safekeeper", "safekeeper", "safekeeper"},
      {"compute", "compute", "compute"},
  };
  return k_components;
}

const Component* component_named(const std::string& target) {
  for (const auto& c : components()) {
    if (target == c.target) {
      return &c;
    }
  }
  return nullptr;
}

Result<std::vector<kube::Pod>> component_pods(kube::Client& client, const std::string& ns, const std::string& label) {
  auto pods = client.list_pods(ns, fmt::format("{},{}={}", k_part_of, k_component_label, label));
  NEON_TRY(pods);
  std::sort(pods->begin(), pods->end(), [](const kube::Pod& a, const kube::Pod& b) { return a.name < b.name; });
  return pods;
}

bool LineSplitter::feed(std::string_view data, const std::function<bool(std::string_view)>& emit) {
  while (!data.empty()) {
    const auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      m_rest.append(data);
      return true;
    }
    bool go = true;
    if (m_rest.empty()) {
      go = emit(data.substr(0, nl));
    } else {
      m_rest.append(data.substr(0, nl));
      go = emit(m_rest);
      m_rest.clear();
    }
    if (!go) {
      return false;
    }
    data.remove_prefix(nl + 1);
  }
  return true;
}

bool LineSplitter::finish(const std::function<bool(std::string_view)>& emit) {
  if (m_rest.empty()) {
    return true;
  }
  const std::string last = std::move(m_rest);
  m_rest.clear();
  return emit(last);
}

bool holds_ids(std::string_view line, const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return true;
  }
  std::string lower(line);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
    std::string want = id;
    std::transform(want.begin(), want.end(), want.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find(want) != std::string::npos;
  });
}

std::vector<std::optional<Error>> stream_logs(const kube::ApiServer& api, const std::vector<Source>& sources,
                                              const kube::LogOptions& options, std::size_t parallel,
                                              const LineFn& on_line) {
  std::vector<std::optional<Error>> errors(sources.size());
  if (sources.empty()) {
    return errors;
  }
  WorkPool pool(std::max<std::size_t>(1, std::min(parallel, sources.size())));
  std::vector<std::future<void>> done;
  done.reserve(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    done.push_back(pool.submit([&, i] {
      // One transport per thread (http.hpp); a followed stream has no time limit.
      http::CurlTransport transport(api.tls);
      kube::Client client(api, transport);
      kube::LogOptions mine = options;
      mine.container = sources[i].container;
      LineSplitter lines;
      const auto emit = [&](std::string_view line) { return on_line(i, line); };
      bool going = true;
      auto r = client.pod_log(api.namespace_, sources[i].pod, mine, [&](std::string_view piece) {
        going = lines.feed(piece, emit);
        return going;
      });
      if (!r) {
        errors[i] = r.error();
      } else if (going) {
        lines.finish(emit);
      }
    }));
  }
  for (auto& d : done) {
    d.get();
  }
  return errors;
}

}  // namespace neon::cli::logs
