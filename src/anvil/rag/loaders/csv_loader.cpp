// CSV (comma) and TSV (tab, by the .tsv extension), streamed: the first record is the header, each
// following row is one document mapped by RecordMapper. Blank lines are skipped.
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "anvil/rag/loaders/csv_reader.h"
#include "anvil/rag/loaders/loaders.h"
#include "anvil/rag/loaders/record_mapper.h"
#include "anvil/rag/loaders/record_sink.h"

namespace anvil::rag::loaders {
namespace {

// Header names trimmed; empty ones become column_N, repeated ones get _2, _3...
std::vector<std::string> header_names(std::vector<std::string> raw) {
  std::unordered_map<std::string, int> seen;
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string& n = raw[i];
    const size_t b = n.find_first_not_of(" \t");
    const size_t e = n.find_last_not_of(" \t");
    n = b == std::string::npos ? std::string() : n.substr(b, e - b + 1);
    if (n.empty()) n = "column_" + std::to_string(i + 1);
    if (const int count = ++seen[n]; count > 1) n += "_" + std::to_string(count);
  }
  return raw;
}

}  // namespace

core::Status load_csv(const FileContext& ctx, DocumentSink& sink) {
  ANVIL_ASSIGN_OR_RETURN(TextStream stream, TextStream::open(ctx));
  const char delimiter = ctx.path.extension() == ".tsv" ? '\t' : ',';
  CsvReader reader(ctx, LineReader(ctx, std::move(stream)), delimiter);
  std::vector<std::string> fields;

  std::vector<std::string> header;
  for (;;) {  // the header is the first non-blank record
    ANVIL_ASSIGN_OR_RETURN(bool more, reader.next(fields));
    if (!more) return ctx.error(core::StatusCode::kInvalidArgument, "contains no text (no header row)");
    if (fields.size() == 1 && fields[0].find_first_not_of(" \t") == std::string::npos) continue;
    header = header_names(std::move(fields));
    break;
  }

  RecordMapper mapper(ctx, "csv");
  uint64_t records = 0;
  uint64_t documents = 0;
  for (;;) {
    auto more = reader.next(fields);
    if (!more.ok()) {
      if (reader.fatal() || more.status().code() != core::StatusCode::kInvalidArgument) return more.status();
      // Malformed row: the error already names the file and line. It keeps its record number.
      ++records;
      if (ctx.options->bad_records == BadRecordPolicy::kFail) return more.status();
      if (ctx.options->on_bad_record) ctx.options->on_bad_record(more.status());
      continue;
    }
    if (!*more) break;
    if (fields.size() == 1 && fields[0].find_first_not_of(" \t") == std::string::npos) continue;
    ++records;
    if (fields.size() != header.size()) {
      ANVIL_RETURN_IF_ERROR(bad_record(ctx, reader.record_line(),
                                       core::Status::invalid_argument(fmt::format(
                                           "expected {} fields (as in the header), found {}", header.size(),
                                           fields.size()))));
      continue;
    }
    Record r;
    r.number = records;
    r.fields.reserve(header.size());
    for (size_t i = 0; i < header.size(); ++i) r.fields.emplace_back(header[i], typed_cell(fields[i]));
    DocumentInfo info;
    std::string text;
    if (core::Status st = mapper.map(r, info, text); !st.ok()) {
      ANVIL_RETURN_IF_ERROR(bad_record(ctx, reader.record_line(), st));
      continue;
    }
    if (text.empty()) continue;  // a row of empty cells
    ANVIL_RETURN_IF_ERROR(emit_record(ctx, sink, info, std::move(text)));
    ++documents;
  }
  if (documents == 0 && records == 0) {
    return ctx.error(core::StatusCode::kInvalidArgument, "contains no text (a header row but no data rows)");
  }
  return {};
}

}  // namespace anvil::rag::loaders
