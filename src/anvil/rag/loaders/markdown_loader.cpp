// Markdown (CommonMark + GitHub tables) through md4c: one Section per heading block, headed by its
// heading line, heading_path = the chain of headings. Raw HTML is dropped; YAML front matter is
// skipped, its `title:` used as the title.
#include <string>
#include <vector>

#include <md4c.h>

#include "anvil/rag/loaders/loader_common.h"
#include "anvil/rag/loaders/loaders.h"
#include "anvil/rag/loaders/section_builder.h"

namespace anvil::rag::loaders {
namespace {

struct MarkdownState {
  SectionBuilder builder;
  struct List {
    bool ordered;
    unsigned next;
  };
  std::vector<List> lists;
  int cell = 0;          // index of the current table cell in its row
  int code_depth = 0;    // inside a fenced or indented code block
};

int enter_block(MD_BLOCKTYPE type, void* detail, void* user) {
  auto& st = *static_cast<MarkdownState*>(user);
  auto& b = st.builder;
  switch (type) {
    case MD_BLOCK_H:
      b.begin_heading(static_cast<int>(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level));
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      // A nested list continues its parent item's lines; a top-level one is a paragraph.
      if (st.lists.empty()) b.paragraph_break();
      st.lists.push_back({type == MD_BLOCK_OL,
                          type == MD_BLOCK_OL ? static_cast<MD_BLOCK_OL_DETAIL*>(detail)->start : 0});
      break;
    case MD_BLOCK_LI:
      b.line_break();
      if (!st.lists.empty()) {
        auto& list = st.lists.back();
        const std::string indent(2 * (st.lists.size() - 1), ' ');
        b.text(indent + (list.ordered ? std::to_string(list.next++) + ". " : "- "), true);
      }
      break;
    case MD_BLOCK_CODE:
      b.paragraph_break();
      ++st.code_depth;
      break;
    case MD_BLOCK_TR:
      b.line_break();
      st.cell = 0;
      break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (st.cell++ > 0) b.text(" | ", true);
      break;
    case MD_BLOCK_P:
      // Paragraphs inside list items stay on the item's line.
      if (st.lists.empty()) b.paragraph_break();
      break;
    case MD_BLOCK_QUOTE:
    case MD_BLOCK_TABLE:
    case MD_BLOCK_HR:
    case MD_BLOCK_HTML:
      b.paragraph_break();
      break;
    default:
      break;
  }
  return 0;
}

int leave_block(MD_BLOCKTYPE type, void*, void* user) {
  auto& st = *static_cast<MarkdownState*>(user);
  auto& b = st.builder;
  switch (type) {
    case MD_BLOCK_H:
      b.end_heading();
      break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      st.lists.pop_back();
      if (st.lists.empty()) b.paragraph_break();
      break;
    case MD_BLOCK_CODE:
      --st.code_depth;
      b.paragraph_break();
      break;
    case MD_BLOCK_P:
      if (st.lists.empty()) b.paragraph_break();
      break;
    case MD_BLOCK_QUOTE:
    case MD_BLOCK_TABLE:
      b.paragraph_break();
      break;
    default:
      break;
  }
  return 0;
}

int enter_span(MD_SPANTYPE, void*, void*) { return 0; }
int leave_span(MD_SPANTYPE, void*, void*) { return 0; }

int on_text(MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* user) {
  auto& st = *static_cast<MarkdownState*>(user);
  const std::string_view t(text, size);
  switch (type) {
    case MD_TEXT_NORMAL:
    case MD_TEXT_LATEXMATH:
      st.builder.text(t);
      break;
    case MD_TEXT_CODE:
      if (st.code_depth > 0) {
        // A code block arrives line by line with its newlines: keep it verbatim.
        st.builder.text(t, true);
      } else {
        st.builder.text(t);
      }
      break;
    case MD_TEXT_ENTITY:
      st.builder.text(decode_entity(t));
      break;
    case MD_TEXT_NULLCHAR:
      st.builder.text("\xEF\xBF\xBD");
      break;
    case MD_TEXT_BR:
      st.builder.line_break();
      break;
    case MD_TEXT_SOFTBR:
      st.builder.soft_break();
      break;
    case MD_TEXT_HTML:
      break;  // raw inline HTML tags carry no text of their own
  }
  return 0;
}

// Skips "---\n...\n---\n" at the top of the file; returns the body and the front matter's title.
std::string_view strip_front_matter(std::string_view md, std::string& title) {
  if (!md.starts_with("---\n")) return md;
  const size_t end = md.find("\n---\n", 3);
  const size_t end_dots = md.find("\n...\n", 3);
  const size_t close = std::min(end, end_dots);
  if (close == std::string_view::npos) return md;
  const std::string_view yaml = md.substr(4, close - 3);
  size_t pos = 0;
  while (pos < yaml.size()) {
    size_t eol = yaml.find('\n', pos);
    if (eol == std::string_view::npos) eol = yaml.size();
    std::string_view line = yaml.substr(pos, eol - pos);
    if (line.starts_with("title:")) {
      line.remove_prefix(6);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
      if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') && line.back() == line.front()) {
        line = line.substr(1, line.size() - 2);
      }
      title = std::string(line);
    }
    pos = eol + 1;
  }
  return md.substr(close + 5);
}

}  // namespace

core::Status load_markdown(const FileContext& ctx, DocumentSink& sink) {
  ANVIL_ASSIGN_OR_RETURN(std::string raw, read_whole_file(ctx, "markdown"));
  ANVIL_RETURN_IF_ERROR(check_text(ctx, raw));
  const std::string md = normalize_newlines(strip_bom(raw));
  std::string title;
  const std::string_view body = strip_front_matter(md, title);

  MarkdownState st;
  MD_PARSER parser{};
  parser.abi_version = 0;
  parser.flags = MD_DIALECT_GITHUB;
  parser.enter_block = enter_block;
  parser.leave_block = leave_block;
  parser.enter_span = enter_span;
  parser.leave_span = leave_span;
  parser.text = on_text;
  if (md_parse(body.data(), static_cast<MD_SIZE>(body.size()), &parser, &st) != 0) {
    return ctx.error(core::StatusCode::kCorrupt, "markdown parser (md4c) failed");
  }
  std::vector<Section> sections = st.builder.finish();
  if (sections.empty()) return ctx.error(core::StatusCode::kInvalidArgument, "contains no text");
  if (title.empty()) title = st.builder.first_h1();
  DocumentInfo info = make_info(ctx, "markdown", ctx.display, title, "");
  return emit_document(sink, info, std::move(sections), ctx.options->max_section_bytes);
}

}  // namespace anvil::rag::loaders
