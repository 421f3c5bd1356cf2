#include "plugin/adapters/json_writer.hpp"

namespace neon::cli {

namespace {
constexpr std::size_t k_chunk = 1 << 20;
}

JsonWriter::JsonWriter(std::ostream& out) : m_out(out) { m_buf.reserve(k_chunk + 4096); }

void JsonWriter::spill() {
  if (m_buf.size() >= k_chunk) {
    m_out.write(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
    m_buf.clear();
  }
}

void JsonWriter::element() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (m_levels.empty()) {
    return;
  }
  Level& level = m_levels.back();
  m_buf += level.count == 0 ? "\n" : ",\n";
  m_buf.append(m_levels.size() * 2, ' ');
  ++level.count;
}

void JsonWriter::open(char c) {
  element();
  m_buf += c;
  m_levels.push_back(Level{c == '[', 0});
}

void JsonWriter::close(char c) {
  if (m_levels.back().count > 0) {
    m_buf += '\n';
    m_buf.append((m_levels.size() - 1) * 2, ' ');
  }
  m_buf += c;
  m_levels.pop_back();
  spill();
}

JsonWriter& JsonWriter::begin_object() {
  open('{');
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  close('}');
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  open('[');
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  close(']');
  return *this;
}

void JsonWriter::quoted(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\') {
      // Rare: escapes (and UTF-8 checks) exactly as nlohmann::json does them.
      m_buf += nlohmann::json(std::string(s)).dump();
      return;
    }
  }
  m_buf += '"';
  m_buf.append(s);
  m_buf += '"';
}

JsonWriter& JsonWriter::key(std::string_view k) {
  element();
  quoted(k);
  m_buf += ": ";
  m_after_key = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view s) {
  element();
  quoted(s);
  return *this;
}

JsonWriter& JsonWriter::number(std::uint64_t n) {
  element();
  m_buf += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool b) {
  element();
  m_buf += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  element();
  m_buf += "null";
  return *this;
}

JsonWriter& JsonWriter::value(const nlohmann::json& v) {
  if (v.is_object()) {
    begin_object();
    for (const auto& [k, member] : v.items()) {
      key(k).value(member);
    }
    return end_object();
  }
  if (v.is_array()) {
    begin_array();
    for (const auto& member : v) {
      value(member);
    }
    return end_array();
  }
  element();
  m_buf += v.dump();
  return *this;
}

void JsonWriter::finish(bool newline) {
  if (newline) {
    m_buf += '\n';
  }
  m_out.write(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
  m_buf.clear();
}

}  // namespace neon::cli
