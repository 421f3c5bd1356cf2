#pragma once
// Reading the logs of Neon's pods, shared by `logs` and `report --logs`: which pods and container
// each component has (the labels and container names generators/ give them), and many log streams
// read at once, one connection and thread each, cut into lines.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generators/result.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"

namespace neon::cli::logs {

inline constexpr const char* k_component_label = "app.kubernetes.io/component";
inline constexpr const char* k_part_of = "app.kubernetes.io/part-of=neon";

/// A component as `logs` names it, the value of its app.kubernetes.io/component label and the
/// name of its main container (generators/storage_controller.cpp, storage_broker.cpp,
/// compute_hook.cpp, pageserver.cpp, safekeeper.cpp, compute.cpp).
struct Component {
  const char* target;
  const char* label;
  const char* container;
};

/// storage-controller, broker, hook, pageserver, safekeeper, compute: in this order.
const std::vector<Component>& components();
/// The component named `target`, or nullptr.
const Component* component_named(const std::string& target);

/// One log stream: a pod and the container whose log is read.
struct Source {
  std::string pod;
  std::string container;
};

/// The pods of component `label` in `ns` (part of neon), sorted by name.
Result<std::vector<kube::Pod>> component_pods(kube::Client& client, const std::string& ns, const std::string& label);

/// Cuts pieces of text into lines (without their '\n').
class LineSplitter {
public:
  /// Calls `emit` for each line `data` completes; false from `emit` stops and returns false.
  bool feed(std::string_view data, const std::function<bool(std::string_view)>& emit);
  /// Calls `emit` for a last line without '\n', if any.
  bool finish(const std::function<bool(std::string_view)>& emit);

private:
  std::string m_rest;
};

/// Whether `line` holds every id in `ids` (hex IDs; compared without regard to case).
bool holds_ids(std::string_view line, const std::vector<std::string>& ids);

/// Called with the index of a source and one of its lines, from that source's thread. False stops
/// that stream.
using LineFn = std::function<bool(std::size_t source, std::string_view line)>;

/// Reads every source's log with `options`, `parallel` streams at a time (with follow, pass the
/// number of sources: each stream only ends with its container). Returns each source's failure,
/// nullopt when its stream ended well (or `on_line` stopped it).
std::vector<std::optional<Error>> stream_logs(const kube::ApiServer& api, const std::vector<Source>& sources,
                                              const kube::LogOptions& options, std::size_t parallel,
                                              const LineFn& on_line);

}  // namespace neon::cli::logs
