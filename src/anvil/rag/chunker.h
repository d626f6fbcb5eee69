// Splits a document's sections into chunks of at most `chunk_size` tokens, streaming: sections go
// in one at a time, chunks come out through a callback. Cuts prefer section > paragraph > sentence
// > word > code point boundaries; the algorithm and its parameters are in docs/CHUNKING.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/rag/document.h"
#include "anvil/text/token_counter.h"

namespace anvil::rag {

struct ChunkerOptions {
  int chunk_size = 512;    // tokens; > 0
  int chunk_overlap = 64;  // tokens of whole trailing sentences repeated; 0 <= overlap < size
};

// Checks chunk_size > 0 and 0 <= chunk_overlap < chunk_size.
core::Status validate(const ChunkerOptions& options);

// One chunker per thread; reuse it across documents. The TokenCounter must outlive it.
class Chunker {
 public:
  // Called for each finished chunk, in order. A non-OK status stops chunking and is returned by
  // the add_section/finish call that produced the chunk.
  using ChunkCallback = std::function<core::Status(Chunk&&)>;

  static core::Result<Chunker> create(const ChunkerOptions& options,
                                      const text::TokenCounter& counter);

  Chunker(Chunker&&) noexcept;
  Chunker& operator=(Chunker&&) noexcept;
  ~Chunker();

  // Starts a document: ordinals restart at 0 and spans at code point 0.
  void begin_document(ChunkCallback on_chunk);
  // Section text must be valid UTF-8. A section starts a new chunk unless continues_previous.
  core::Status add_section(const Section& section);
  // Emits the last chunk. The chunker is then ready for begin_document again.
  core::Status finish();

  const ChunkerOptions& options() const;

 private:
  struct State;
  explicit Chunker(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

// Convenience: chunks a whole document given as sections.
core::Result<std::vector<Chunk>> chunk_sections(const std::vector<Section>& sections,
                                                const ChunkerOptions& options,
                                                const text::TokenCounter& counter);

}  // namespace anvil::rag
