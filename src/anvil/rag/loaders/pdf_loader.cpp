// PDF through poppler-cpp: one Section per page with its 1-based page number, text in reading
// order (poppler's non-raw, non-physical layout, as `pdftotext` without -layout). Metadata: pages,
// and title/author from the document information dictionary when present.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include "anvil/rag/loaders/loader_common.h"
#include "anvil/rag/loaders/loaders.h"
#include "anvil/text/utf8.h"

namespace anvil::rag::loaders {
namespace {

// Poppler reports recoverable damage on stderr; Anvil reports failures itself.
void quiet_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string utf8_of(const poppler::ustring& s) {
  const poppler::byte_array bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// Page text cleaned for indexing: "\r\n" -> "\n", form feeds dropped, trailing spaces of lines
// removed, ill-formed UTF-8 (never expected from poppler) replaced by U+FFFD.
std::string clean_page_text(std::string_view raw) {
  std::string t;
  if (text::is_valid_utf8(raw)) {
    t.assign(raw);
  } else {
    for (auto [cp, offset] : text::CodePoints(raw)) text::append_utf8(t, cp);
  }
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '\f') continue;
    if (c == '\r') {
      if (i + 1 < t.size() && t[i + 1] == '\n') continue;
      out.push_back('\n');
      continue;
    }
    if (c == '\n') {
      while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    }
    out.push_back(c);
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\t')) out.pop_back();
  return out;
}

}  // namespace

core::Status load_pdf(const FileContext& ctx, DocumentSink& sink) {
  quiet_poppler();
  ANVIL_ASSIGN_OR_RETURN(std::string data, read_whole_file(ctx, "pdf"));
  // Readers accept the header within the first 1024 bytes.
  if (std::string_view(data).substr(0, 1024).find("%PDF-") == std::string_view::npos) {
    return ctx.error(core::StatusCode::kCorrupt, "not a PDF: expected a %PDF- header in the first 1024 bytes");
  }
  if (data.size() > static_cast<size_t>(INT32_MAX)) {
    return ctx.error(core::StatusCode::kResourceExhausted, "PDF larger than 2 GiB");
  }
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(data.data(), static_cast<int>(data.size())));
  if (!doc) return ctx.error(core::StatusCode::kCorrupt, "not a readable PDF (poppler could not parse it)");
  if (doc->is_locked()) return ctx.error(core::StatusCode::kUnsupported, "PDF is encrypted with a password");

  const int pages = doc->pages();
  std::vector<Section> sections;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    Section s;
    s.text = clean_page_text(utf8_of(page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout)));
    s.page = i + 1;
    if (!s.text.empty()) sections.push_back(std::move(s));
  }
  if (sections.empty()) {
    return ctx.error(core::StatusCode::kUnsupported,
                     "no extractable text in " + std::to_string(pages) +
                         (pages == 1 ? " page" : " pages") + " (scanned images need OCR, which Anvil does not do)");
  }
  boost::json::object fields;
  fields["pages"] = pages;
  const std::string author = clean_page_text(utf8_of(doc->get_author()));
  if (!author.empty()) fields["author"] = author;
  const std::string title = clean_page_text(utf8_of(doc->get_title()));
  DocumentInfo info = make_info(ctx, "pdf", ctx.display, title, "", fields);
  return emit_document(sink, info, std::move(sections), ctx.options->max_section_bytes);
}

}  // namespace anvil::rag::loaders
