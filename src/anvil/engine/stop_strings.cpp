#include "anvil/engine/stop_strings.h"

#include <algorithm>

#include "anvil/text/utf8.h"

namespace anvil::engine {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) {
  for (size_t i = 0; i < stops.size(); ++i) {
    if (stops[i].empty()) continue;
    stops_.push_back(std::move(stops[i]));
    index_.push_back(i);
  }
}

StopStringMatcher::Step StopStringMatcher::feed(std::string_view piece) {
  Step step;
  if (stopped_) return step;
  held_.append(piece);

  // The earliest complete stop string. Text held from earlier calls contains none (it would
  // have stopped then), so a match can only end inside the new piece.
  size_t best_pos = std::string::npos, best = 0;
  const size_t old_size = held_.size() - piece.size();
  for (size_t i = 0; i < stops_.size(); ++i) {
    const std::string& s = stops_[i];
    const size_t from = old_size >= s.size() ? old_size - s.size() + 1 : 0;
    const size_t pos = held_.find(s, from);
    if (pos != std::string::npos && pos < best_pos) {
      best_pos = pos;
      best = i;
    }
  }
  if (best_pos != std::string::npos) {
    step.text = held_.substr(0, best_pos);
    step.stopped = true;
    step.stop_index = index_[best];
    stopped_ = true;
    held_.clear();
    return step;
  }

  // Hold back the longest tail that is a proper prefix of some stop string...
  size_t hold = 0;
  for (const std::string& s : stops_) {
    for (size_t len = std::min(s.size() - 1, held_.size()); len > hold; --len) {
      if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  // ...and an incomplete UTF-8 sequence at the end, so released text never splits a character.
  hold = std::max(hold, text::incomplete_utf8_suffix(held_));
  step.text = held_.substr(0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return step;
}

std::string StopStringMatcher::flush() {
  std::string out;
  out.swap(held_);
  return out;
}

}  // namespace anvil::engine
