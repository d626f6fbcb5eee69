// What CSV, JSONL and BEIR loading share once a record is parsed: the bad-record policy and
// sending the record's document to the sink.
#pragma once

#include <cstdint>
#include <string>

#include "anvil/core/status.h"
#include "anvil/rag/document.h"
#include "anvil/rag/loaders/loader_common.h"

namespace anvil::rag::loaders {

// Applies LoaderOptions::bad_records to a record error found on `line`: under kFail returns it
// with file and line context; under kSkip reports it to on_bad_record and returns OK.
core::Status bad_record(const FileContext& ctx, uint64_t line, const core::Status& error);

// Sends a one-section document (text cut into continued sections past max_section_bytes).
core::Status emit_record(const FileContext& ctx, DocumentSink& sink, const DocumentInfo& info, std::string text);

}  // namespace anvil::rag::loaders
