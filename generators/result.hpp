#pragma once
// A small Result<T> in the spelling of std::expected, so a later switch is a rename.
// Errors from yaml-cpp, nlohmann and std::filesystem are turned into Error at the adapter that
// calls them and never cross a module boundary as exceptions.

#include <string>
#include <utility>
#include <variant>

namespace neon {

/// What went wrong, for callers that decide by it (exit codes, retries, "already there" being fine).
/// Filled in where the failure is first seen: the HTTP transport, a client decoding an answer, the
/// file and git adapters. Nothing decides by an error's message text.
enum class ErrorKind {
  failed,        ///< anything not listed below
  invalid,       ///< the input is wrong (a flag, a spec, a file's contents)
  not_found,     ///< the thing asked for does not exist (HTTP 404, a missing file)
  exists,        ///< the thing to create exists already
  conflict,      ///< HTTP 409, or a concurrent change
  unauthorized,  ///< HTTP 401 or 403: a missing, wrong or too narrow token
  unreachable,   ///< no answer: connection refused, DNS, TLS handshake
  timeout,       ///< no answer in time
  busy,          ///< someone else holds the lock or the resource (HTTP 423, 503)
};

struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::failed;
  long http_status = 0;  ///< the HTTP status of an answer that failed; 0 when there was no answer
};

/// The kind an HTTP status means.
inline ErrorKind kind_of_status(long status) {
  switch (status) {
    case 401:
    case 403:
      return ErrorKind::unauthorized;
    case 404:
      return ErrorKind::not_found;
    case 408:
    case 504:
      return ErrorKind::timeout;
    case 409:
      return ErrorKind::conflict;
    case 423:
    case 429:
    case 503:
      return ErrorKind::busy;
    default:
      return status >= 400 && status < 500 ? ErrorKind::invalid : ErrorKind::failed;
  }
}

template <typename T>
class [[nodiscard]] Result {
public:
  Result(T value) : m_v(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : m_v(std::move(error)) {}  // NOLINT(google-explicit-constructor)
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
      Error e = error();
      e.message = context + ": " + e.message;
      return e;
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
      Error e = m_error;
      e.message = context + ": " + e.message;
      return e;
    }
    return {};
  }

private:
  Error m_error;
  bool m_ok = true;
};

inline Error make_error(std::string message, ErrorKind kind = ErrorKind::failed) {
  return Error{std::move(message), kind, 0};
}

/// The error of an HTTP answer with `status`.
inline Error http_error(long status, std::string message) {
  return Error{std::move(message), kind_of_status(status), status};
}

}  // namespace neon

/// Returns early with the error of `expr` when it holds one.
#define NEON_TRY(expr)                 \
  do {                                 \
    auto&& neon_try_result_ = (expr);  \
    if (!neon_try_result_) {           \
      return neon_try_result_.error(); \
    }                                  \
  } while (false)
