// `anvil search "query" --collection NAME [-k 10] [--filter EXPR] [--json]`
#include <cstdio>

#include <boost/json.hpp>

#include "anvil/cli/context.h"

namespace anvil::cli {

namespace {

// "page 3", "§ Maintenance > Seals", "chars 120-980": where in its document a chunk sits.
std::string location(const store::StoredChunk& c) {
  std::string out;
  if (c.chunk.page) out = "page " + std::to_string(*c.chunk.page);
  boost::system::error_code ec;
  auto path = boost::json::parse(c.chunk.heading_path_json, ec);
  if (!ec && path.is_array() && !path.get_array().empty()) {
    std::string h;
    for (const auto& p : path.get_array()) {
      if (!p.is_string()) continue;
      if (!h.empty()) h += " > ";
      h += p.get_string();
    }
    if (!out.empty()) out += ", ";
    out += "§ " + h;
  }
  if (out.empty()) {
    out = "chars " + std::to_string(c.chunk.char_start) + "-" + std::to_string(c.chunk.char_end);
  }
  return out;
}

}  // namespace

void register_search(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("search", "Search a collection (BM25)");
  struct Options {
    app::SearchRequest request;
    std::string collection;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("query", opts->request.query, "What to look for")->required();
  cmd->add_option("-c,--collection", opts->collection, "Collection to search")->required();
  cmd->add_option("-k", opts->request.k, "Number of results")->capture_default_str();
  cmd->add_option("--filter", opts->request.filter,
                  "Metadata filter, e.g. 'type = \"csv\" and downtime_hours > 2' (docs/FILTERS.md)");
  cmd->add_flag("--json", opts->json, "Print JSON");
  cmd->callback([&ctx, opts] {
    auto kb = ctx.open_knowledge_base();
    if (!kb.ok()) return ctx.fail(kb.status());
    auto hits = kb->search(opts->collection, opts->request);
    if (!hits.ok()) return ctx.fail(hits.status());
    if (opts->json) {
      boost::json::array arr;
      for (const auto& h : *hits) {
        boost::system::error_code ec;
        auto meta = boost::json::parse(h.chunk.document_metadata_json, ec);
        auto headings = boost::json::parse(h.chunk.chunk.heading_path_json, ec);
        boost::json::object o{{"rank", h.rank},
                              {"score", h.score},
                              {"chunk_id", h.chunk.chunk.id},
                              {"source", h.chunk.document_uri},
                              {"title", h.chunk.document_title},
                              {"type", h.chunk.document_type},
                              {"ordinal", h.chunk.chunk.ordinal},
                              {"char_start", h.chunk.chunk.char_start},
                              {"char_end", h.chunk.chunk.char_end},
                              {"heading_path", headings},
                              {"snippet", h.snippet},
                              {"text", h.chunk.chunk.text},
                              {"metadata", meta}};
        if (h.chunk.chunk.page) o["page"] = *h.chunk.chunk.page;
        arr.push_back(std::move(o));
      }
      std::printf("%s\n", boost::json::serialize(arr).c_str());
      return;
    }
    if (hits->empty()) {
      std::printf("no results\n");
      return;
    }
    for (const auto& h : *hits) {
      std::printf("%2d. %7.3f  %s  (%s)\n", h.rank, h.score, h.chunk.document_uri.c_str(), location(h.chunk).c_str());
      std::printf("             %s\n", h.snippet.c_str());
    }
  });
}

}  // namespace anvil::cli
