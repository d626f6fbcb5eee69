// NFKC with case folding (ICU's "nfkc_cf", Unicode's NFKC_Casefold): the normalization analyzers
// apply to terms, so "Ｔｅｓｔ", "TEST" and "ﬁ" match "test" and "fi". Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::text {

// Fails only when ICU's normalization data is missing (kInternal naming ICU's error).
core::Status check_nfkc_casefold_available();

// Appends NFKC_Casefold(utf8) to `out`. Ill-formed UTF-8 comes out as U+FFFD. Default ignorable
// code points (soft hyphen, ZWJ, variation selectors) are removed, as NFKC_Casefold specifies.
void append_nfkc_casefold(std::string_view utf8, std::string& out);

inline std::string nfkc_casefold(std::string_view utf8) {
  std::string out;
  append_nfkc_casefold(utf8, out);
  return out;
}

}  // namespace anvil::text
