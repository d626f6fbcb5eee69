// Counts tokens of text for chunk sizing. The estimator stands in until a model's own tokenizer
// (engine) is configured; both implement this interface so the chunker does not care which.
#pragma once

#include <cstddef>
#include <string_view>

namespace anvil::text {

class TokenCounter {
 public:
  virtual ~TokenCounter() = default;
  virtual size_t count(std::string_view utf8) const = 0;
};

}  // namespace anvil::text
