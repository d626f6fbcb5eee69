#include "anvil/app/knowledge_base.h"

#include <algorithm>

#include "anvil/app/snippet.h"
#include "anvil/rag/filter.h"

namespace anvil::app {

using core::Result;
using core::Status;

namespace {

Status validate_spec(const store::CollectionSpec& spec) {
  const auto& n = spec.name;
  bool name_ok = !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
  if (!name_ok) {
    return Status::invalid_argument("collection name '" + n +
                                    "': expected 1 to 64 characters among A-Z a-z 0-9 _ - .");
  }
  if (spec.chunk_size < 16 || spec.chunk_size > 65536) {
    return Status::invalid_argument("chunk size: expected 16 to 65536 tokens, found " +
                                    std::to_string(spec.chunk_size));
  }
  if (spec.chunk_overlap < 0 || spec.chunk_overlap >= spec.chunk_size) {
    return Status::invalid_argument("chunk overlap: expected 0 to chunk size - 1 (" +
                                    std::to_string(spec.chunk_size - 1) + ") tokens, found " +
                                    std::to_string(spec.chunk_overlap));
  }
  if (!(spec.bm25_k1 >= 0 && spec.bm25_k1 <= 10)) {
    return Status::invalid_argument("bm25 k1: expected a number in [0, 10], found " + std::to_string(spec.bm25_k1));
  }
  if (!(spec.bm25_b >= 0 && spec.bm25_b <= 1)) {
    return Status::invalid_argument("bm25 b: expected a number in [0, 1], found " + std::to_string(spec.bm25_b));
  }
  return rag::make_analyzer(spec.language).status();
}

}  // namespace

Result<KnowledgeBase> KnowledgeBase::open(const std::filesystem::path& data_dir) {
  ANVIL_ASSIGN_OR_RETURN(auto dir, DataDir::open(data_dir));
  ANVIL_ASSIGN_OR_RETURN(auto store, store::KbStore::open(dir.database()));
  return KnowledgeBase(std::move(dir), std::make_unique<store::KbStore>(std::move(store)));
}

Result<store::CollectionRecord> KnowledgeBase::create_collection(const store::CollectionSpec& spec) {
  ANVIL_RETURN_IF_ERROR(validate_spec(spec));
  return store_->create_collection(spec);
}

Result<store::CollectionRecord> KnowledgeBase::get_collection(const std::string& name) {
  return store_->get_collection(name);
}

Result<std::vector<store::CollectionRecord>> KnowledgeBase::list_collections() {
  return store_->list_collections();
}

Status KnowledgeBase::delete_collection(const std::string& name) {
  ANVIL_ASSIGN_OR_RETURN(auto c, store_->get_collection(name));
  {
    ANVIL_ASSIGN_OR_RETURN(auto lock, FileLock::acquire(dir_.collection_dir(c.id) / "write.lock"));
    ANVIL_RETURN_IF_ERROR(store_->delete_collection(name));
  }
  indexes_.erase(c.id);
  std::error_code ec;
  std::filesystem::remove_all(dir_.collection_dir(c.id), ec);
  if (ec) {
    return Status::io("collection '" + name + "' deleted, but its index folder " +
                      dir_.collection_dir(c.id).string() + " could not be removed: " + ec.message());
  }
  return {};
}

Result<CollectionInfo> KnowledgeBase::info(const std::string& name) {
  CollectionInfo out;
  ANVIL_ASSIGN_OR_RETURN(out.collection, store_->get_collection(name));
  ANVIL_ASSIGN_OR_RETURN(out.stats, store_->stats(out.collection.id));
  ANVIL_ASSIGN_OR_RETURN(CollectionIndex * idx, index(name));
  auto st = idx->bm25().stats();
  out.index_documents = static_cast<int64_t>(st.docs);
  out.index_terms = static_cast<int64_t>(st.terms);
  out.index_bytes = static_cast<int64_t>(st.memory_bytes);
  return out;
}

Result<CollectionIndex*> KnowledgeBase::index(const std::string& name) {
  ANVIL_ASSIGN_OR_RETURN(auto c, store_->get_collection(name));
  auto it = indexes_.find(c.id);
  if (it == indexes_.end()) {
    ANVIL_ASSIGN_OR_RETURN(auto idx, CollectionIndex::open(*store_, dir_, c));
    it = indexes_.emplace(c.id, std::move(idx)).first;
  } else if (it->second->applied_seq() != c.change_seq) {
    ANVIL_RETURN_IF_ERROR(it->second->catch_up(*store_));
  }
  return it->second.get();
}

Result<std::vector<SearchHit>> KnowledgeBase::search(const std::string& collection, const SearchRequest& request) {
  if (request.k == 0 || request.k > 10000) {
    return Status::invalid_argument("k: expected 1 to 10000 results, found " + std::to_string(request.k));
  }
  rag::Filter filter;
  if (!request.filter.empty()) {
    ANVIL_ASSIGN_OR_RETURN(filter, rag::Filter::parse(request.filter));
  }
  ANVIL_ASSIGN_OR_RETURN(CollectionIndex * idx, index(collection));
  std::vector<std::string> terms;
  idx->analyzer().analyze(request.query, terms);
  auto scored = idx->bm25().search(terms, request.k, filter.is_trivial() ? nullptr : &filter);
  std::vector<int64_t> ids;
  ids.reserve(scored.size());
  for (const auto& s : scored) ids.push_back(s.id);
  ANVIL_ASSIGN_OR_RETURN(auto chunks, store_->get_chunks(ids));
  std::vector<SearchHit> hits;
  hits.reserve(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    SearchHit h;
    h.rank = static_cast<int>(i + 1);
    h.score = scored[i].score;
    h.snippet = make_snippet(chunks[i].chunk.text, terms, idx->analyzer());
    h.chunk = std::move(chunks[i]);
    hits.push_back(std::move(h));
  }
  return hits;
}

}  // namespace anvil::app
