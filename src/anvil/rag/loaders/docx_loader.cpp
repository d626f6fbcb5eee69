// DOCX (Office Open XML) through libzip + pugixml: paragraphs of word/document.xml in order,
// tables as " | "-joined rows; paragraphs styled as headings (style names "heading N" or an
// outline level in word/styles.xml, or style ids Heading1..9) start sections like Markdown
// headings, "Title" sits above them. Title and author come from docProps/core.xml.
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pugixml.hpp>
#include <zip.h>

#include "anvil/rag/loaders/loader_common.h"
#include "anvil/rag/loaders/loaders.h"
#include "anvil/rag/loaders/section_builder.h"

namespace anvil::rag::loaders {
namespace {

constexpr int kTitleLevel = 0;  // above heading 1
constexpr int kBody = -1;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

// Reads one member; nullopt-like empty + ok=false when absent. Refuses members whose
// uncompressed size exceeds `limit` (zip bombs).
core::Result<std::optional<std::string>> read_member(const FileContext& ctx, zip_t* z, const char* name,
                                                     uint64_t limit) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z, name, 0, &st) != 0) return std::optional<std::string>();
  if ((st.valid & ZIP_STAT_SIZE) == 0 || st.size > limit) {
    return ctx.error(core::StatusCode::kResourceExhausted,
                     std::string(name) + " expands to " + human_bytes(st.size) + ", above the " +
                         human_bytes(limit) + " limit (max_parsed_file_bytes)");
  }
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> f(zip_fopen(z, name, 0), &zip_fclose);
  if (!f) {
    return ctx.error(core::StatusCode::kCorrupt,
                     std::string("not a readable DOCX: cannot open ") + name + ": " + zip_strerror(z));
  }
  std::string data(static_cast<size_t>(st.size), '\0');
  const zip_int64_t got = zip_fread(f.get(), data.data(), st.size);
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
    return ctx.error(core::StatusCode::kCorrupt, std::string("not a readable DOCX: cannot read ") + name + ": " +
                                                      zip_file_strerror(f.get()));
  }
  return std::optional<std::string>(std::move(data));
}

core::Status parse_xml(const FileContext& ctx, const char* name, const std::string& data, pugi::xml_document& doc) {
  const pugi::xml_parse_result r = doc.load_buffer(data.data(), data.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    return ctx.error(core::StatusCode::kCorrupt, std::string("not a readable DOCX: ") + name + ": XML error at byte " +
                                                      std::to_string(r.offset) + ": " + r.description());
  }
  return {};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Heading level a style name or id stands for: "heading 2"/"Heading2" -> 2, "Title" -> 0.
int level_from_name(std::string_view name) {
  const std::string n = lower(name);
  if (n == "title") return kTitleLevel;
  std::string_view rest(n);
  if (!rest.starts_with("heading")) return kBody;
  rest.remove_prefix(7);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.size() == 1 && rest[0] >= '1' && rest[0] <= '9') return rest[0] - '0';
  return kBody;
}

// styleId -> heading level from word/styles.xml.
std::unordered_map<std::string, int> heading_styles(const pugi::xml_document& styles) {
  std::unordered_map<std::string, int> out;
  for (pugi::xml_node s : styles.child("w:styles").children("w:style")) {
    if (std::string_view(s.attribute("w:type").value()) != "paragraph") continue;
    int level = level_from_name(s.child("w:name").attribute("w:val").value());
    if (level == kBody) {
      pugi::xml_attribute outline = s.child("w:pPr").child("w:outlineLvl").attribute("w:val");
      if (outline && outline.as_int(9) < 9) level = outline.as_int() + 1;
    }
    if (level != kBody) out[s.attribute("w:styleId").value()] = level;
  }
  return out;
}

// Text of a paragraph or table cell: runs' w:t, tabs and breaks; deleted text and field codes
// are left out.
void collect_text(pugi::xml_node node, std::string& out) {
  for (pugi::xml_node c : node.children()) {
    const std::string_view name = c.name();
    if (name == "w:t") {
      out += c.text().get();
    } else if (name == "w:tab") {
      out += '\t';
    } else if (name == "w:br" || name == "w:cr") {
      out += '\n';
    } else if (name == "w:noBreakHyphen") {
      out += '-';
    } else if (name == "w:delText" || name == "w:instrText" || name == "w:del" || name == "w:pPr" ||
               name == "w:rPr") {
      continue;
    } else {
      collect_text(c, out);
    }
  }
}

class DocxWalker {
 public:
  DocxWalker(SectionBuilder& b, const std::unordered_map<std::string, int>& styles) : b_(b), styles_(styles) {}

  void body(pugi::xml_node node) {
    for (pugi::xml_node c : node.children()) {
      const std::string_view name = c.name();
      if (name == "w:p") {
        paragraph(c);
      } else if (name == "w:tbl") {
        table(c);
      } else if (name == "w:sdt") {
        body(c.child("w:sdtContent"));
      }
    }
  }

  const std::string& title_paragraph() const { return title_; }

 private:
  int level_of(pugi::xml_node p) const {
    pugi::xml_node ppr = p.child("w:pPr");
    const std::string style = ppr.child("w:pStyle").attribute("w:val").value();
    if (!style.empty()) {
      auto it = styles_.find(style);
      if (it != styles_.end()) return it->second;
      const int by_id = level_from_name(style);
      if (by_id != kBody) return by_id;
    }
    pugi::xml_attribute outline = ppr.child("w:outlineLvl").attribute("w:val");
    if (outline && outline.as_int(9) < 9) return outline.as_int() + 1;
    return kBody;
  }

  void paragraph(pugi::xml_node p) {
    std::string t;
    collect_text(p, t);
    const int level = level_of(p);
    if (level != kBody) {
      if (level == kTitleLevel && title_.empty()) title_ = t;
      b_.begin_heading(level);
      b_.text(t);
      b_.end_heading();
      return;
    }
    b_.paragraph_break();
    b_.text(t, true);
  }

  void table(pugi::xml_node tbl) {
    b_.paragraph_break();
    for (pugi::xml_node tr : tbl.children("w:tr")) {
      b_.line_break();
      bool first = true;
      for (pugi::xml_node tc : tr.children("w:tc")) {
        std::string cell;
        for (pugi::xml_node p : tc.children("w:p")) {
          std::string t;
          collect_text(p, t);
          if (!t.empty()) cell += (cell.empty() ? "" : " ") + t;
        }
        b_.text(first ? cell : " | " + cell, true);
        first = false;
      }
    }
    b_.paragraph_break();
  }

  SectionBuilder& b_;
  const std::unordered_map<std::string, int>& styles_;
  std::string title_;
};

}  // namespace

core::Status load_docx(const FileContext& ctx, DocumentSink& sink) {
  const uint64_t limit = ctx.options->max_parsed_file_bytes;
  if (ctx.size > limit) {
    return ctx.error(core::StatusCode::kResourceExhausted,
                     "file is " + human_bytes(ctx.size) + ", above the " + human_bytes(limit) +
                         " limit for docx files (max_parsed_file_bytes)");
  }
  int err = 0;
  ZipPtr z(zip_open(ctx.path.c_str(), ZIP_RDONLY, &err));
  if (!z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    return ctx.error(core::StatusCode::kCorrupt, "not a readable DOCX: " + why);
  }
  ANVIL_ASSIGN_OR_RETURN(auto document_xml, read_member(ctx, z.get(), "word/document.xml", limit));
  if (!document_xml) {
    return ctx.error(core::StatusCode::kCorrupt, "not a DOCX: the zip archive has no word/document.xml");
  }
  pugi::xml_document doc;
  ANVIL_RETURN_IF_ERROR(parse_xml(ctx, "word/document.xml", *document_xml, doc));
  pugi::xml_node body = doc.child("w:document").child("w:body");
  if (!body) return ctx.error(core::StatusCode::kCorrupt, "not a DOCX: word/document.xml has no w:document/w:body");

  std::unordered_map<std::string, int> styles;
  ANVIL_ASSIGN_OR_RETURN(auto styles_xml, read_member(ctx, z.get(), "word/styles.xml", limit));
  if (styles_xml) {
    pugi::xml_document sdoc;
    ANVIL_RETURN_IF_ERROR(parse_xml(ctx, "word/styles.xml", *styles_xml, sdoc));
    styles = heading_styles(sdoc);
  }
  std::string title;
  std::string author;
  ANVIL_ASSIGN_OR_RETURN(auto core_xml, read_member(ctx, z.get(), "docProps/core.xml", limit));
  if (core_xml) {
    pugi::xml_document cdoc;
    if (cdoc.load_buffer(core_xml->data(), core_xml->size())) {  // optional: ignore damage here
      pugi::xml_node props = cdoc.child("cp:coreProperties");
      title = props.child("dc:title").text().get();
      author = props.child("dc:creator").text().get();
    }
  }

  SectionBuilder builder;
  DocxWalker walker(builder, styles);
  walker.body(body);
  std::vector<Section> sections = builder.finish();
  if (sections.empty()) return ctx.error(core::StatusCode::kInvalidArgument, "contains no text");
  if (title.empty()) title = walker.title_paragraph();
  if (title.empty()) title = builder.first_h1();
  boost::json::object fields;
  if (!author.empty()) fields["author"] = author;
  DocumentInfo info = make_info(ctx, "docx", ctx.display, title, "", fields);
  return emit_document(sink, info, std::move(sections), ctx.options->max_section_bytes);
}

}  // namespace anvil::rag::loaders
