#include "anvil/rag/porter_stemmer.h"

#include <libstemmer.h>

#include <memory>

namespace anvil::rag {

namespace {

struct StemmerDeleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};
using StemmerPtr = std::unique_ptr<sb_stemmer, StemmerDeleter>;

StemmerPtr new_porter() { return StemmerPtr(sb_stemmer_new("porter", "UTF_8")); }

sb_stemmer* thread_stemmer() {
  thread_local StemmerPtr stemmer = new_porter();
  return stemmer.get();
}

// Length in UTF-16 code units, the unit of Lucene's "k > k0 + 1" (length >= 3) test.
size_t utf16_length(const std::string& word) {
  size_t units = 0;
  for (unsigned char b : word) {
    if ((b & 0xC0) != 0x80) units += b >= 0xF0 ? 2 : 1;
  }
  return units;
}

}  // namespace

core::Status check_porter_available() {
  if (new_porter() != nullptr) return core::Status::ok_status();
  return core::Status::internal("libstemmer has no \"porter\" algorithm for UTF_8 (expected libstemmer0d)");
}

void porter_stem(std::string& word) {
  if (word.size() < 3 || utf16_length(word) < 3) return;
  sb_stemmer* s = thread_stemmer();
  if (s == nullptr) return;  // reported by check_porter_available()
  const sb_symbol* stem =
      sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (stem == nullptr) return;  // out of memory: keep the word
  word.assign(reinterpret_cast<const char*>(stem), static_cast<size_t>(sb_stemmer_length(s)));
}

}  // namespace anvil::rag
