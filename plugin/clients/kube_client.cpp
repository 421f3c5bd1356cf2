// Kubernetes API calls: the request shapes are those of the core/v1 REST API.
#include "plugin/clients/kube_client.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include <fmt/format.h>

namespace neon::cli::kube {
namespace {

constexpr std::chrono::milliseconds k_log_timeout{std::chrono::minutes(5)};

std::map<std::string, std::string> labels_of(const nlohmann::json& meta) {
  std::map<std::string, std::string> out;
  const nlohmann::json labels = meta.value("labels", nlohmann::json::object());
  for (const auto& [k, v] : labels.items()) {
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

std::string secrets_path(const std::string& ns) { return fmt::format("/api/v1/namespaces/{}/secrets", ns); }

Result<Secret> secret_from_json(const nlohmann::json& doc) {
  if (!doc.is_object() || doc.value("kind", "") != "Secret") {
    return make_error("the API server did not return a Secret");
  }
  Secret s;
  const auto& meta = doc.value("metadata", nlohmann::json::object());
  s.name = meta.value("name", "");
  s.namespace_ = meta.value("namespace", "");
  s.resource_version = meta.value("resourceVersion", "");
  s.labels = labels_of(meta);
  s.type = doc.value("type", "Opaque");
  const nlohmann::json data_obj = doc.value("data", nlohmann::json::object());
  for (const auto& [k, v] : data_obj.items()) {
    auto raw = v.is_string() ? base64_decode(v.get<std::string>()) : Result<std::string>(make_error("not a string"));
    if (!raw) {
      return make_error(fmt::format("Secret {} key {} is not base64", s.name, k));
    }
    s.data[k] = std::move(*raw);
  }
  return s;
}

}  // namespace

nlohmann::json secret_to_json(const Secret& secret) {
  nlohmann::json meta = {{"name", secret.name}, {"namespace", secret.namespace_}};
  if (!secret.labels.empty()) {
    meta["labels"] = secret.labels;
  }
  if (!secret.resource_version.empty()) {
    meta["resourceVersion"] = secret.resource_version;
  }
  nlohmann::json data = nlohmann::json::object();
  for (const auto& [k, v] : secret.data) {
    data[k] = base64_encode(v);
  }
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", meta}, {"type", secret.type}, {"data", data}};
}

Error api_error(const std::string& method, const std::string& path, const http::Response& response) {
  std::string message;
  const auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    message = doc["message"].get<std::string>();
  } else {
    message = response.body.substr(0, 200);
  }
  return http_error(response.status, fmt::format("{} {}: HTTP {}{}{}", method, path, response.status,
                                                 message.empty() ? "" : ": ", message));
}

Result<http::Response> Client::call(const std::string& method, const std::string& path, const std::string& body,
                                    const std::string& content_type) {
  http::Request req;
  req.method = method;
  req.url = m_api.server + path;
  req.headers = m_api.headers;
  req.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) {
    req.headers.emplace_back("Content-Type", content_type);
    req.body = body;
  }
  auto outcome = m_transport.send(req);
  if (outcome.error || !outcome.response) {
    if (outcome.error) {
      return make_error(outcome.error->message, http::error_kind(outcome.error->kind));
    }
    return make_error(fmt::format("{} {}: no response", method, http::redact_url(req.url)), ErrorKind::unreachable);
  }
  return std::move(*outcome.response);
}

namespace {

std::string scale_path(const std::string& ns, const std::string& deployment) {
  return fmt::format("/apis/apps/v1/namespaces/{}/deployments/{}/scale", ns, deployment);
}

}  // namespace

Result<int> Client::get_scale(const std::string& ns, const std::string& deployment) {
  const std::string path = scale_path(ns, deployment);
  auto resp = call("GET", path);
  NEON_TRY(resp);
  if (resp->status != 200) {
    return api_error("GET", path, *resp);
  }
  const auto body = nlohmann::json::parse(resp->body, nullptr, false);
  if (!body.is_object() || !body.contains("spec") || !body["spec"].is_object()) {
    return make_error(fmt::format("GET {}: not a Scale object", path));
  }
  // An omitted replicas is 0 in autoscaling/v1 Scale's JSON (omitempty).
  const auto replicas = body["spec"].find("replicas");
  return replicas != body["spec"].end() && replicas->is_number_integer() ? replicas->get<int>() : 0;
}

Result<void> Client::set_scale(const std::string& ns, const std::string& deployment, int replicas) {
  const std::string path = scale_path(ns, deployment);
  auto resp =
      call("PATCH", path, nlohmann::json{{"spec", {{"replicas", replicas}}}}.dump(), "application/merge-patch+json");
  NEON_TRY(resp);
  if (resp->status != 200) {
    return api_error("PATCH", path, *resp);
  }
  return {};
}

Result<std::optional<Secret>> Client::get_secret(const std::string& ns, const std::string& name) {
  const std::string path = secrets_path(ns) + "/" + name;
  auto resp = call("GET", path);
  if (!resp) {
    return resp.error();
  }
  if (resp->status == 404) {
    return std::optional<Secret>();
  }
  if (resp->status != 200) {
    return api_error("GET", path, *resp);
  }
  auto secret = secret_from_json(nlohmann::json::parse(resp->body, nullptr, false));
  if (!secret) {
    return secret.error();
  }
  return std::optional<Secret>(std::move(*secret));
}

Result<Created> Client::create_secret(const Secret& secret) {
  const std::string path = secrets_path(secret.namespace_);
  Secret body = secret;
  body.resource_version.clear();
  auto resp = call("POST", path, secret_to_json(body).dump());
  if (!resp) {
    return resp.error();
  }
  if (resp->status == 409) {
    return Created::already_exists;
  }
  if (resp->status != 201 && resp->status != 200) {
    return api_error("POST", path, *resp);
  }
  return Created::created;
}

Result<void> Client::replace_secret(const Secret& secret) {
  const std::string path = secrets_path(secret.namespace_) + "/" + secret.name;
  auto resp = call("PUT", path, secret_to_json(secret).dump());
  if (!resp) {
    return resp.error();
  }
  if (resp->status != 200 && resp->status != 201) {
    return api_error("PUT", path, *resp);
  }
  return {};
}

Result<nlohmann::json> Client::list(const std::string& path_base, const std::string& label_selector,
                                    const char* list_kind) {
  std::string path = path_base;
  if (!label_selector.empty()) {
    path += "?labelSelector=" + http::url_encode(label_selector);
  }
  auto resp = call("GET", path);
  if (!resp) {
    return resp.error();
  }
  if (resp->status != 200) {
    return api_error("GET", path, *resp);
  }
  auto doc = nlohmann::json::parse(resp->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("items") || !doc["items"].is_array()) {
    return make_error(fmt::format("GET {}: the API server did not return a {}", path, list_kind));
  }
  return std::move(doc["items"]);
}

Result<std::vector<Pod>> Client::list_pods(const std::string& ns, const std::string& label_selector) {
  auto items = list(fmt::format("/api/v1/namespaces/{}/pods", ns), label_selector, "PodList");
  NEON_TRY(items);
  std::vector<Pod> pods;
  for (const auto& item : *items) {
    Pod p;
    const auto meta = item.value("metadata", nlohmann::json::object());
    p.name = meta.value("name", "");
    p.uid = meta.value("uid", "");
    p.terminating = meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
    p.labels = labels_of(meta);
    const auto status = item.value("status", nlohmann::json::object());
    p.phase = status.value("phase", "");
    p.reason = status.value("reason", "");
    const auto containers = status.value("containerStatuses", nlohmann::json::array());
    if (containers.is_array() && !containers.empty() && containers[0].is_object()) {
      const auto state = containers[0].value("state", nlohmann::json::object());
      const auto t = state.is_object() ? state.value("terminated", nlohmann::json()) : nlohmann::json();
      if (t.is_object()) {
        Terminated term;
        term.exit_code = t.contains("exitCode") && t["exitCode"].is_number_integer() ? t["exitCode"].get<int>() : 0;
        term.reason = t.value("reason", "");
        term.message = t.value("message", "");
        term.finished_at = t.value("finishedAt", "");
        p.terminated = std::move(term);
      }
    }
    for (const auto& cond : status.value("conditions", nlohmann::json::array())) {
      if (cond.value("type", "") == "Ready") {
        p.ready = cond.value("status", "") == "True";
      }
    }
    pods.push_back(std::move(p));
  }
  return pods;
}

std::string Pod::label(const std::string& key) const {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

bool Deployment::rolled_out() const {
  return observed_generation >= generation && updated_replicas >= replicas && status_replicas == updated_replicas &&
         available_replicas >= updated_replicas;
}

Result<std::vector<StatefulSet>> Client::list_statefulsets(const std::string& ns, const std::string& label_selector) {
  auto items = list(fmt::format("/apis/apps/v1/namespaces/{}/statefulsets", ns), label_selector, "StatefulSetList");
  NEON_TRY(items);
  std::vector<StatefulSet> out;
  for (const auto& item : *items) {
    StatefulSet s;
    const auto meta = item.value("metadata", nlohmann::json::object());
    s.name = meta.value("name", "");
    s.labels = labels_of(meta);
    const auto strategy =
        item.value("spec", nlohmann::json::object()).value("updateStrategy", nlohmann::json::object());
    s.update_strategy = strategy.value("type", "RollingUpdate");
    s.update_revision = item.value("status", nlohmann::json::object()).value("updateRevision", "");
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Deployment>> Client::list_deployments(const std::string& ns, const std::string& label_selector) {
  auto items = list(fmt::format("/apis/apps/v1/namespaces/{}/deployments", ns), label_selector, "DeploymentList");
  NEON_TRY(items);
  std::vector<Deployment> out;
  for (const auto& item : *items) {
    Deployment d;
    const auto meta = item.value("metadata", nlohmann::json::object());
    d.name = meta.value("name", "");
    d.labels = labels_of(meta);
    d.generation = meta.value("generation", 0LL);
    const auto spec = item.value("spec", nlohmann::json::object());
    d.replicas = spec.value("replicas", 1LL);
    const auto status = item.value("status", nlohmann::json::object());
    d.observed_generation = status.value("observedGeneration", 0LL);
    d.status_replicas = status.value("replicas", 0LL);
    d.updated_replicas = status.value("updatedReplicas", 0LL);
    d.available_replicas = status.value("availableReplicas", 0LL);
    out.push_back(std::move(d));
  }
  return out;
}

Result<void> Client::delete_pod(const std::string& ns, const std::string& name) {
  const std::string path = fmt::format("/api/v1/namespaces/{}/pods/{}", ns, name);
  auto resp = call("DELETE", path);
  NEON_TRY(resp);
  if (resp->status != 200 && resp->status != 202 && resp->status != 404) {
    return api_error("DELETE", path, *resp);
  }
  return {};
}

Result<void> Client::pod_log(const std::string& ns, const std::string& pod, const LogOptions& options,
                             const http::BodyChunk& on_chunk) {
  std::string path = fmt::format("/api/v1/namespaces/{}/pods/{}/log", ns, pod);
  std::vector<std::string> query;
  if (!options.container.empty()) {
    query.push_back("container=" + http::url_encode(options.container));
  }
  if (options.follow) {
    query.emplace_back("follow=true");
  }
  if (options.tail_lines) {
    query.push_back(fmt::format("tailLines={}", *options.tail_lines));
  }
  if (options.since_seconds) {
    query.push_back(fmt::format("sinceSeconds={}", *options.since_seconds));
  }
  if (!query.empty()) {
    path += fmt::format("?{}", fmt::join(query, "&"));
  }
  http::Request req;
  req.url = m_api.server + path;
  req.headers = m_api.headers;
  req.on_body = on_chunk;
  // A followed stream lasts as long as the container; a whole log may be large.
  req.timeout = options.follow ? std::chrono::milliseconds(0) : k_log_timeout;
  auto outcome = m_transport.send(req);
  if (outcome.error || !outcome.response) {
    if (outcome.error) {
      return make_error(outcome.error->message, http::error_kind(outcome.error->kind));
    }
    return make_error(fmt::format("GET {}: no response", path), ErrorKind::unreachable);
  }
  if (outcome.response->status != 200) {
    return api_error("GET", path, *outcome.response);
  }
  // A transport that does not stream hands the whole body back instead.
  if (!outcome.response->body.empty()) {
    on_chunk(outcome.response->body);
  }
  return {};
}

}  // namespace neon::cli::kube
