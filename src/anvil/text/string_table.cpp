#include "anvil/text/string_table.h"

#include <limits>
#include <stdexcept>

namespace anvil::text {

void StringTable::push_back(std::string_view s) {
  // Offsets are 4 bytes: a vocabulary is a few MiB of text. Past 4 GiB this fails as a
  // std::vector<std::string> of that size would, by throwing.
  if (s.size() > std::numeric_limits<uint32_t>::max() - chars_.size()) {
    throw std::length_error("StringTable holds at most 4 GiB of text");
  }
  chars_.append(s);
  ends_.push_back(static_cast<uint32_t>(chars_.size()));
}

}  // namespace anvil::text
