// libcurl behind http::Transport. One easy handle per CurlTransport, reset between requests so
// connections are reused; every curl object lives in an RAII holder.
#include "plugin/adapters/http.hpp"
#include "plugin/adapters/ca_bundle.hpp"
#include "plugin/adapters/text.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

namespace neon::cli::http {

namespace {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct BodySink {
  std::string* body = nullptr;
  std::size_t limit = 0;  ///< 0: none
  bool over = false;
  CURL* handle = nullptr;
  const BodyChunk* stream = nullptr;  ///< Request::on_body, when set
  bool stopped = false;               ///< the stream callback asked to stop
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (sink->stream != nullptr) {
    long status = 0;
    curl_easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      if (!(*sink->stream)(std::string_view(data, size * n))) {
        sink->stopped = true;
        return 0;  // CURLE_WRITE_ERROR: the transfer stops here
      }
      return size * n;
    }
  }
  if (sink->limit != 0 && sink->body->size() + size * n > sink->limit) {
    sink->over = true;
    return 0;  // CURLE_WRITE_ERROR: the transfer stops here
  }
  sink->body->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    (*headers)[name] = trim(line.substr(colon + 1));
  } else if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue or a redirect) starts over
  }
  return size * n;
}

FailureKind classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return FailureKind::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return FailureKind::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
      return FailureKind::tls;
    default:
      return FailureKind::other;
  }
}

const char* kind_text(FailureKind kind) {
  switch (kind) {
    case FailureKind::connect:
      return "cannot connect";
    case FailureKind::timeout:
      return "timed out";
    case FailureKind::tls:
      return "TLS error";
    case FailureKind::other:
      break;
  }
  return "transport error";
}

/// Loopback never goes through a proxy; otherwise the standard proxy variables apply and their
/// no_proxy list is kept.
std::string no_proxy_list() {
  std::string list = "localhost,127.0.0.1,::1";
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    if (v != nullptr && *v != '\0') {
      list += ",";
      list += v;
      break;
    }
  }
  return list;
}

curl_blob make_blob(const std::string& text) {
  curl_blob b{};
  b.data = const_cast<char*>(text.data());  // NOLINT: curl copies with CURL_BLOB_COPY
  b.len = text.size();
  b.flags = CURL_BLOB_COPY;
  return b;
}

}  // namespace

struct CurlTransport::Impl {
  Global global;  // first in, last out: libcurl outlives the handle
  Easy easy;
  TlsOptions tls;
  tls::CaLocations system_cas;
  std::string no_proxy;
  std::size_t max_answer = 0;  ///< 0: no limit
};

CurlTransport::CurlTransport(TlsOptions tls) : m_impl(std::make_unique<Impl>()) {
  m_impl->easy.reset(curl_easy_init());
  m_impl->tls = std::move(tls);
  m_impl->system_cas = tls::system_ca_locations();
  m_impl->no_proxy = no_proxy_list();
}

CurlTransport::~CurlTransport() = default;

void CurlTransport::limit_answer(std::size_t bytes) { m_impl->max_answer = bytes; }

Outcome CurlTransport::send(const Request& request) {
  Outcome outcome;
  const std::string where = fmt::format("{} {}", request.method, redact_url(request.url));
  CURL* h = m_impl->easy.get();
  if (h == nullptr) {
    outcome.error = TransportError{FailureKind::other, where + ": cannot initialise libcurl"};
    return outcome;
  }
  curl_easy_reset(h);
  Response response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const auto timeout = request.timeout.value_or(k_request_timeout);
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  const auto connect_timeout = timeout.count() == 0 ? k_connect_timeout : std::min(k_connect_timeout, timeout);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));  // 0: no limit
  curl_easy_setopt(h, CURLOPT_NOPROXY, m_impl->no_proxy.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  BodySink sink{&response.body, m_impl->max_answer, false, h, request.on_body ? &request.on_body : nullptr, false};
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  // No Accept-Encoding: offered brotli, servers such as cpp-httplib compress every page at
  // quality 11, which costs far more CPU than the bytes saved on a cluster network. Plain bodies
  // keep large listings as fast as the transfer itself.
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);

  const TlsOptions& tls = m_impl->tls;
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, tls.insecure_skip_verify ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, tls.insecure_skip_verify ? 0L : 2L);
  if (!tls.ca_file.empty() || !tls.ca_pem.empty()) {
    // The user's CA (--certificate-authority, the kubeconfig's) is the only one trusted.
    curl_easy_setopt(h, CURLOPT_CAINFO, tls.ca_file.empty() ? nullptr : tls.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
  } else {
    // The system's CAs, found like Go does (ca_bundle.hpp): a static build has no usable default.
    const auto& sys = m_impl->system_cas;
    if (!sys.file.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, sys.file.c_str());
    }
    if (!sys.dir.empty()) {
      curl_easy_setopt(h, CURLOPT_CAPATH, sys.dir.c_str());
    }
  }
  if (!tls.ca_pem.empty()) {
    auto blob = make_blob(tls.ca_pem);
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!tls.client_cert_pem.empty()) {
    auto blob = make_blob(tls.client_cert_pem);
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!tls.client_key_pem.empty()) {
    auto blob = make_blob(tls.client_key_pem);
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }

  Slist headers;
  for (const auto& [name, value] : request.headers) {
    curl_slist* next = curl_slist_append(headers.get(), fmt::format("{}: {}", name, value).c_str());
    if (next == nullptr) {
      outcome.error = TransportError{FailureKind::other, where + ": out of memory"};
      return outcome;
    }
    (void)headers.release();
    headers.reset(next);
  }
  // libcurl would otherwise send "Expect: 100-continue" for larger bodies and wait for it.
  if (curl_slist* next = curl_slist_append(headers.get(), "Expect:")) {
    (void)headers.release();
    headers.reset(next);
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    }
  }

  const CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK && sink.stopped) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    outcome.response = std::move(response);
    return outcome;
  }
  if (rc != CURLE_OK && sink.over) {
    outcome.error =
        TransportError{FailureKind::other, fmt::format("{}: answer larger than {} bytes, not read", where, sink.limit)};
    return outcome;
  }
  if (rc != CURLE_OK) {
    const FailureKind kind = classify(rc);
    std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    // curl's message can repeat the URL; keep only the redacted form in ours.
    auto pos = detail.find(request.url);
    if (pos != std::string::npos) {
      detail.replace(pos, request.url.size(), redact_url(request.url));
    }
    outcome.error = TransportError{kind, fmt::format("{}: {} ({})", where, kind_text(kind), trim(detail))};
    return outcome;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  outcome.response = std::move(response);
  return outcome;
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned>(c));
    }
  }
  return out;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  const auto scheme = out.find("://");
  const std::size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  const auto path_start = out.find_first_of("/?#", host_start);
  const auto at = out.rfind('@', path_start == std::string::npos ? std::string::npos : path_start);
  if (at != std::string::npos && at >= host_start && (path_start == std::string::npos || at < path_start)) {
    out.erase(host_start, at + 1 - host_start);
  }
  const auto frag = out.find('#');
  if (frag != std::string::npos) {
    out.erase(frag);
  }
  const auto q = out.find('?');
  if (q == std::string::npos) {
    return out;
  }
  std::string result = out.substr(0, q + 1);
  std::string query = out.substr(q + 1);
  std::size_t start = 0;
  bool first = true;
  while (start <= query.size()) {
    auto amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    auto eq = part.find('=');
    if (!first) {
      result += '&';
    }
    first = false;
    result += eq == std::string::npos ? part : part.substr(0, eq + 1) + "...";
    if (amp == std::string::npos) {
      break;
    }
    start = amp + 1;
  }
  return result;
}

Global::Global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
Global::~Global() { curl_global_cleanup(); }

}  // namespace neon::cli::http
