// Where the rate limiter reads how much an API key has spent so far, in US dollars. The usage
// ledger implements it over its records; InMemorySpend serves tests and single-process use.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace anvil::gateway {

class SpendSource {
 public:
  virtual ~SpendSource() = default;
  // Total cost charged to `key_id` so far; 0 for a key never seen. Called before every upstream
  // call of a key with a budget, from any I/O thread: must be cheap and must not block.
  virtual double spent_usd(std::string_view key_id) const = 0;
};

class InMemorySpend final : public SpendSource {
 public:
  void add(std::string_view key_id, double usd) {
    std::lock_guard lock(mu_);
    auto it = spent_.find(key_id);
    if (it == spent_.end()) it = spent_.emplace(std::string(key_id), 0.0).first;
    it->second += usd;
  }
  double spent_usd(std::string_view key_id) const override {
    std::lock_guard lock(mu_);
    auto it = spent_.find(key_id);
    return it == spent_.end() ? 0.0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, double, std::less<>> spent_;
};

}  // namespace anvil::gateway
