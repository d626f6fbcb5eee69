// The form of Anvil's API keys: "ak-" then 32 random bytes (OpenSSL RAND_bytes) in unpadded
// base64url (43 characters); the SHA-256 under which a key is stored; the prefix listings show.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::gateway {

inline constexpr std::string_view kApiKeyMarker = "ak-";
inline constexpr size_t kApiKeyRandomBytes = 32;
inline constexpr size_t kApiKeyLength = 3 + 43;  // marker + base64url of 32 bytes, no padding
// Shown by `anvil keys list`: the marker and 6 characters (36 of the key's 256 random bits).
inline constexpr size_t kApiKeyPrefixLength = 9;

using KeyDigest = std::array<std::uint8_t, 32>;

// A new secret key. Fails only when the system's random source does.
core::Result<std::string> generate_api_key();

// SHA-256 of the key's bytes, as they arrive in "Authorization: Bearer <key>".
KeyDigest api_key_digest(std::string_view key);
std::string digest_hex(const KeyDigest& digest);  // 64 lower-case hex digits

// The first kApiKeyPrefixLength characters (all of a shorter text).
std::string api_key_prefix(std::string_view key);

// Compares in time independent of where the digests differ (CRYPTO_memcmp).
bool digests_equal(const KeyDigest& a, const KeyDigest& b);

}  // namespace anvil::gateway
