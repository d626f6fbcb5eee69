// load_file(): checks the options, finds the type and hands the file to its loader.
#include "anvil/rag/loaders/loader.h"

#include <exception>

#include "anvil/rag/loaders/loader_common.h"
#include "anvil/rag/loaders/loaders.h"
#include "anvil/rag/loaders/record_mapper.h"

namespace anvil::rag {

core::Status load_file(const std::filesystem::path& path, const LoaderOptions& options, DocumentSink& sink) {
  for (const auto& [key, value] : options.extra_metadata) {
    if (loaders::is_reserved_key(key)) {
      return core::Status::invalid_argument("extra metadata key '" + std::string(key) +
                                            "' is reserved: type, source, title and timestamp are set by the loader");
    }
  }
  ANVIL_ASSIGN_OR_RETURN(loaders::FileContext ctx, loaders::open_context(path, options));
  std::string type = options.type;
  if (type.empty()) {
    ANVIL_ASSIGN_OR_RETURN(type, detect_type(path));
  }
  try {
    if (type == "text") return loaders::load_text(ctx, sink);
    if (type == "markdown") return loaders::load_markdown(ctx, sink);
    if (type == "html") return loaders::load_html(ctx, sink);
    if (type == "pdf") return loaders::load_pdf(ctx, sink);
    if (type == "docx") return loaders::load_docx(ctx, sink);
    if (type == "csv") return loaders::load_csv(ctx, sink);
    if (type == "jsonl") return loaders::load_jsonl(ctx, sink);
    if (type == "beir") return loaders::load_beir(ctx, sink);
  } catch (const std::exception& e) {
    // Parsers and allocation may throw; nothing crosses the module boundary.
    return ctx.error(core::StatusCode::kInternal, std::string("loader failed: ") + e.what());
  }
  return core::Status::invalid_argument("unknown document type '" + type +
                                        "': expected text, markdown, html, pdf, docx, csv, jsonl or beir");
}

core::Status add_extra_metadata(LoaderOptions& options, std::string_view assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return core::Status::invalid_argument("metadata: expected key=value, found '" + std::string(assignment) + "'");
  }
  const std::string key(assignment.substr(0, eq));
  if (loaders::is_reserved_key(key)) {
    return core::Status::invalid_argument("metadata key '" + key +
                                          "' is reserved: type, source, title and timestamp are set by the loader");
  }
  options.extra_metadata[key] = loaders::typed_cell(assignment.substr(eq + 1));
  return {};
}

}  // namespace anvil::rag
