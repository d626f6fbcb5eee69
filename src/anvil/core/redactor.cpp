#include "anvil/core/redactor.h"

#include <algorithm>
#include <mutex>

namespace anvil::core {

Redactor& Redactor::global() {
  static Redactor instance;  // never destroyed before late log calls: function-local static
  return instance;
}

bool Redactor::add(std::string_view name, std::string_view value) {
  if (value.size() < kMinSecretBytes) return false;
  std::unique_lock lock(mu_);
  for (const Entry& e : entries_) {
    if (e.value == value) return true;
  }
  Entry entry{std::string(value), "[REDACTED:" + std::string(name) + "]"};
  auto pos = std::find_if(entries_.begin(), entries_.end(),
                          [&](const Entry& e) { return e.value.size() < value.size(); });
  entries_.insert(pos, std::move(entry));
  for (auto& bucket : by_first_byte_) bucket.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    by_first_byte_[static_cast<unsigned char>(entries_[i].value[0])].push_back(
        static_cast<std::uint32_t>(i));
  }
  empty_.store(false, std::memory_order_release);
  return true;
}

std::string Redactor::redact(std::string_view text) const {
  if (empty_.load(std::memory_order_acquire)) return std::string(text);
  std::shared_lock lock(mu_);
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;  // text[0, copied) is already in `out`
  std::size_t i = 0;
  while (i < text.size()) {
    const auto& candidates = by_first_byte_[static_cast<unsigned char>(text[i])];
    const Entry* hit = nullptr;
    for (std::uint32_t index : candidates) {
      const Entry& e = entries_[index];
      if (text.compare(i, e.value.size(), e.value) == 0) {
        hit = &e;
        break;
      }
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    out.append(text.substr(copied, i - copied));
    out += hit->replacement;
    i += hit->value.size();
    copied = i;
  }
  out.append(text.substr(copied));
  return out;
}

std::size_t Redactor::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

void Redactor::clear() {
  std::unique_lock lock(mu_);
  entries_.clear();
  for (auto& bucket : by_first_byte_) bucket.clear();
  empty_.store(true, std::memory_order_release);
}

std::string redact(std::string_view text) { return Redactor::global().redact(text); }

}  // namespace anvil::core
