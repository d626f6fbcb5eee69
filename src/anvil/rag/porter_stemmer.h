// Porter stemming for the English analyzer: the Snowball "porter" algorithm from libstemmer,
// with Lucene's PorterStemmer rule that words under three characters are left alone.
#pragma once

#include <string>

#include "anvil/core/status.h"

namespace anvil::rag {

// Fails when libstemmer lacks the "porter" algorithm (kInternal).
core::Status check_porter_available();

// Replaces `word` (lower-case UTF-8) by its stem. Thread-safe: each thread has its own stemmer,
// since an sb_stemmer is not.
void porter_stem(std::string& word);

}  // namespace anvil::rag
