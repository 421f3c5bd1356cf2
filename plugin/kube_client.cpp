// Kubernetes API calls: the request shapes are those of the core/v1 REST API.
#include "plugin/kube_client.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include <fmt/format.h>

namespace neon::cli::kube {
namespace {

constexpr std::string_view k_b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string secrets_path(const std::string &ns) {
  return fmt::format("/api/v1/namespaces/{}/secrets", ns);
}

Result<Secret> secret_from_json(const nlohmann::json &doc) {
  if (!doc.is_object() || doc.value("kind", "") != "Secret") {
    return make_error("the API server did not return a Secret");
  }
  Secret s;
  const auto &meta = doc.value("metadata", nlohmann::json::object());
  s.name = meta.value("name", "");
  s.namespace_ = meta.value("namespace", "");
  s.resource_version = meta.value("resourceVersion", "");
  const nlohmann::json labels_obj = meta.value("labels", nlohmann::json::object());
  for (const auto &[k, v] : labels_obj.items()) {
    s.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  s.type = doc.value("type", "Opaque");
  const nlohmann::json data_obj = doc.value("data", nlohmann::json::object());
  for (const auto &[k, v] : data_obj.items()) {
    auto raw =
        v.is_string() ? base64_decode(v.get<std::string>()) : Result<std::string>(make_error("not a string"));
    if (!raw) {
      return make_error(fmt::format("Secret {} key {} is not base64", s.name, k));
    }
    s.data[k] = std::move(*raw);
  }
  return s;
}

} // namespace

std::string base64_encode(const std::string &data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    unsigned v = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      v = (v << 8U) | (k < n ? static_cast<unsigned>(static_cast<unsigned char>(data[i + k])) : 0U);
    }
    out += k_b64[(v >> 18U) & 63U];
    out += k_b64[(v >> 12U) & 63U];
    out += n > 1 ? k_b64[(v >> 6U) & 63U] : '=';
    out += n > 2 ? k_b64[v & 63U] : '=';
  }
  return out;
}

Result<std::string> base64_decode(const std::string &text) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (const char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return make_error("invalid base64");
    }
    acc = ((acc << 6U) | static_cast<unsigned>(v)) & 0xFFFFFFU;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
    }
  }
  return out;
}

nlohmann::json secret_to_json(const Secret &secret) {
  nlohmann::json meta = {{"name", secret.name}, {"namespace", secret.namespace_}};
  if (!secret.labels.empty()) {
    meta["labels"] = secret.labels;
  }
  if (!secret.resource_version.empty()) {
    meta["resourceVersion"] = secret.resource_version;
  }
  nlohmann::json data = nlohmann::json::object();
  for (const auto &[k, v] : secret.data) {
    data[k] = base64_encode(v);
  }
  return {
      {"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", meta}, {"type", secret.type}, {"data", data}};
}

std::string query_escape(const std::string &value) {
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned>(u));
    }
  }
  return out;
}

std::string api_error(const std::string &method, const std::string &path, const http::Response &response) {
  std::string message;
  const auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    message = doc["message"].get<std::string>();
  } else {
    message = response.body.substr(0, 200);
  }
  return fmt::format("{} {}: HTTP {}{}{}", method, path, response.status, message.empty() ? "" : ": ",
                     message);
}

Result<http::Response> Client::call(const std::string &method, const std::string &path,
                                    const std::string &body) {
  http::Request req;
  req.method = method;
  req.url = m_api.server + path;
  req.headers = m_api.headers;
  req.headers.emplace_back("Accept", "application/json");
  if (!body.empty()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body;
  }
  auto outcome = m_transport.send(req);
  if (outcome.error || !outcome.response) {
    return make_error(outcome.error ? outcome.error->message
                                    : fmt::format("{} {}: no response", method, http::redact_url(req.url)));
  }
  return std::move(*outcome.response);
}

Result<std::optional<Secret>> Client::get_secret(const std::string &ns, const std::string &name) {
  const std::string path = secrets_path(ns) + "/" + name;
  auto resp = call("GET", path);
  if (!resp) {
    return resp.error();
  }
  if (resp->status == 404) {
    return std::optional<Secret>();
  }
  if (resp->status != 200) {
    return make_error(api_error("GET", path, *resp));
  }
  auto secret = secret_from_json(nlohmann::json::parse(resp->body, nullptr, false));
  if (!secret) {
    return secret.error();
  }
  return std::optional<Secret>(std::move(*secret));
}

Result<Created> Client::create_secret(const Secret &secret) {
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
    return make_error(api_error("POST", path, *resp));
  }
  return Created::created;
}

Result<void> Client::replace_secret(const Secret &secret) {
  const std::string path = secrets_path(secret.namespace_) + "/" + secret.name;
  auto resp = call("PUT", path, secret_to_json(secret).dump());
  if (!resp) {
    return resp.error();
  }
  if (resp->status != 200 && resp->status != 201) {
    return make_error(api_error("PUT", path, *resp));
  }
  return {};
}

Result<std::vector<Pod>> Client::list_pods(const std::string &ns, const std::string &label_selector) {
  std::string path = fmt::format("/api/v1/namespaces/{}/pods", ns);
  if (!label_selector.empty()) {
    path += "?labelSelector=" + query_escape(label_selector);
  }
  auto resp = call("GET", path);
  if (!resp) {
    return resp.error();
  }
  if (resp->status != 200) {
    return make_error(api_error("GET", path, *resp));
  }
  const auto doc = nlohmann::json::parse(resp->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("items") || !doc["items"].is_array()) {
    return make_error(fmt::format("GET {}: the API server did not return a PodList", path));
  }
  std::vector<Pod> pods;
  for (const auto &item : doc["items"]) {
    Pod p;
    const auto meta = item.value("metadata", nlohmann::json::object());
    p.name = meta.value("name", "");
    const nlohmann::json labels_obj = meta.value("labels", nlohmann::json::object());
    for (const auto &[k, v] : labels_obj.items()) {
      p.labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    const auto status = item.value("status", nlohmann::json::object());
    p.phase = status.value("phase", "");
    for (const auto &cond : status.value("conditions", nlohmann::json::array())) {
      if (cond.value("type", "") == "Ready") {
        p.ready = cond.value("status", "") == "True";
      }
    }
    pods.push_back(std::move(p));
  }
  return pods;
}

} // namespace neon::cli::kube
