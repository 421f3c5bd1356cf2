#pragma once
// Pretty JSON written as it is produced, for outputs too large to build as a document first
// (`status -o json` over tens of thousands of tenants). The layout is nlohmann::json's dump(2):
// two-space indent, `"key": value`, `[]` and `{}` when empty. Keys are written in the order given;
// callers that promise sorted output give them sorted.
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace neon::cli {

class JsonWriter {
public:
  /// Text goes to `out` in chunks of about a megabyte; finish() writes the rest.
  explicit JsonWriter(std::ostream& out);
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;
  ~JsonWriter() = default;

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& string(std::string_view s);
  JsonWriter& number(std::uint64_t n);
  JsonWriter& boolean(bool b);
  JsonWriter& null();
  /// Any JSON value, laid out like the rest.
  JsonWriter& value(const nlohmann::json& v);
  /// Flushes the buffered text (and a final newline when `newline`).
  void finish(bool newline = true);

private:
  void element();
  void open(char c);
  void close(char c);
  void quoted(std::string_view s);
  void spill();

  std::ostream& m_out;
  std::string m_buf;
  struct Level {
    bool array = false;
    int count = 0;
  };
  std::vector<Level> m_levels;
  bool m_after_key = false;
};

}  // namespace neon::cli
