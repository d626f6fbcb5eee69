// Bm25Index::save / load: the binary index file described in docs/BM25_INDEX_FORMAT.md.
// Little-endian, explicitly encoded; a CRC-32 of everything before it closes the file.
#include <cmath>
#include <string>
#include <string_view>

#include <boost/crc.hpp>
#include <fmt/format.h>

#include "anvil/core/file_io.h"
#include "anvil/rag/bm25/byte_io.h"
#include "anvil/rag/bm25/lucene_norms.h"
#include "anvil/rag/bm25/varint.h"
#include "anvil/rag/bm25_index.h"

namespace anvil::rag {
namespace {

using core::Status;

constexpr std::string_view kMagic = "ANVLBM25";
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kFlagLuceneNorms = 1;
constexpr std::size_t kHeaderBytes = 72;
constexpr std::size_t kChecksumBytes = 4;
constexpr std::size_t kChunkEntryBytes = 12;  // i64 id + u32 length

// Section tags, each followed by its payload.
constexpr uint32_t tag(const char (&s)[5]) {
  return static_cast<uint32_t>(s[0]) | static_cast<uint32_t>(s[1]) << 8 |
         static_cast<uint32_t>(s[2]) << 16 | static_cast<uint32_t>(s[3]) << 24;
}
constexpr uint32_t kTermsTag = tag("TERM");
constexpr uint32_t kPostingsTag = tag("POST");
constexpr uint32_t kChunksTag = tag("CHNK");
constexpr uint32_t kMetadataTag = tag("META");

uint32_t crc32_of(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

// Printable ASCII as is, anything else as \xNN: for naming bytes in errors.
std::string escape_bytes(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\' && c != '\'') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

Status expect_tag(bm25::ByteReader& in, uint32_t expected, std::string_view name) {
  const std::size_t at = in.offset();
  uint32_t found = 0;
  ANVIL_RETURN_IF_ERROR(in.u32(found, fmt::format("section tag '{}'", name)));
  if (found != expected) {
    std::string found_text;
    for (int k = 0; k < 4; ++k) found_text += static_cast<char>((found >> (8 * k)) & 0xFF);
    return Status::corrupt(fmt::format("expected section '{}' at byte {}, found '{}'", name, at,
                                       escape_bytes(found_text)));
  }
  return {};
}

}  // namespace

std::string Bm25Index::encode() const {
  std::string out;
  std::size_t postings_bytes = 0;
  for (const TermPostings& p : postings_) postings_bytes += p.bytes.size() + 10;
  out.reserve(kHeaderBytes + terms_.total_bytes() + terms_.size() * 2 + postings_bytes +
              slots_.size() * kChunkEntryBytes + 64);

  out.append(kMagic);
  bm25::put_u32(out, kFormatVersion);
  bm25::put_u32(out, params_.lucene_norms ? kFlagLuceneNorms : 0);
  bm25::put_f32(out, params_.k1);
  bm25::put_f32(out, params_.b);
  bm25::put_u64(out, applied_seq_);
  bm25::put_u64(out, slots_.size());
  bm25::put_u64(out, terms_.size());
  bm25::put_u64(out, live_postings_);
  bm25::put_u64(out, total_length_);
  const std::size_t file_size_at = out.size();
  bm25::put_u64(out, 0);  // file size, patched below
  // kHeaderBytes == out.size() here.

  bm25::put_u32(out, kTermsTag);
  for (uint32_t t = 0; t < terms_.size(); ++t) bm25::put_bytes(out, terms_.get(t));

  bm25::put_u32(out, kPostingsTag);
  for (const TermPostings& p : postings_) {
    bm25::put_varint(out, p.df);
    bm25::put_bytes(out, std::string_view(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size()));
  }

  bm25::put_u32(out, kChunksTag);
  for (const Slot& s : slots_) {
    bm25::put_u64(out, static_cast<uint64_t>(s.id));
    bm25::put_u32(out, s.length);
  }

  bm25::put_u32(out, kMetadataTag);
  metadata_.encode(out);

  const uint64_t file_size = out.size() + kChecksumBytes;
  for (int k = 0; k < 8; ++k) out[file_size_at + k] = static_cast<char>((file_size >> (8 * k)) & 0xFF);
  bm25::put_u32(out, crc32_of(out));
  return out;
}

Status Bm25Index::save(const std::filesystem::path& path) const {
  // Removed chunks are dropped first: the file holds exactly the live index.
  const std::string bytes = has_garbage() ? compacted().encode() : encode();
  return core::write_file_atomic(path, bytes)
      .with_context(fmt::format("bm25 index {}", path.string()));
}

core::Result<Bm25Index> Bm25Index::load(const std::filesystem::path& path) {
  const std::string context = fmt::format("bm25 index {}", path.string());
  core::Result<std::string> bytes = core::read_file(path);
  if (!bytes.ok()) return bytes.status().with_context(context);
  core::Result<Bm25Index> index = decode(*bytes);
  if (!index.ok()) return index.status().with_context(context);
  return index;
}

core::Result<Bm25Index> Bm25Index::decode(std::string_view file) {
  // Identity first (magic, version), then completeness (size, checksum), then structure.
  if (file.size() < kMagic.size() || file.substr(0, kMagic.size()) != kMagic) {
    return Status::corrupt(fmt::format("bad magic: expected '{}', found '{}'", kMagic,
                                       escape_bytes(file.substr(0, kMagic.size()))));
  }
  bm25::ByteReader header(file, 0);
  std::string_view skip;
  ANVIL_RETURN_IF_ERROR(header.bytes(kMagic.size(), skip, "magic"));
  uint32_t version = 0;
  ANVIL_RETURN_IF_ERROR(header.u32(version, "format version"));
  if (version != kFormatVersion) {
    return Status::unsupported(fmt::format("unsupported format version: expected {}, found {}",
                                           kFormatVersion, version));
  }
  if (file.size() < kHeaderBytes + kChecksumBytes) {
    return Status::corrupt(fmt::format("truncated: expected at least {} bytes (header and checksum), found {}",
                                       kHeaderBytes + kChecksumBytes, file.size()));
  }
  uint32_t flags = 0;
  Bm25Params params;
  uint64_t applied_seq = 0, n_chunks = 0, n_terms = 0, n_postings = 0, total_length = 0, file_size = 0;
  ANVIL_RETURN_IF_ERROR(header.u32(flags, "flags"));
  ANVIL_RETURN_IF_ERROR(header.f32(params.k1, "k1"));
  ANVIL_RETURN_IF_ERROR(header.f32(params.b, "b"));
  ANVIL_RETURN_IF_ERROR(header.u64(applied_seq, "applied_seq"));
  ANVIL_RETURN_IF_ERROR(header.u64(n_chunks, "chunk count"));
  ANVIL_RETURN_IF_ERROR(header.u64(n_terms, "term count"));
  ANVIL_RETURN_IF_ERROR(header.u64(n_postings, "posting count"));
  ANVIL_RETURN_IF_ERROR(header.u64(total_length, "total length"));
  ANVIL_RETURN_IF_ERROR(header.u64(file_size, "file size"));
  if (file_size != file.size()) {
    return Status::corrupt(fmt::format("{}: header says {} bytes, found {}",
                                       file.size() < file_size ? "truncated" : "trailing bytes",
                                       file_size, file.size()));
  }
  const std::string_view body = file.substr(0, file.size() - kChecksumBytes);
  const auto stored_crc = static_cast<uint32_t>(
      bm25::load_le(reinterpret_cast<const uint8_t*>(file.data()) + body.size(), 4));
  const uint32_t computed_crc = crc32_of(body);
  if (stored_crc != computed_crc) {
    return Status::corrupt(fmt::format("checksum mismatch: stored crc32 {:08x}, computed {:08x}",
                                       stored_crc, computed_crc));
  }

  // The checksum guards against accidents; the checks below keep a crafted file from reaching
  // out of bounds.
  if ((flags & ~kFlagLuceneNorms) != 0) {
    return Status::corrupt(fmt::format("unknown flags {:#x}", flags));
  }
  params.lucene_norms = (flags & kFlagLuceneNorms) != 0;
  if (Status s = validate_params(params); !s.ok()) {
    return Status::corrupt(fmt::format("bad parameters: {}", s.message()));
  }
  const std::size_t body_bytes = body.size() - kHeaderBytes;
  if (n_chunks > body_bytes / kChunkEntryBytes || n_terms > body_bytes || n_postings > body_bytes) {
    return Status::corrupt(fmt::format(
        "counts larger than the file: {} chunks, {} terms, {} postings in {} bytes", n_chunks,
        n_terms, n_postings, body_bytes));
  }

  Bm25Index index(params);
  index.applied_seq_ = applied_seq;
  bm25::ByteReader in(body.substr(kHeaderBytes), kHeaderBytes);

  ANVIL_RETURN_IF_ERROR(expect_tag(in, kTermsTag, "TERM"));
  index.terms_.reserve(n_terms, body_bytes);
  for (uint64_t t = 0; t < n_terms; ++t) {
    const std::size_t at = in.offset();
    std::string_view term;
    ANVIL_RETURN_IF_ERROR(in.sized_bytes(term, "term"));
    if (term.empty() || index.terms_.intern(term) != t) {
      return Status::corrupt(fmt::format("{} term at byte {}", term.empty() ? "empty" : "duplicate", at));
    }
  }

  // Postings: checked entry by entry; per-chunk term counts and lengths are gathered to rebuild
  // and check the chunk table.
  ANVIL_RETURN_IF_ERROR(expect_tag(in, kPostingsTag, "POST"));
  index.postings_.resize(n_terms);
  std::vector<uint32_t> unique_terms(n_chunks, 0);
  std::vector<uint64_t> lengths(n_chunks, 0);
  uint64_t postings_seen = 0;
  for (uint64_t t = 0; t < n_terms; ++t) {
    const std::size_t at = in.offset();
    uint64_t df = 0;
    std::string_view bytes;
    ANVIL_RETURN_IF_ERROR(in.bounded(df, n_chunks, "document frequency"));
    ANVIL_RETURN_IF_ERROR(in.sized_bytes(bytes, "postings"));
    if (df == 0) return Status::corrupt(fmt::format("term {} has no postings at byte {}", t, at));
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    const auto* end = p + bytes.size();
    uint64_t slot = 0;
    for (uint64_t e = 0; e < df; ++e) {
      uint64_t word = 0, tf = 1;
      p = bm25::get_varint(p, end, word);
      if (p != nullptr && (word & 1) == 0) p = bm25::get_varint(p, end, tf);
      const uint64_t gap = word >> 1;
      if (p == nullptr || (e > 0 && gap == 0) || tf == 0 || tf > 0xFFFFFFFFu ||
          gap >= n_chunks - (e == 0 ? 0 : slot)) {
        return Status::corrupt(fmt::format("bad posting {} of term {} in the list at byte {}", e, t, at));
      }
      slot = e == 0 ? gap : slot + gap;
      ++unique_terms[slot];
      lengths[slot] += tf;
    }
    if (p != end) {
      return Status::corrupt(fmt::format("postings of term {} at byte {}: {} bytes left after {} entries",
                                         t, at, end - p, df));
    }
    TermPostings& tp = index.postings_[t];
    tp.bytes.assign(reinterpret_cast<const uint8_t*>(bytes.data()), end);
    tp.df = tp.count = static_cast<uint32_t>(df);
    tp.last_slot = static_cast<uint32_t>(slot);
    postings_seen += df;
  }
  if (postings_seen != n_postings) {
    return Status::corrupt(fmt::format("posting count: header says {}, postings hold {}", n_postings,
                                       postings_seen));
  }

  ANVIL_RETURN_IF_ERROR(expect_tag(in, kChunksTag, "CHNK"));
  index.slots_.resize(n_chunks);
  index.slot_of_.reserve(n_chunks);
  uint64_t length_sum = 0;
  for (uint64_t c = 0; c < n_chunks; ++c) {
    const std::size_t at = in.offset();
    uint64_t id = 0;
    uint32_t length = 0;
    ANVIL_RETURN_IF_ERROR(in.u64(id, "chunk id"));
    ANVIL_RETURN_IF_ERROR(in.u32(length, "chunk length"));
    if (length != lengths[c]) {
      return Status::corrupt(fmt::format("chunk {} at byte {}: length {} but its postings sum to {}",
                                         static_cast<int64_t>(id), at, length, lengths[c]));
    }
    if (!index.slot_of_.emplace(static_cast<int64_t>(id), static_cast<uint32_t>(c)).second) {
      return Status::corrupt(fmt::format("duplicate chunk id {} at byte {}", static_cast<int64_t>(id), at));
    }
    Slot& s = index.slots_[c];
    s.id = static_cast<int64_t>(id);
    s.length = length;
    s.norm = bm25::length_to_norm(length);
    s.unique_terms = unique_terms[c];
    length_sum += length;
    if (length > 0) ++index.scored_docs_;
  }
  if (length_sum != total_length) {
    return Status::corrupt(fmt::format("total length: header says {}, chunks sum to {}", total_length,
                                       length_sum));
  }

  ANVIL_RETURN_IF_ERROR(expect_tag(in, kMetadataTag, "META"));
  ANVIL_RETURN_IF_ERROR(index.metadata_.decode(in, n_chunks));
  if (!in.at_end()) {
    return Status::corrupt(fmt::format("{} unexpected bytes at byte {} after the metadata section",
                                       in.remaining(), in.offset()));
  }

  // Rebuild each chunk's ascending term-id list (used by remove) from the postings: visiting
  // terms in id order appends ids in ascending order per chunk.
  std::vector<uint64_t> write_at(n_chunks + 1, 0);
  for (uint64_t c = 0; c < n_chunks; ++c) write_at[c + 1] = write_at[c] + unique_terms[c];
  std::vector<uint32_t> chunk_terms(n_postings);
  for (uint32_t t = 0; t < n_terms; ++t) {
    const TermPostings& tp = index.postings_[t];
    const uint8_t* p = tp.bytes.data();
    uint64_t slot = 0;
    for (uint32_t e = 0; e < tp.count; ++e) {
      uint64_t word = 0, tf = 1;
      p = bm25::get_varint_unchecked(p, word);
      if ((word & 1) == 0) p = bm25::get_varint_unchecked(p, tf);
      slot = e == 0 ? (word >> 1) : slot + (word >> 1);
      chunk_terms[write_at[slot]++] = t;
    }
  }
  index.doc_terms_.reserve(n_postings * 2);
  uint64_t k = 0;
  for (Slot& s : index.slots_) {
    s.terms_offset = index.doc_terms_.size();
    uint32_t previous = 0;
    for (uint32_t u = 0; u < s.unique_terms; ++u, ++k) {
      bm25::put_varint(index.doc_terms_, chunk_terms[k] - previous);
      previous = chunk_terms[k];
    }
  }
  index.doc_terms_.shrink_to_fit();

  index.total_length_ = total_length;
  index.live_postings_ = n_postings;
  index.live_terms_ = n_terms;
  return index;
}

}  // namespace anvil::rag
