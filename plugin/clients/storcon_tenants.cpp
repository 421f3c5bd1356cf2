// The tenant list (GET /control/v1/tenant, neon-api.md §2) read with nlohmann's SAX interface
// straight into Tenant values: a page of 1,000 tenants is several hundred kilobytes, and building
// the DOM first and converting it afterwards doubles the work `status` does per page. The rules
// are those of the DOM conversion used for a single tenant: tenant_id and shards are required,
// known fields must have their documented types, unknown fields are skipped.
//
// Pages are read one after the other (start_after is the last tenant of the previous page), so
// list_tenants parses a page on a second thread while it already asks for the next one, with
// start_after taken from the raw text. The parsed page confirms that guess; when it does not (or
// the text has no tenant_id), the next page is asked for again with the parsed value. A page with
// fewer "tenant_id" keys than the page size is the last one, and nothing is asked for early.
#include <cctype>
#include <future>
#include <iterator>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "plugin/clients/storcon.hpp"

namespace neon::cli::storcon {

namespace {

enum class Frame {
  list,       ///< the top-level array
  tenant,     ///< one TenantDescribeResponse
  shards,     ///< its "shards" array
  shard,      ///< one TenantDescribeResponseShard
  secondary,  ///< a shard's "node_secondary" array
};

class TenantListReader {
public:
  explicit TenantListReader(std::vector<Tenant>& out) : m_out(out) {}

  bool null() { return scalar(Json()); }
  bool boolean(bool v) { return scalar(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return scalar(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return scalar(Json(v)); }
  bool number_float(Json::number_float_t v, const Json::string_t& /*text*/) { return scalar(Json(v)); }
  bool string(Json::string_t& v) {
    if (m_skip > 0 || !m_capture.empty()) {
      return m_skip > 0 || add_captured(Json(std::move(v)));
    }
    if (m_frames.size() == 2 && m_key == "tenant_id") {
      m_out.back().tenant_id = std::move(v);
      m_seen_id = true;
      return true;
    }
    if (m_frames.size() == 4) {
      Shard& s = m_out.back().shards.back();
      if (m_key == "tenant_shard_id") {
        s.tenant_shard_id = std::move(v);
        m_seen_shard_id = true;
        return true;
      }
      if (m_key == "last_error") {
        s.last_error = std::move(v);
        return true;
      }
      if (m_key == "scheduling_policy") {
        s.scheduling_policy = std::move(v);
        return true;
      }
      if (m_key == "preferred_az_id") {
        s.preferred_az = std::move(v);
        return true;
      }
    }
    return scalar(Json(std::move(v)));
  }
  bool binary(Json::binary_t& /*v*/) { return fail("binary values are not JSON"); }

  bool start_object(std::size_t /*size*/) {
    if (m_skip > 0) {
      ++m_skip;
      return true;
    }
    if (!m_capture.empty() || captures_here()) {
      return start_captured(Json::object());
    }
    if (m_frames.size() == 1) {
      m_frames.push_back(Frame::tenant);
      m_out.emplace_back();
      m_seen_id = m_seen_shards = false;
      return true;
    }
    if (m_frames.size() == 3) {
      m_frames.push_back(Frame::shard);
      m_out.back().shards.emplace_back();
      m_seen_shard_id = false;
      return true;
    }
    return unknown_container();
  }

  bool start_array(std::size_t /*size*/) {
    if (m_skip > 0) {
      ++m_skip;
      return true;
    }
    if (!m_capture.empty() || captures_here()) {
      return start_captured(Json::array());
    }
    if (m_frames.empty()) {
      m_frames.push_back(Frame::list);
      return true;
    }
    if (m_frames.size() == 2 && m_key == "shards") {
      m_frames.push_back(Frame::shards);
      m_seen_shards = true;
      return true;
    }
    if (m_frames.size() == 4 && m_key == "node_secondary") {
      m_frames.push_back(Frame::secondary);
      return true;
    }
    return unknown_container();
  }

  bool key(Json::string_t& k) {
    if (m_skip > 0) {
      return true;
    }
    if (!m_capture.empty()) {
      m_capture_key = std::move(k);
      return true;
    }
    m_key = std::move(k);
    return true;
  }

  bool end_object() {
    if (m_skip > 0) {
      --m_skip;
      return true;
    }
    if (!m_capture.empty()) {
      return end_captured();
    }
    if (m_frames.back() == Frame::tenant) {
      if (!m_seen_id) {
        return fail(fmt::format("tenant {} has no \"tenant_id\"", m_out.size()));
      }
      if (!m_seen_shards) {
        return fail(fmt::format("tenant {} has no \"shards\"", m_out.back().tenant_id));
      }
      if (m_out.back().config.is_null()) {
        m_out.back().config = Json::object();
      }
    } else if (m_frames.back() == Frame::shard && !m_seen_shard_id) {
      return fail(fmt::format("a shard of tenant {} has no \"tenant_shard_id\"", m_out.back().tenant_id));
    }
    m_frames.pop_back();
    m_key.clear();
    return true;
  }

  bool end_array() {
    if (m_skip > 0) {
      --m_skip;
      return true;
    }
    if (!m_capture.empty()) {
      return end_captured();
    }
    m_frames.pop_back();
    // Back in the object that held the array: its key is done.
    m_key.clear();
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*token*/, const nlohmann::detail::exception& e) {
    m_error = e.what();
    m_syntax = true;
    return false;
  }

  bool syntax_error() const { return m_syntax; }

  const std::string& error() const { return m_error; }

private:
  bool fail(std::string message) {
    m_error = std::move(message);
    return false;
  }

  /// The tenant's policy and config are kept whole, as JSON.
  bool captures_here() const { return m_frames.size() == 2 && (m_key == "policy" || m_key == "config"); }

  Json* tenant_field() { return m_key == "policy" ? &m_out.back().policy : &m_out.back().config; }

  bool start_captured(Json value) {
    if (m_capture.empty()) {
      Json* slot = tenant_field();
      *slot = std::move(value);
      m_capture.push_back(slot);
      return true;
    }
    Json* parent = m_capture.back();
    Json* child =
        parent->is_array() ? &parent->emplace_back(std::move(value)) : &((*parent)[m_capture_key] = std::move(value));
    m_capture.push_back(child);
    return true;
  }

  bool add_captured(Json value) {
    Json* parent = m_capture.back();
    if (parent->is_array()) {
      parent->push_back(std::move(value));
    } else {
      (*parent)[m_capture_key] = std::move(value);
    }
    return true;
  }

  bool end_captured() {
    m_capture.pop_back();
    return true;
  }

  /// An object or array under a key this reader does not use: skipped with its contents.
  bool unknown_container() {
    if (m_frames.empty() || m_frames.back() == Frame::list || m_frames.back() == Frame::shards ||
        m_frames.back() == Frame::secondary) {
      return fail(type_error("an object or array"));
    }
    if (is_known_field()) {
      return fail(type_error("an object or array"));
    }
    m_skip = 1;
    return true;
  }

  bool is_known_field() const {
    if (m_frames.size() == 2) {
      return m_key == "tenant_id" || m_key == "shards" || m_key == "stripe_size";
    }
    if (m_frames.size() == 4) {
      return m_key == "tenant_shard_id" || m_key == "node_attached" || m_key == "node_secondary" ||
             m_key == "last_error" || m_key == "is_reconciling" || m_key == "is_pending_compute_notification" ||
             m_key == "scheduling_policy";
    }
    return false;
  }

  std::string type_error(const char* what) const {
    if (m_frames.empty()) {
      return fmt::format("expected an array of tenants, found {}", what);
    }
    switch (m_frames.back()) {
      case Frame::list:
        return fmt::format("expected a tenant object, found {}", what);
      case Frame::shards:
        return fmt::format("expected a shard object, found {}", what);
      case Frame::secondary:
        return fmt::format("\"node_secondary\" must hold node ids, found {}", what);
      default:
        return fmt::format("\"{}\" has the wrong type: {}", m_key, what);
    }
  }

  /// Every scalar that is not a string.
  bool scalar(Json value) {
    if (m_skip > 0) {
      return true;
    }
    if (!m_capture.empty() || captures_here()) {
      if (m_capture.empty()) {
        *tenant_field() = std::move(value);
        return true;
      }
      return add_captured(std::move(value));
    }
    if (m_frames.empty() || m_frames.back() == Frame::list || m_frames.back() == Frame::shards) {
      return fail(type_error(value.type_name()));
    }
    if (m_frames.back() == Frame::secondary) {
      if (!value.is_number_unsigned()) {
        return fail(type_error(value.type_name()));
      }
      m_out.back().shards.back().node_secondary.push_back(value.get<std::uint64_t>());
      return true;
    }
    if (m_frames.size() == 2) {
      if (m_key == "stripe_size") {
        if (!value.is_number_unsigned() || value.get<std::uint64_t>() > UINT32_MAX) {
          return fail(type_error(value.type_name()));
        }
        m_out.back().stripe_size = value.get<std::uint32_t>();
        return true;
      }
      return is_known_field() ? fail(type_error(value.type_name())) : true;
    }
    Shard& s = m_out.back().shards.back();
    if (m_key == "node_attached") {
      if (value.is_number_unsigned()) {
        s.node_attached = value.get<std::uint64_t>();
        return true;
      }
      return value.is_null() ? true : fail(type_error(value.type_name()));
    }
    if (m_key == "node_secondary" && value.is_null()) {
      return true;
    }
    if (m_key == "is_reconciling" || m_key == "is_pending_compute_notification") {
      if (!value.is_boolean()) {
        return fail(type_error(value.type_name()));
      }
      (m_key == "is_reconciling" ? s.is_reconciling : s.is_pending_compute_notification) = value.get<bool>();
      return true;
    }
    if (m_key == "preferred_az_id") {
      return true;  // null: no preferred zone
    }
    return is_known_field() ? fail(type_error(value.type_name())) : true;
  }

  std::vector<Tenant>& m_out;
  std::vector<Frame> m_frames;
  std::string m_key;  ///< the current key in the innermost tenant or shard object
  bool m_seen_id = false;
  bool m_seen_shards = false;
  bool m_seen_shard_id = false;
  int m_skip = 0;                ///< depth inside a skipped value
  std::vector<Json*> m_capture;  ///< open containers of a captured policy/config
  std::string m_capture_key;
  std::string m_error;
  bool m_syntax = false;
};

constexpr std::string_view k_tenant_key = "\"tenant_id\"";

/// The id of the last tenant in a page, read from the text without parsing it: the last
/// `"tenant_id": "<hex>"`. Empty when there is none, it does not look like an id, or the page
/// holds fewer `"tenant_id"` keys than a full page (so it is the last: nothing to ask for early).
std::string last_tenant_id(std::string_view body, int page_size) {
  int keys = 0;
  for (auto at = body.find(k_tenant_key); at != std::string_view::npos && keys < page_size;
       at = body.find(k_tenant_key, at + k_tenant_key.size())) {
    ++keys;
  }
  if (keys == 0 || keys < page_size) {
    return {};
  }
  std::size_t i = body.rfind(k_tenant_key) + k_tenant_key.size();  // found: keys > 0
  auto skip_space = [&] {
    while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
      ++i;
    }
  };
  skip_space();
  if (i >= body.size() || body[i] != ':') {
    return {};
  }
  ++i;
  skip_space();
  if (i >= body.size() || body[i] != '"') {
    return {};
  }
  const std::size_t start = ++i;
  while (i < body.size() && std::isxdigit(static_cast<unsigned char>(body[i])) != 0) {
    ++i;
  }
  if (i >= body.size() || body[i] != '"' || i == start) {
    return {};
  }
  return std::string(body.substr(start, i - start));
}

}  // namespace

Result<std::vector<Tenant>> parse_tenant_list(std::string_view body) {
  std::vector<Tenant> out;
  TenantListReader reader(out);
  const bool ok = Json::sax_parse(body.begin(), body.end(), &reader);
  if (!ok) {
    // The reader stops at the first thing it does not expect; the text may not be JSON at all.
    if (!reader.syntax_error() && !Json::accept(body.begin(), body.end())) {
      return Error{"the response is not valid JSON"};
    }
    return Error{reader.syntax_error() ? fmt::format("the response is not valid JSON ({})", reader.error())
                                       : fmt::format("unexpected tenant list in the response: {}", reader.error())};
  }
  return out;
}

Expected<std::vector<Tenant>> Client::list_tenants(int page_size) {
  auto path_after = [page_size](const std::string& start_after) {
    std::string path = fmt::format("/control/v1/tenant?limit={}", page_size);
    if (!start_after.empty()) {
      path += "&start_after=" + url_encode(start_after);
    }
    return path;
  };
  std::vector<Tenant> all;
  std::string path = path_after("");
  auto reply = call_text("GET", path, std::nullopt, Retry::idempotent);
  for (;;) {
    if (!reply) {
      return reply.error();
    }
    const std::string guess = last_tenant_id(reply->body, page_size);
    auto parsing = std::async(std::launch::async, [body = std::move(reply->body)] { return parse_tenant_list(body); });
    std::optional<Expected<http::Response>> early;
    if (!guess.empty()) {
      early = call_text("GET", path_after(guess), std::nullopt, Retry::idempotent);
    }
    auto page = parsing.get();
    if (!page) {
      CallError e(Error{fmt::format("storage controller: GET {}: {}", path, page.error().message)});
      e.unreadable = true;
      return e;
    }
    if (page->empty()) {
      break;
    }
    const std::string start_after = page->back().tenant_id;
    const bool last = static_cast<int>(page->size()) < page_size;
    std::move(page->begin(), page->end(), std::back_inserter(all));
    if (last) {
      break;
    }
    path = path_after(start_after);
    reply = early && guess == start_after ? std::move(*early) : call_text("GET", path, std::nullopt, Retry::idempotent);
  }
  return all;
}

}  // namespace neon::cli::storcon
