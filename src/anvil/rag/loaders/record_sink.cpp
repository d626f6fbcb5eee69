#include "anvil/rag/loaders/record_sink.h"

#include <vector>

namespace anvil::rag::loaders {

core::Status bad_record(const FileContext& ctx, uint64_t line, const core::Status& error) {
  core::Status e = ctx.line_error(line, error.message());
  if (ctx.options->bad_records == BadRecordPolicy::kSkip) {
    if (ctx.options->on_bad_record) ctx.options->on_bad_record(e);
    return {};
  }
  return e;
}

core::Status emit_record(const FileContext& ctx, DocumentSink& sink, const DocumentInfo& info, std::string text) {
  std::vector<Section> sections(1);
  sections[0].text = std::move(text);
  return emit_document(sink, info, std::move(sections), ctx.options->max_section_bytes);
}

}  // namespace anvil::rag::loaders
