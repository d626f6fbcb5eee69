// A process-wide registry of secret values. Everything that prints text Anvil did not write
// itself (log lines, error messages, metrics) passes through redact(), which replaces each
// registered value with "[REDACTED:NAME]".
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace anvil::core {

class Redactor {
 public:
  // Shorter values would match ordinary text ("1", "yes") and are not registered.
  static constexpr std::size_t kMinSecretBytes = 4;

  Redactor() = default;
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // The instance SecretStore registers into and logging, Status::to_string and metrics read.
  static Redactor& global();

  // Registers `value` (the secret) under `name` (how it is shown). Returns false, registering
  // nothing, when the value is shorter than kMinSecretBytes. Re-registering a value is a no-op;
  // a rotated secret keeps its old value registered too.
  bool add(std::string_view name, std::string_view value);

  // `text` with every registered value replaced by "[REDACTED:NAME]". Longer values win where
  // two overlap, so a value that contains another is hidden whole. Cost: one pass over `text`,
  // comparing only at bytes that start some registered value.
  std::string redact(std::string_view text) const;

  std::size_t size() const;
  // Forgets every value. For tests; production code never needs it.
  void clear();

 private:
  struct Entry {
    std::string value;
    std::string replacement;
  };

  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;  // longest value first
  // For each first byte, the entries starting with it (indices into entries_, longest first).
  std::array<std::vector<std::uint32_t>, 256> by_first_byte_;
  std::atomic<bool> empty_{true};  // lets redact() skip the lock when nothing is registered
};

// Redactor::global().redact(text).
std::string redact(std::string_view text);

}  // namespace anvil::core
