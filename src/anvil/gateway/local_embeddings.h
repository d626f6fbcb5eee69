// POST /v1/embeddings answered by a local embedding model, in OpenAI's shape: the input (a
// string, strings, token ids, or lists of token ids) becomes one [CLS] ... [SEP] sequence per
// item, and the vectors come back as JSON floats or base64 (little-endian f32). Inputs longer
// than the model's context are refused, never truncated. docs/GATEWAY.md, "Local deployments".
#pragma once

#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "anvil/engine/embedder.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/local_encoder.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

struct EmbeddingsCall {
  EncoderWork work;  // work.texts: one framed sequence per input item, in order
  bool base64 = false;
};

// Reads an embeddings body: the sequences to run, or the 400 that says why not (an input over the
// context, a token id outside the vocabulary, `dimensions` other than the model's, ...).
std::variant<EmbeddingsCall, UpstreamFailure> read_embeddings(const engine::Embedder& embedder,
                                                              const boost::json::object& body);

// Runs the request on `encoder` (an embedding model) and answers it; `model` in the answer is the
// deployment's name.
boost::asio::awaitable<Attempt> answer_embeddings(LocalEncoder& encoder, const Deployment& deployment,
                                                  const ProviderRequest& request);

}  // namespace anvil::gateway
