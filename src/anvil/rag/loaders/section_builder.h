// Turns the structural events of a parsed document (headings, paragraph and line breaks, inline
// text) into Sections: one per heading block, each headed by its heading line and carrying the
// chain of enclosing headings. Shared by the Markdown, HTML and DOCX loaders.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "anvil/rag/document.h"

namespace anvil::rag::loaders {

class SectionBuilder {
 public:
  // Text until end_heading() is the heading of `level` (1 = top). Closes the current section.
  void begin_heading(int level);
  void end_heading();

  // Inline text. Unless `verbatim`, leading spaces at the start of a line are dropped.
  void text(std::string_view utf8, bool verbatim = false);
  void paragraph_break();  // a blank line before the next text
  void line_break();       // a line break before the next text
  // A source line wrap: a space before the next text, or nothing between two CJK characters.
  void soft_break();

  bool in_heading() const { return in_heading_; }
  // Text of the first level-1 heading, and of the first heading of any level (title candidates).
  const std::string& first_h1() const { return first_h1_; }
  const std::string& first_heading() const { return first_heading_; }

  // Closes the last section and returns all sections with body text, in order. A heading with
  // no body before the next heading yields no section (it stays in its children's heading_path).
  std::vector<Section> finish();

 private:
  void close_section();

  struct Heading {
    int level;
    std::string text;
  };
  std::vector<Heading> stack_;
  std::string cur_;
  bool cur_has_body_ = false;
  int pending_break_ = 0;  // 0 none, 1 line break, 2 blank line, 3 soft break
  bool in_heading_ = false;
  int heading_level_ = 0;
  std::string heading_text_;
  std::string first_h1_;
  std::string first_heading_;
  std::vector<Section> out_;
};

// Decodes an HTML/Markdown character reference ("&amp;", "&#x4E00;", "&copy;") into UTF-8;
// returns the input unchanged when it is not one Anvil knows.
std::string decode_entity(std::string_view entity);

}  // namespace anvil::rag::loaders
