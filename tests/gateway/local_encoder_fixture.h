// Test helpers for the local provider's encoders: tiny BERT embedding and reranker GGUFs (random
// weights, the tiny WordPiece vocabulary of tests/engine/bert_test_model.h, a 24-token context)
// written to a directory, and a way to run one coroutine to its end on a fresh io_context.
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "anvil/core/file_io.h"
#include "engine/bert_test_model.h"

namespace anvil::testing {

inline constexpr int kTinyEncoderDim = 32;    // TinyBertSpec's n_embd
inline constexpr int kTinyEncoderCtx = 24;    // TinyBertSpec's n_ctx
inline constexpr int kTinyEncoderVocab = 32;  // tiny_wordpiece_tokens().size()

// Writes `dir`/`name` and returns its path: mean pooling, or a reranker (rank pooling and the
// classification head).
inline std::filesystem::path write_tiny_encoder(const std::filesystem::path& dir, const std::string& name,
                                                bool reranker) {
  TinyBertSpec spec;
  spec.with_vocab = true;
  if (reranker) {
    spec.pooling = 4;
    spec.rank_head = true;
  }
  const std::filesystem::path path = dir / name;
  EXPECT_TRUE(core::write_file_atomic(path, build_tiny_bert(spec)).ok());
  return path;
}

template <typename F>
auto run_coroutine(F&& f) {
  boost::asio::io_context io;
  auto done = boost::asio::co_spawn(io, std::forward<F>(f), boost::asio::use_future);
  io.run();
  return done.get();
}

}  // namespace anvil::testing
