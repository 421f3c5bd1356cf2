#include "generators/json_fields.hpp"

#include <fmt/format.h>

#include "generators/validate.hpp"

namespace neon::gen {

using Json = nlohmann::json;

Result<Json> parse_object(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return make_error("body is not valid JSON", ErrorKind::invalid);
  }
  if (!j.is_object()) {
    return make_error("body must be a JSON object", ErrorKind::invalid);
  }
  return j;
}

Result<std::string> string_field(const Json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return make_error(fmt::format("{}{}: required string", where, key), ErrorKind::invalid);
  }
  return it->get<std::string>();
}

Result<std::uint64_t> uint_field(const Json& obj, const char* key, const std::string& where, std::uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > max) {
    return make_error(fmt::format("{}{}: required unsigned integer up to {}", where, key, max), ErrorKind::invalid);
  }
  return it->get<std::uint64_t>();
}

Result<std::string> hex_id_field(const Json& obj, const char* key, const std::string& where) {
  auto s = string_field(obj, key, where);
  NEON_TRY(s);
  if (!is_hex_id(*s)) {
    return make_error(fmt::format("{}{}: must be 32 lowercase hex characters", where, key), ErrorKind::invalid);
  }
  return std::move(*s);
}

}  // namespace neon::gen
