// What the fake upstream does with one request, decided without I/O: the bytes to write, the
// events to stream, or the fault to act out. session.cpp carries it out on the socket.
#pragma once

#include <string>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "fake_upstream/session.h"

namespace anvil::fake {

struct Outcome {
  enum class Kind {
    kWrite,   // write `bytes` (a whole response)
    kStream,  // write `bytes` (the head), then `events` as SSE, then [DONE] unless cut
    kReset,   // reset the connection without answering
    kHang,    // never answer; wait for the client to close
  };
  Kind kind = Kind::kWrite;
  std::string bytes;
  std::vector<std::string> events;  // kStream: `data:` payloads, "[DONE]" excluded
  int cut_after = -1;               // kStream: >= 0: close after this many events
  int delay_ms = 0;                 // before the first byte
  bool keep_alive = true;
};

Outcome handle_request(const boost::beast::http::request<boost::beast::http::string_body>& request,
                       SharedState& shared, ThreadState& thread);

}  // namespace anvil::fake
