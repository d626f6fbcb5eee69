#include "anvil/text/nfkc_casefold.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include "anvil/text/utf8.h"

namespace anvil::text {

namespace {

struct Instance {
  const icu::Normalizer2* normalizer = nullptr;  // owned by ICU, immutable, shared by threads
  UErrorCode error = U_ZERO_ERROR;
};

const Instance& instance() {
  static const Instance inst = [] {
    Instance i;
    i.normalizer = icu::Normalizer2::getNFKCCasefoldInstance(i.error);
    if (U_FAILURE(i.error)) i.normalizer = nullptr;
    return i;
  }();
  return inst;
}

}  // namespace

core::Status check_nfkc_casefold_available() {
  const Instance& inst = instance();
  if (inst.normalizer != nullptr) return core::Status::ok_status();
  return core::Status::internal(std::string("ICU's nfkc_cf normalization data is unavailable: ") +
                                u_errorName(inst.error));
}

void append_nfkc_casefold(std::string_view utf8, std::string& out) {
  const Instance& inst = instance();
  std::string sanitized;
  if (!is_valid_utf8(utf8)) {
    for (size_t i = 0; i < utf8.size();) append_utf8(sanitized, decode_utf8(utf8, i));
    utf8 = sanitized;
  }
  if (inst.normalizer == nullptr) {  // reported by check_nfkc_casefold_available()
    out.append(utf8);
    return;
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::StringByteSink<std::string> sink(&out);
  inst.normalizer->normalizeUTF8(0, icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())), sink,
                                 nullptr, status);
  if (U_FAILURE(status)) out.append(utf8);  // allocation failure: keep the text unnormalized
}

}  // namespace anvil::text
