// What the fake upstream serves and which faults it injects; set by the flags of
// `anvil-fake-upstream` (docs/FAKE_UPSTREAM.md) or directly by in-process tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fake_upstream/fault.h"

namespace anvil::fake {

struct FakeUpstreamOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the system picks one (FakeUpstream::port() tells which)
  int threads = 1;    // I/O threads, each with its own io_context and SO_REUSEPORT acceptor

  std::vector<std::string> models{"fake-model"};  // GET /v1/models
  int embedding_dim = 16;  // default embedding dimension (a request's "dimensions" overrides)
  std::string api_key;     // non-empty: /v1/* requires "Authorization: Bearer <api_key>" (else 401)
  int default_max_tokens = 16;  // words generated when the request sets no max_tokens
  int64_t context_window = 0;   // > 0: prompt + max_tokens words beyond it answer 400
                                // context_length_exceeded
  bool prompt_cache = false;    // report a prompt seen before as cached (cached_tokens = prompt)

  // Random faults: with probability fail_rate, one of `faults` drawn uniformly.
  double fail_rate = 0.0;
  std::vector<Fault> faults;          // empty with fail_rate > 0: a 500
  int retry_after_s = -1;             // >= 0: Retry-After on random 429 and 503 answers
  double hang_rate = 0.0;             // probability that a request is never answered
  int cut_stream_after = -1;          // >= 0: every stream is cut after this many events
  int latency_ms = 0;                 // added before every response (processing time)
  int first_byte_ms = 0;              // added before every response's first byte
  int chunk_ms = 0;                   // between two events of a stream
  uint64_t seed = 1;                  // of the random fault draws (per thread: seed + thread)

  size_t max_request_bytes = 16u << 20;
  size_t request_id_history = 100000;  // request ids /fake/stats remembers (the most recent)
};

}  // namespace anvil::fake
