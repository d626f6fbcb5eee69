#include "anvil/gateway/sse_parser.h"

#include <fmt/format.h>

namespace anvil::gateway {

void SseParser::feed(std::string_view bytes) {
  if (pos_ > 0 && pos_ >= buffer_.size() / 2) {  // compact: keep the buffer as small as one event
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  buffer_.append(bytes);
}

bool SseParser::apply_line(std::string_view line) {
  if (line.empty()) {
    // Blank line: dispatch. An event without data lines is dropped, as the standard says.
    bool dispatch = has_data_;
    if (dispatch) ready_ = std::move(current_);
    current_ = SseEvent{};
    has_data_ = false;
    return dispatch;
  }
  if (line.front() == ':') return false;  // comment (keep-alive pings)
  std::string_view field = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) current_.id.assign(value);
  }
  // "retry" and unknown fields are ignored.
  return false;
}

core::Result<bool> SseParser::next(SseEvent& event) {
  if (!bom_checked_) {  // a UTF-8 byte order mark may open the stream; it is not data
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    std::string_view head = std::string_view(buffer_).substr(0, 3);
    if (head.size() < 3 && kBom.starts_with(head)) return false;  // wait for the 3rd byte
    if (head == kBom) pos_ = 3;
    bom_checked_ = true;
  }
  for (;;) {
    if (skip_lf_ && pos_ < buffer_.size()) {
      if (buffer_[pos_] == '\n') ++pos_;
      skip_lf_ = false;
    }
    std::string_view rest = std::string_view(buffer_).substr(pos_);
    size_t end = rest.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      if (rest.size() + current_.data.size() > max_event_bytes_) {
        return core::Status::resource_exhausted(fmt::format(
            "server-sent event larger than {} bytes (expected events to end within it)",
            max_event_bytes_));
      }
      return false;
    }
    std::string_view line = rest.substr(0, end);
    size_t consumed = end + 1;
    if (rest[end] == '\r') {
      if (end + 1 < rest.size()) {
        if (rest[end + 1] == '\n') ++consumed;
      } else {
        skip_lf_ = true;  // the \n of this \r\n may come with the next read
      }
    }
    bool dispatched = apply_line(line);
    pos_ += consumed;
    if (current_.data.size() > max_event_bytes_) {
      return core::Status::resource_exhausted(fmt::format(
          "server-sent event larger than {} bytes (expected events to end within it)",
          max_event_bytes_));
    }
    if (dispatched) {
      event = std::move(ready_);
      return true;
    }
  }
}

}  // namespace anvil::gateway
