#include "plugin/clients/compute_token.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "plugin/adapters/base64.hpp"

namespace neon::cli::compute_token {

std::string derive(const std::string& key, const std::string& compute_id) {
  const std::string message = "neon-compute-spec:" + compute_id;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac.data(), &length);
  return base64url_encode(std::string(reinterpret_cast<const char*>(mac.data()), length));
}

bool same(const std::string& given, const std::string& want) {
  return given.size() == want.size() && CRYPTO_memcmp(given.data(), want.data(), want.size()) == 0;
}

}  // namespace neon::cli::compute_token
