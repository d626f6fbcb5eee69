#include "anvil/app/collection_index.h"

#include <boost/json/parse.hpp>

namespace anvil::app {

using core::Result;
using core::Status;

namespace {

std::vector<std::string> parse_heading_path(const std::string& json) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& h : v.get_array()) {
    if (h.is_string()) out.emplace_back(h.get_string());
  }
  return out;
}

boost::json::object parse_object(const std::string& json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.get_object());
}

}  // namespace

std::string index_text(const std::vector<std::string>& heading_path, std::string_view text) {
  std::string out;
  for (const auto& h : heading_path) {
    out += h;
    out += '\n';
  }
  out += text;
  return out;
}

std::string index_text(const store::StoredChunk& chunk) {
  return index_text(parse_heading_path(chunk.chunk.heading_path_json), chunk.chunk.text);
}

boost::json::object filter_fields(const boost::json::object& document_metadata, std::optional<int> page) {
  boost::json::object fields = document_metadata;
  if (page) fields["page"] = *page;
  return fields;
}

Result<std::unique_ptr<CollectionIndex>> CollectionIndex::open(store::KbStore& store, const DataDir& dir,
                                                               const store::CollectionRecord& collection) {
  ANVIL_ASSIGN_OR_RETURN(auto analyzer, rag::make_analyzer(collection.language));
  auto path = dir.bm25_index(collection.id);
  rag::Bm25Params params;
  params.k1 = static_cast<float>(collection.bm25_k1);
  params.b = static_cast<float>(collection.bm25_b);
  std::error_code ec;
  std::unique_ptr<CollectionIndex> out;
  if (std::filesystem::exists(path, ec)) {
    ANVIL_ASSIGN_OR_RETURN(auto loaded, rag::Bm25Index::load(path));
    out.reset(new CollectionIndex(collection, std::move(analyzer), std::move(loaded), path));
  } else {
    out.reset(new CollectionIndex(collection, std::move(analyzer), rag::Bm25Index(params), path));
  }
  ANVIL_RETURN_IF_ERROR(out->catch_up(store));
  return out;
}

Status CollectionIndex::catch_up(store::KbStore& store) {
  ANVIL_ASSIGN_OR_RETURN(auto current, store.get_collection(collection_.name));
  if (current.id != collection_.id) {
    return Status::failed_precondition("collection '" + collection_.name + "' was deleted and re-created");
  }
  int64_t from = applied_seq();
  if (current.change_seq == from) return {};
  if (current.change_seq < from) {
    return Status::corrupt("bm25 index " + path_.string() + " reflects change " + std::to_string(from) +
                           " but the database has only " + std::to_string(current.change_seq) +
                           " changes: was anvil.db restored from an older backup? Delete the index file to rebuild it");
  }
  ANVIL_ASSIGN_OR_RETURN(auto removed, store.tombstones_since(collection_.id, from));
  for (int64_t id : removed) ANVIL_RETURN_IF_ERROR(remove(id));
  // Chunk ids are never reused (AUTOINCREMENT), so a chunk newer than the index is not in it.
  ANVIL_RETURN_IF_ERROR(store.for_each_chunk_since(collection_.id, from, [&](const store::StoredChunk& c) {
    return add(c);
  }));
  set_applied_seq(current.change_seq);
  return {};
}

Status CollectionIndex::add(const store::StoredChunk& chunk) {
  std::vector<std::string> terms;
  analyzer_->analyze(index_text(chunk), terms);
  return add_terms(chunk.chunk.id, terms, filter_fields(parse_object(chunk.document_metadata_json), chunk.chunk.page));
}

Status CollectionIndex::add_terms(int64_t chunk_id, const std::vector<std::string>& terms,
                                  const boost::json::object& fields) {
  return bm25_.add(chunk_id, terms, fields);
}

Status CollectionIndex::remove(int64_t chunk_id) {
  if (!bm25_.contains(chunk_id)) return {};
  return bm25_.remove(chunk_id);
}
void CollectionIndex::set_applied_seq(int64_t seq) { bm25_.set_applied_seq(static_cast<uint64_t>(seq)); }
int64_t CollectionIndex::applied_seq() const { return static_cast<int64_t>(bm25_.applied_seq()); }

Status CollectionIndex::save() const { return bm25_.save(path_); }

}  // namespace anvil::app
