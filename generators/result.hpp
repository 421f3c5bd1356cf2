#pragma once
// A small Result<T> in the spelling of std::expected, so a later switch is a rename.
// Errors from yaml-cpp, nlohmann and std::filesystem are turned into Error at the adapter that
// calls them and never cross a module boundary as exceptions.

#include <string>
#include <utility>
#include <variant>

namespace neon {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
  Result(T value) : m_v(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : m_v(std::move(error)) {}      // NOLINT(google-explicit-constructor)
  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(m_v); }

  /// Prefixes the error message with `context: `.
  Result with_context(const std::string& context) && {
    if (!has_value()) {
      return Error{context + ": " + error().message};
    }
    return std::move(*this);
  }

private:
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_ok(false) {}  // NOLINT
  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  const Error& error() const { return m_error; }
  Result with_context(const std::string& context) && {
    if (!m_ok) {
      return Error{context + ": " + m_error.message};
    }
    return {};
  }

private:
  Error m_error;
  bool m_ok = true;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace neon

/// Returns early with the error of `expr` when it holds one.
#define NEON_TRY(expr)                                                                                        \
  do {                                                                                                       \
    auto&& neon_try_result_ = (expr);                                                                        \
    if (!neon_try_result_) {                                                                                 \
      return neon_try_result_.error();                                                                       \
    }                                                                                                        \
  } while (false)
