#include "anvil/gateway/api_key_secret.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace anvil::gateway {

namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// RFC 4648 section 5, without padding.
std::string base64url(const std::uint8_t* data, size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
    out += kBase64Url[v & 63];
  }
  if (n - i == 1) {
    std::uint32_t v = data[i] << 16;
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
  } else if (n - i == 2) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
  }
  return out;
}

}  // namespace

core::Result<std::string> generate_api_key() {
  std::array<std::uint8_t, kApiKeyRandomBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    char err[256];
    ERR_error_string_n(ERR_get_error(), err, sizeof(err));
    return core::Status::unavailable(std::string("cannot draw random bytes for an API key: ") + err);
  }
  std::string key(kApiKeyMarker);
  key += base64url(bytes.data(), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

KeyDigest api_key_digest(std::string_view key) {
  KeyDigest d{};
  unsigned int len = 0;
  // EVP_Digest with SHA-256 fails only on allocation failure; the digest is then all zeros,
  // which matches no stored key.
  (void)EVP_Digest(key.data(), key.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

std::string digest_hex(const KeyDigest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string api_key_prefix(std::string_view key) {
  return std::string(key.substr(0, kApiKeyPrefixLength));
}

bool digests_equal(const KeyDigest& a, const KeyDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace anvil::gateway
