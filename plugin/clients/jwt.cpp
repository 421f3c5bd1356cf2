// Ed25519 and EdDSA JWS through OpenSSL 3's EVP interfaces. Every OpenSSL object is owned by a
// unique_ptr with its free function so no error path leaks.
#include "plugin/clients/jwt.hpp"

#include <array>
#include <memory>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace neon::cli::jwt {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

constexpr std::size_t k_ed25519_key_len = 32;
constexpr std::size_t k_ed25519_sig_len = 64;

/// The most recent OpenSSL error, and clears the queue so the next call starts clean.
std::string ssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return what;
  }
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  return fmt::format("{}: {}", what, buf.data());
}

Bio mem_bio(const std::string& text) { return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

Result<Pkey> load_private(const std::string& pem) {
  Bio bio = mem_bio(pem);
  Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    return make_error(ssl_error("cannot read the private key PEM"));
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return make_error("the private key is not an Ed25519 key");
  }
  return key;
}

Result<Pkey> load_public(const std::string& pem) {
  Bio bio = mem_bio(pem);
  Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    return make_error(ssl_error("cannot read the public key PEM"));
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return make_error("the public key is not an Ed25519 key");
  }
  return key;
}

Result<std::string> public_pem_of(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return make_error(ssl_error("cannot write the public key PEM"));
  }
  return bio_string(bio.get());
}

std::vector<std::string_view> split_dots(std::string_view token) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = token.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(token.substr(start));
      return parts;
    }
    parts.push_back(token.substr(start, dot - start));
    start = dot + 1;
  }
}

Result<nlohmann::json> decode_json_part(std::string_view part, const char* what) {
  auto raw = base64url_decode(std::string(part));
  if (!raw) {
    return make_error(fmt::format("token {}: {}", what, raw.error().message));
  }
  auto doc = nlohmann::json::parse(*raw, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(fmt::format("token {} is not a JSON object", what));
  }
  return doc;
}

}  // namespace

Result<KeyPair> generate_ed25519() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return make_error(ssl_error("cannot generate an Ed25519 key"));
  }
  Pkey key(raw);
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error(ssl_error("cannot write the private key PEM"));
  }
  KeyPair pair;
  pair.private_pem = bio_string(bio.get());
  auto pub = public_pem_of(key.get());
  if (!pub) {
    return pub.error();
  }
  pair.public_pem = std::move(*pub);
  return pair;
}

Result<std::string> public_from_private(const std::string& private_pem) {
  auto key = load_private(private_pem);
  if (!key) {
    return key.error();
  }
  return public_pem_of(key->get());
}

Result<std::string> sign(const nlohmann::json& claims, const std::string& private_pem, const std::string& kid) {
  if (!claims.is_object()) {
    return make_error("JWT claims must be a JSON object");
  }
  auto key = load_private(private_pem);
  if (!key) {
    return key.error();
  }
  nlohmann::ordered_json header = {{"alg", "EdDSA"}, {"typ", "JWT"}};
  if (!kid.empty()) {
    header["kid"] = kid;
  }
  const std::string signing_input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  MdCtx md(EVP_MD_CTX_new());
  std::string sig(k_ed25519_sig_len, '\0');
  std::size_t sig_len = sig.size();
  // Ed25519 is a one-shot signature: no digest, the whole message goes to DigestSign.
  if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    return make_error(ssl_error("cannot sign the token"));
  }
  sig.resize(sig_len);
  return signing_input + "." + base64url_encode(sig);
}

Result<nlohmann::json> verify(const std::string& token, const std::string& public_pem, std::int64_t now_unix) {
  const auto parts = split_dots(token);
  if (parts.size() != 3) {
    return make_error("token is not a compact JWS (three dot-separated parts)");
  }
  auto header = decode_json_part(parts[0], "header");
  if (!header) {
    return header.error();
  }
  if (header->value("alg", "") != "EdDSA") {
    return make_error(fmt::format("token algorithm is \"{}\", expected \"EdDSA\"", header->value("alg", "")));
  }
  auto sig = base64url_decode(std::string(parts[2]));
  if (!sig || sig->size() != k_ed25519_sig_len) {
    return make_error("token signature is malformed");
  }
  auto key = load_public(public_pem);
  if (!key) {
    return key.error();
  }
  const std::size_t input_len = parts[0].size() + 1 + parts[1].size();
  MdCtx md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key->get()) != 1) {
    return make_error(ssl_error("cannot set up signature verification"));
  }
  const int ok = EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                                  reinterpret_cast<const unsigned char*>(token.data()), input_len);
  ERR_clear_error();
  if (ok != 1) {
    return make_error("token signature does not verify");
  }
  auto claims = decode_json_part(parts[1], "claims");
  if (!claims) {
    return claims.error();
  }
  if (claims->contains("exp")) {
    const auto& exp = (*claims)["exp"];
    if (!exp.is_number()) {
      return make_error("token \"exp\" is not a number");
    }
    if (exp.get<double>() <= static_cast<double>(now_unix)) {
      return make_error("token has expired");
    }
  }
  return claims;
}

namespace {

/// The 32 raw bytes of an Ed25519 public key PEM.
Result<std::string> raw_public(const std::string& public_pem) {
  auto key = load_public(public_pem);
  if (!key) {
    return key.error();
  }
  std::string raw(k_ed25519_key_len, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key->get(), reinterpret_cast<unsigned char*>(raw.data()), &len) != 1) {
    return make_error(ssl_error("cannot read the raw public key"));
  }
  raw.resize(len);
  return raw;
}

}  // namespace

Result<nlohmann::json> jwks(const std::string& public_pem, const std::string& kid) {
  auto raw = raw_public(public_pem);
  if (!raw) {
    return raw.error();
  }
  nlohmann::json jwk = {
      {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(*raw)}, {"alg", "EdDSA"}, {"use", "sig"}};
  if (!kid.empty()) {
    jwk["kid"] = kid;
  }
  return nlohmann::json{{"keys", nlohmann::json::array({jwk})}};
}

Result<std::string> key_id(const std::string& public_pem) {
  auto raw = raw_public(public_pem);
  if (!raw) {
    return raw.error();
  }
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  const std::string members = fmt::format(R"({{"crv":"Ed25519","kty":"OKP","x":"{}"}})", base64url_encode(*raw));
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(members.data(), members.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    return make_error(ssl_error("cannot hash the public key"));
  }
  return base64url_encode(std::string(reinterpret_cast<const char*>(digest.data()), len));
}

}  // namespace neon::cli::jwt
