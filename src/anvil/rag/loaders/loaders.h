// The per-type loaders behind load_file(); each reads ctx.path and feeds the sink.
#pragma once

#include "anvil/core/status.h"
#include "anvil/rag/document.h"
#include "anvil/rag/loaders/loader_common.h"

namespace anvil::rag::loaders {

core::Status load_text(const FileContext& ctx, DocumentSink& sink);      // streamed
core::Status load_markdown(const FileContext& ctx, DocumentSink& sink);  // parsed whole
core::Status load_html(const FileContext& ctx, DocumentSink& sink);      // parsed whole
core::Status load_pdf(const FileContext& ctx, DocumentSink& sink);       // parsed whole
core::Status load_docx(const FileContext& ctx, DocumentSink& sink);      // parsed whole
core::Status load_csv(const FileContext& ctx, DocumentSink& sink);       // streamed, a document per row
core::Status load_jsonl(const FileContext& ctx, DocumentSink& sink);     // streamed, a document per record
core::Status load_beir(const FileContext& ctx, DocumentSink& sink);      // streamed, a document per record

}  // namespace anvil::rag::loaders
