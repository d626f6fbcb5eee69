// Plain text, streamed in 64 KiB blocks: the text is emitted as Sections of at most
// max_section_bytes, cut at blank lines, then line breaks, then spaces, later ones marked
// continues_previous. Line endings become "\n".
#include <algorithm>
#include <cstdint>
#include <string>

#include "anvil/rag/loaders/loader_common.h"
#include "anvil/rag/loaders/loaders.h"
#include "anvil/rag/loaders/text_stream.h"

namespace anvil::rag::loaders {
namespace {

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos; }

class TextEmitter {
 public:
  TextEmitter(const FileContext& ctx, DocumentSink& sink) : ctx_(ctx), sink_(sink) {
    // At most one section plus one block is held: reserve it so the buffer never doubles.
    text_.reserve(static_cast<size_t>(std::min<uint64_t>(ctx.size, ctx.options->max_section_bytes)) +
                  TextStream::kBlockBytes + 1);
  }

  // Appends a block, turning "\r\n" and "\r" into "\n" (a "\r" at a block end waits for the next).
  core::Status add(std::string_view block) {
    for (char c : block) {
      if (pending_cr_) {
        pending_cr_ = false;
        text_.push_back('\n');
        if (c == '\n') continue;
      }
      if (c == '\r') {
        pending_cr_ = true;
      } else {
        text_.push_back(c);
      }
    }
    const size_t limit = ctx_.options->max_section_bytes;
    while (text_.size() > limit) {
      auto [end, next] = find_cut(text_, limit);
      ANVIL_RETURN_IF_ERROR(emit(std::string_view(text_).substr(0, end)));
      text_.erase(0, next);
    }
    return {};
  }

  core::Status finish() {
    if (pending_cr_) text_.push_back('\n');
    while (!text_.empty() && (text_.back() == '\n' || text_.back() == ' ' || text_.back() == '\t')) text_.pop_back();
    ANVIL_RETURN_IF_ERROR(emit(text_));
    if (!begun_) return ctx_.error(core::StatusCode::kInvalidArgument, "contains no text (only whitespace)");
    return sink_.end_document();
  }

 private:
  core::Status emit(std::string_view piece) {
    if (is_blank(piece)) return {};
    if (!begun_) {
      begun_ = true;
      // Leading blank lines carry nothing.
      const size_t first = piece.find_first_not_of(" \t\n");
      const size_t line_start = piece.rfind('\n', first);
      piece.remove_prefix(line_start == std::string_view::npos ? 0 : line_start + 1);
      ANVIL_RETURN_IF_ERROR(sink_.begin_document(make_info(ctx_, "text", ctx_.display, "", "")));
    }
    Section s;
    s.text.assign(piece);
    s.continues_previous = emitted_;
    emitted_ = true;
    return sink_.add_section(std::move(s));
  }

  const FileContext& ctx_;
  DocumentSink& sink_;
  std::string text_;
  bool pending_cr_ = false;
  bool begun_ = false;
  bool emitted_ = false;
};

}  // namespace

core::Status load_text(const FileContext& ctx, DocumentSink& sink) {
  ANVIL_ASSIGN_OR_RETURN(TextStream stream, TextStream::open(ctx));
  TextEmitter emitter(ctx, sink);
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(std::string_view block, stream.next());
    if (block.empty()) break;
    ANVIL_RETURN_IF_ERROR(emitter.add(block));
  }
  return emitter.finish();
}

}  // namespace anvil::rag::loaders
