#include "plugin/adapters/base64.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <openssl/evp.h>

namespace neon::cli {

namespace {

/// Decodes standard base64 whose length is a multiple of 4 (padding included); EVP_DecodeBlock
/// counts padding as zero bytes, which are dropped here.
Result<std::string> decode_padded(const std::string& in) {
  if (in.size() % 4 != 0) {
    return make_error("invalid base64 length");
  }
  std::vector<unsigned char> out(in.size() / 4 * 3 + 1);
  const int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) {
    return make_error("invalid base64");
  }
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = in.size(); i > 0 && in[i - 1] == '=' && size > 0; --i) {
    --size;
  }
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string pad(std::string s) {
  while (s.size() % 4 != 0) {
    s += '=';
  }
  return s;
}

}  // namespace

std::string base64_encode(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

Result<std::string> base64_decode(const std::string& text) {
  std::string in;
  in.reserve(text.size());
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      in += c;
    }
  }
  const auto data_end = in.find('=');
  if (data_end != std::string::npos && in.find_first_not_of('=', data_end) != std::string::npos) {
    return make_error("invalid base64");  // '=' only at the end
  }
  std::string body = in.substr(0, data_end);
  if (body.size() % 4 == 1) {
    return make_error("invalid base64 length");
  }
  return decode_padded(pad(std::move(body)));
}

std::string base64url_encode(const std::string& data) {
  std::string out = base64_encode(data);
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

Result<std::string> base64url_decode(const std::string& text) {
  std::string in = text;
  while (!in.empty() && in.back() == '=') {
    in.pop_back();
  }
  if (in.size() % 4 == 1) {
    return make_error("invalid base64url length");
  }
  for (char& c : in) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      return make_error("invalid base64url character");
    }
  }
  auto out = decode_padded(pad(in));
  if (!out) {
    return make_error("invalid base64url character");
  }
  // Leftover bits must be zero for a canonical encoding; otherwise two strings decode alike.
  std::string canonical = base64url_encode(*out);
  std::replace(canonical.begin(), canonical.end(), '-', '+');
  std::replace(canonical.begin(), canonical.end(), '_', '/');
  if (canonical != in) {
    return make_error("non-canonical base64url");
  }
  return out;
}

}  // namespace neon::cli
