// Analyzers turn text into index terms for BM25: the same analyzer runs over chunks at ingest and
// over queries at search time. Chosen per collection: "auto" (default), "en", "zh".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::rag {

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // Appends the terms of `text` to `out`, in text order, duplicates kept. Thread-safe.
  virtual void analyze(std::string_view utf8, std::vector<std::string>& out) const = 0;
  // The name stored with the collection ("auto", "en", "zh").
  virtual std::string_view name() const = 0;
};

// Builds the analyzer for a collection's language setting; an unknown name is kInvalidArgument
// naming the accepted values.
core::Result<std::shared_ptr<const Analyzer>> make_analyzer(std::string_view language);

}  // namespace anvil::rag
