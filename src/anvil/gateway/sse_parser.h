// Incremental parser of Server-Sent Events (the WHATWG "text/event-stream" format) for streamed
// upstream responses: bytes go in as they arrive, split anywhere; complete events come out.
// Lines end with \r\n, \n or \r; "data:" lines of one event are joined with \n; comments (":")
// and "retry:" are skipped; an event ends at a blank line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::gateway {

struct SseEvent {
  std::string event;  // "event:" field; empty means "message"
  std::string data;   // the "data:" lines joined with "\n"
  std::string id;     // "id:" field of this event (empty when none)
  // OpenAI ends a stream with "data: [DONE]".
  bool done() const { return data == "[DONE]"; }
};

class SseParser {
 public:
  // An event (or a line) larger than this is an error: an upstream must not make Anvil buffer
  // without bound. 1 MiB holds any chunk an LLM server sends.
  explicit SseParser(size_t max_event_bytes = 1u << 20) : max_event_bytes_(max_event_bytes) {}

  // Appends received bytes; call next() until it returns false before feeding again.
  void feed(std::string_view bytes);

  // Takes the next complete event into `event`: true if there was one, false if more bytes are
  // needed; an error when an event or a line grows beyond the limit.
  core::Result<bool> next(SseEvent& event);

  // Bytes received but not yet part of a complete event (a stream that ends with some left was
  // cut in the middle of an event).
  size_t pending_bytes() const { return buffer_.size() - pos_ + current_.data.size(); }

 private:
  // Applies one line (without its terminator); returns true when it ended an event.
  bool apply_line(std::string_view line);

  size_t max_event_bytes_;
  std::string buffer_;  // received bytes; [pos_, end) not yet consumed
  size_t pos_ = 0;
  bool skip_lf_ = false;  // the last line ended with \r at the end of a read: drop a leading \n
  bool bom_checked_ = false;
  bool has_data_ = false;
  SseEvent current_;
  SseEvent ready_;  // the event the last blank line completed
};

}  // namespace anvil::gateway
