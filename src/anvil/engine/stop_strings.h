// Stop strings for streamed generation: releases decoded text that can no longer become a stop
// string, holds back a tail that might (or an incomplete UTF-8 sequence), and reports the first
// stop string completed; the stop string and anything after it are never released.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace anvil::engine {

class StopStringMatcher {
 public:
  // Empty strings are ignored (they would match before any text).
  explicit StopStringMatcher(std::vector<std::string> stops);

  struct Step {
    std::string text;        // safe to show now
    bool stopped = false;    // a stop string is complete: generation should end
    size_t stop_index = 0;   // which one (index into the constructor's list), when stopped
  };

  // Appends `piece` to the held text. When several stop strings are complete, the one that starts
  // earliest wins (ties: the first in the list). After a stop, further pieces release nothing.
  Step feed(std::string_view piece);

  // Generation ended without a stop: the text still held back, as is (it may end with an
  // incomplete UTF-8 sequence if the model produced one).
  std::string flush();

  bool stopped() const { return stopped_; }
  // Bytes held back right now: at most the longest stop string minus one, plus 3 for UTF-8.
  size_t held_bytes() const { return held_.size(); }

 private:
  std::vector<std::string> stops_;
  std::vector<size_t> index_;  // stops_[i] was stops[index_[i]] before empty ones were dropped
  std::string held_;
  bool stopped_ = false;
};

}  // namespace anvil::engine
