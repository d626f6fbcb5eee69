// HTML through gumbo (the HTML5 parsing algorithm): the <title>, and the visible text of the
// body only. Dropped: head, script, style, noscript, template, nav, svg, iframe, object, forms'
// select/option and anything marked hidden. Block elements become paragraph breaks, h1-h6 start
// sections with heading paths as in Markdown, table cells are joined by " | ".
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include <gumbo.h>

#include "anvil/rag/loaders/loader_common.h"
#include "anvil/rag/loaders/loaders.h"
#include "anvil/rag/loaders/section_builder.h"
#include "anvil/text/utf8.h"

namespace anvil::rag::loaders {
namespace {

bool is_skipped(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_HEAD: case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_NAV: case GUMBO_TAG_SVG: case GUMBO_TAG_MATH:
    case GUMBO_TAG_IFRAME: case GUMBO_TAG_OBJECT: case GUMBO_TAG_EMBED: case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_SELECT: case GUMBO_TAG_DATALIST: case GUMBO_TAG_BUTTON: case GUMBO_TAG_INPUT:
    case GUMBO_TAG_TEXTAREA: case GUMBO_TAG_AUDIO: case GUMBO_TAG_VIDEO: case GUMBO_TAG_MAP:
      return true;
    default:
      return false;
  }
}

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_PRE: case GUMBO_TAG_ADDRESS: case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_FORM: case GUMBO_TAG_FIELDSET: case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY: case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_DD:
    case GUMBO_TAG_TABLE: case GUMBO_TAG_CAPTION: case GUMBO_TAG_HR: case GUMBO_TAG_UL:
    case GUMBO_TAG_OL: case GUMBO_TAG_BODY: case GUMBO_TAG_CENTER: case GUMBO_TAG_LEGEND:
      return true;
    default:
      return false;
  }
}

int heading_level(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1: return 1;
    case GUMBO_TAG_H2: return 2;
    case GUMBO_TAG_H3: return 3;
    case GUMBO_TAG_H4: return 4;
    case GUMBO_TAG_H5: return 5;
    case GUMBO_TAG_H6: return 6;
    default: return 0;
  }
}

// hidden, aria-hidden="true" or an inline style with display:none / visibility:hidden.
bool is_hidden(const GumboElement& el) {
  if (gumbo_get_attribute(&el.attributes, "hidden") != nullptr) return true;
  if (const GumboAttribute* a = gumbo_get_attribute(&el.attributes, "aria-hidden")) {
    if (std::string_view(a->value) == "true") return true;
  }
  if (const GumboAttribute* a = gumbo_get_attribute(&el.attributes, "style")) {
    std::string style;
    for (const char* p = a->value; *p; ++p) {
      if (*p != ' ' && *p != '\t') style.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
    }
    if (style.find("display:none") != std::string::npos || style.find("visibility:hidden") != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Collapses whitespace as a browser renders it: runs become one space, except that a run holding
// a line break between two CJK characters disappears (Chinese wraps lines without spaces).
std::string collapse_whitespace(std::string_view in) {
  // A no-break space (&nbsp;) separates words like a space; indexing wants a plain one.
  std::string nbsp_free;
  std::string_view s = in;
  if (in.find("\xC2\xA0") != std::string_view::npos) {
    nbsp_free.assign(in);
    for (size_t p = nbsp_free.find("\xC2\xA0"); p != std::string::npos; p = nbsp_free.find("\xC2\xA0", p)) {
      nbsp_free.replace(p, 2, " ");
    }
    s = nbsp_free;
  }
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (!is_ws(s[i])) {
      out.push_back(s[i++]);
      continue;
    }
    size_t j = i;
    bool newline = false;
    while (j < s.size() && is_ws(s[j])) newline |= s[j++] == '\n';
    bool drop = false;
    if (newline && !out.empty() && j < s.size()) {
      size_t prev = text::floor_boundary(out, out.size() - 1);
      size_t next = j;
      drop = text::is_cjk(text::decode_utf8(out, prev)) && text::is_cjk(text::decode_utf8(s, next));
    }
    if (!drop) out.push_back(' ');
    i = j;
  }
  return out;
}

// The text under `node`; iterative, like every walk here, so that nesting depth cannot overflow.
std::string node_text(const GumboNode* node) {
  std::string out;
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
      out += n->v.text.text;
    } else if (n->type == GUMBO_NODE_ELEMENT) {
      const GumboVector& kids = n->v.element.children;
      for (unsigned i = kids.length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
    }
  }
  return out;
}

// The text of the first <title> in document order, whitespace collapsed and trimmed.
std::string find_title(const GumboNode* root) {
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type != GUMBO_NODE_ELEMENT) continue;
    if (n->v.element.tag == GUMBO_TAG_TITLE) {
      std::string t = collapse_whitespace(node_text(n));
      const size_t b = t.find_first_not_of(' ');
      if (b == std::string::npos) continue;
      return t.substr(b, t.find_last_not_of(' ') - b + 1);
    }
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = kids.length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
  }
  return {};
}

class HtmlWalker {
 public:
  explicit HtmlWalker(SectionBuilder& b) : b_(b) {}

  // Depth-first with an explicit stack: deeply nested pages cannot overflow the call stack.
  void walk(const GumboNode* root) {
    struct Frame {
      const GumboNode* node;
      unsigned next;
    };
    std::vector<Frame> stack;
    if (enter(root)) stack.push_back({root, 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      const GumboVector& kids = f.node->v.element.children;
      if (f.next < kids.length) {
        const auto* child = static_cast<const GumboNode*>(kids.data[f.next++]);
        if (enter(child)) stack.push_back({child, 0});
      } else {
        leave(f.node);
        stack.pop_back();
      }
    }
  }

 private:
  // Handles a node on the way down; true when its children should be visited.
  bool enter(const GumboNode* node) {
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        if (pre_depth_ > 0) {
          b_.text(node->v.text.text, true);
        } else {
          b_.text(collapse_whitespace(node->v.text.text));
        }
        return false;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
      default:
        return false;
    }
    const GumboElement& el = node->v.element;
    if (node->type == GUMBO_NODE_TEMPLATE || is_skipped(el.tag) || is_hidden(el)) return false;
    if (const int level = heading_level(el.tag)) {
      b_.begin_heading(level);
    } else if (el.tag == GUMBO_TAG_BR) {
      b_.line_break();
    } else if (el.tag == GUMBO_TAG_LI) {
      b_.line_break();
      if (!lists_.empty()) {
        auto& list = lists_.back();
        b_.text(std::string(2 * (lists_.size() - 1), ' ') +
                    (list.ordered ? std::to_string(list.next++) + ". " : "- "),
                true);
      }
    } else if (el.tag == GUMBO_TAG_TR) {
      b_.line_break();
      cells_.push_back(0);
    } else if (el.tag == GUMBO_TAG_TD || el.tag == GUMBO_TAG_TH) {
      if (!cells_.empty() && cells_.back()++ > 0) b_.text(" | ", true);
    } else if (is_block(el.tag)) {
      if ((el.tag == GUMBO_TAG_UL || el.tag == GUMBO_TAG_OL) && !lists_.empty()) {
        b_.line_break();
      } else {
        b_.paragraph_break();
      }
      if (el.tag == GUMBO_TAG_PRE) ++pre_depth_;
      if (el.tag == GUMBO_TAG_UL || el.tag == GUMBO_TAG_OL) {
        unsigned start = 1;
        if (const GumboAttribute* a = gumbo_get_attribute(&el.attributes, "start")) {
          start = static_cast<unsigned>(std::strtoul(a->value, nullptr, 10));
        }
        lists_.push_back({el.tag == GUMBO_TAG_OL, start});
      }
    }
    return true;
  }

  void leave(const GumboNode* node) {
    if (node->type != GUMBO_NODE_ELEMENT) return;
    const GumboTag tag = node->v.element.tag;
    if (heading_level(tag) != 0) {
      b_.end_heading();
    } else if (tag == GUMBO_TAG_TR) {
      if (!cells_.empty()) cells_.pop_back();
    } else if (is_block(tag)) {
      if (tag == GUMBO_TAG_PRE) --pre_depth_;
      if (tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL) lists_.pop_back();
      if (lists_.empty()) b_.paragraph_break();
    }
  }

  struct List {
    bool ordered;
    unsigned next;
  };
  SectionBuilder& b_;
  std::vector<List> lists_;
  std::vector<int> cells_;
  int pre_depth_ = 0;
};

}  // namespace

core::Status load_html(const FileContext& ctx, DocumentSink& sink) {
  ANVIL_ASSIGN_OR_RETURN(std::string raw, read_whole_file(ctx, "html"));
  ANVIL_RETURN_IF_ERROR(check_text(ctx, raw));
  const std::string_view html = strip_bom(raw);

  GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
  if (out == nullptr) return ctx.error(core::StatusCode::kCorrupt, "HTML parser (gumbo) failed");
  std::string title = find_title(out->root);
  SectionBuilder builder;
  HtmlWalker(builder).walk(out->root);
  gumbo_destroy_output(&kGumboDefaultOptions, out);

  std::vector<Section> sections = builder.finish();
  if (sections.empty()) return ctx.error(core::StatusCode::kInvalidArgument, "contains no visible text");
  if (title.empty()) title = builder.first_h1();
  DocumentInfo info = make_info(ctx, "html", ctx.display, title, "");
  return emit_document(sink, info, std::move(sections), ctx.options->max_section_bytes);
}

}  // namespace anvil::rag::loaders
