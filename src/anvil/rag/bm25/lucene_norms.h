// Lucene's lossy document-length norm (SmallFloat.intToByte4 / byte4ToInt): one byte per chunk,
// exact for lengths below 40, then 4 significant bits. BM25 with `lucene_norms` scores a chunk
// with the decoded length, as Lucene 9's BM25Similarity does. See docs/BM25.md.
#pragma once

#include <array>
#include <cstdint>

namespace anvil::rag::bm25 {

// intToByte4: lengths above INT32_MAX are clamped to it, as Lucene's int lengths cannot exceed it.
uint8_t length_to_norm(uint64_t length);

// byte4ToInt: the length a norm byte stands for (the largest length it covers is not recovered;
// it is the smallest length that encodes to this byte).
uint32_t norm_to_length(uint8_t norm);

// The 256 decoded lengths as floats (Lucene's LENGTH_TABLE).
const std::array<float, 256>& norm_length_table();

}  // namespace anvil::rag::bm25
