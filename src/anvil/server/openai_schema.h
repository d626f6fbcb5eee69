// Validation of OpenAI request bodies at the interface layer: required fields, types and ranges
// for /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/rerank, so a bad request
// is a 400 naming the parameter before it costs an upstream call. Unknown fields pass through
// (providers have extensions); known fields must be right.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "anvil/gateway/upstream.h"
#include "anvil/server/schema_checks.h"

namespace anvil::server {

// What the routes need from a valid body.
struct RequestShape {
  std::string_view model;      // into the body
  bool stream = false;         // chat and completions only
  bool include_usage = false;  // stream_options.include_usage
};

// Checks `body` for `op`; fills `shape` when it is valid, else returns the first problem.
std::optional<ValidationError> validate_openai_request(gateway::Operation op,
                                                       const boost::json::object& body,
                                                       RequestShape& shape);

}  // namespace anvil::server
