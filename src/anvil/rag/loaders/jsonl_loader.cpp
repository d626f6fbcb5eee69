// JSON lines, streamed: one JSON object per line, one document per object (mapped by
// RecordMapper). The BEIR corpus form ({"_id","title","text","metadata"}) gets its own mapping:
// text = title + "\n\n" + text, source = path#_id, metadata = the record's "metadata" object.
#include <string>

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "anvil/rag/loaders/loaders.h"
#include "anvil/rag/loaders/record_mapper.h"
#include "anvil/rag/loaders/record_sink.h"
#include "anvil/rag/loaders/text_stream.h"

namespace anvil::rag::loaders {
namespace {

std::string_view kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: return "an object";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::null: return "null";
    default: return "a number";
  }
}

// Parses one line as a JSON object; the error says where the syntax broke (1-based column).
core::Result<boost::json::object> parse_object(boost::json::stream_parser& p, std::string_view line) {
  p.reset();
  boost::system::error_code ec;
  const size_t used = p.write(line.data(), line.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    return core::Status::invalid_argument(
        fmt::format("invalid JSON at column {}: {}", std::min(used, line.size()) + 1, ec.message()));
  }
  boost::json::value v = p.release();
  if (!v.is_object()) {
    return core::Status::invalid_argument(fmt::format("expected a JSON object, found {}", kind_name(v)));
  }
  return std::move(v.get_object());
}

// A BEIR corpus record as a document.
core::Status map_beir(const FileContext& ctx, const boost::json::object& o, DocumentInfo& info, std::string& text) {
  const boost::json::value* id = o.if_contains("_id");
  if (id == nullptr || !(id->is_string() || id->is_int64() || id->is_uint64())) {
    return core::Status::invalid_argument("expected \"_id\" (a string or an integer)");
  }
  const boost::json::value* body = o.if_contains("text");
  if (body == nullptr || !body->is_string()) return core::Status::invalid_argument("expected \"text\" (a string)");
  std::string title;
  if (const boost::json::value* t = o.if_contains("title"); t != nullptr && !t->is_null()) {
    if (!t->is_string()) return core::Status::invalid_argument("expected \"title\" to be a string");
    title = std::string(t->get_string());
  }
  boost::json::object fields;
  if (const boost::json::value* m = o.if_contains("metadata"); m != nullptr && !m->is_null()) {
    if (!m->is_object()) return core::Status::invalid_argument("expected \"metadata\" to be an object");
    fields = m->get_object();
  }
  const std::string id_text = id->is_string() ? std::string(id->get_string()) : render_value(*id);
  const std::string_view b = body->get_string();
  text = title.empty() ? std::string(b) : b.empty() ? title : title + "\n\n" + std::string(b);
  if (text.find('\r') != std::string::npos) text = normalize_newlines(text);
  info = make_info(ctx, "beir", ctx.display + "#" + id_text, std::move(title), "", fields);
  return {};
}

core::Status load_records(const FileContext& ctx, DocumentSink& sink, bool beir) {
  ANVIL_ASSIGN_OR_RETURN(TextStream stream, TextStream::open(ctx));
  LineReader lines(ctx, std::move(stream));
  RecordMapper mapper(ctx, "jsonl");
  boost::json::stream_parser parser;
  std::string line;
  uint64_t records = 0;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool more, lines.next(line));
    if (!more) break;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ++records;
    auto obj = parse_object(parser, line);
    if (!obj.ok()) {
      ANVIL_RETURN_IF_ERROR(bad_record(ctx, lines.line_number(), obj.status()));
      continue;
    }
    DocumentInfo info;
    std::string text;
    core::Status st;
    if (beir) {
      st = map_beir(ctx, *obj, info, text);
    } else {
      Record r;
      r.number = records;
      r.fields.reserve(obj->size());
      for (auto& [k, v] : *obj) r.fields.emplace_back(std::string(k), std::move(v));
      st = mapper.map(r, info, text);
    }
    if (!st.ok()) {
      ANVIL_RETURN_IF_ERROR(bad_record(ctx, lines.line_number(), st));
      continue;
    }
    if (text.find_first_not_of(" \t\n") == std::string::npos) continue;  // nothing to index
    ANVIL_RETURN_IF_ERROR(emit_record(ctx, sink, info, std::move(text)));
  }
  if (records == 0) return ctx.error(core::StatusCode::kInvalidArgument, "contains no text (no records)");
  return {};
}

}  // namespace

core::Status load_jsonl(const FileContext& ctx, DocumentSink& sink) { return load_records(ctx, sink, false); }

core::Status load_beir(const FileContext& ctx, DocumentSink& sink) { return load_records(ctx, sink, true); }

}  // namespace anvil::rag::loaders
