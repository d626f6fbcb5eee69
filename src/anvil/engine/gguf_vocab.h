// A model's tokenizer from its GGUF metadata (tokenizer.ggml.*), with the defaults llama.cpp applies
// per tokenizer model and pre-tokenizer when a key is absent, so that a file tokenizes here as it
// does in llama.cpp. Keys and defaults: docs/TOKENIZERS.md.
#pragma once

#include <memory>

#include "anvil/core/status.h"
#include "anvil/engine/gguf.h"
#include "anvil/text/tokenizer.h"

namespace anvil::engine {

// Errors name the file and the key: "m.gguf: metadata 'tokenizer.ggml.tokens' is missing",
// "m.gguf: metadata 'tokenizer.ggml.scores' has 3 entries for 5 tokens".
core::Result<text::TokenizerVocab> read_tokenizer_vocab(const GgufFile& file);

// read_tokenizer_vocab + text::Tokenizer::create, errors prefixed with the file name.
core::Result<std::unique_ptr<text::Tokenizer>> load_tokenizer(const GgufFile& file);

}  // namespace anvil::engine
