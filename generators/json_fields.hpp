#pragma once
// Reading JSON documents field by field with errors that name the field's path: the computes
// file (generators/computes.hpp) and the bodies the compute hook receives (plugin/hook/).

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "generators/result.hpp"

namespace neon::gen {

/// `text` as a JSON object ("body is not valid JSON", "body must be a JSON object").
Result<nlohmann::json> parse_object(const std::string& text);

/// obj[key] as a string; the error reads "<where><key>: required string".
Result<std::string> string_field(const nlohmann::json& obj, const char* key, const std::string& where);

/// obj[key] as an unsigned integer no larger than `max`.
Result<std::uint64_t> uint_field(const nlohmann::json& obj, const char* key, const std::string& where,
                                 std::uint64_t max);

/// obj[key] as a tenant or timeline id (32 lowercase hex digits, gen::is_hex_id).
Result<std::string> hex_id_field(const nlohmann::json& obj, const char* key, const std::string& where);

}  // namespace neon::gen
