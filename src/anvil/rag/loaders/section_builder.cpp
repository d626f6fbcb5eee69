#include "anvil/rag/loaders/section_builder.h"

#include <charconv>
#include <utility>

#include "anvil/text/utf8.h"

namespace anvil::rag::loaders {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

// Collapses whitespace runs to one space and trims: heading texts are single lines.
std::string one_line(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (is_space(c)) {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
  }
  return out;
}

char32_t last_code_point(std::string_view s) {
  if (s.empty()) return 0;
  size_t pos = text::floor_boundary(s, s.size() - 1);
  return text::decode_utf8(s, pos);
}

char32_t first_code_point(std::string_view s) {
  if (s.empty()) return 0;
  size_t pos = 0;
  return text::decode_utf8(s, pos);
}

// Ideographic punctuation counts as CJK for joining wrapped lines.
bool joins_without_space(char32_t cp) {
  return text::is_cjk(cp) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFFEF);
}

}  // namespace

void SectionBuilder::begin_heading(int level) {
  close_section();
  in_heading_ = true;
  heading_level_ = level;
  heading_text_.clear();
}

void SectionBuilder::end_heading() {
  if (!in_heading_) return;
  in_heading_ = false;
  std::string heading = one_line(heading_text_);
  if (heading.empty()) return;
  while (!stack_.empty() && stack_.back().level >= heading_level_) stack_.pop_back();
  stack_.push_back({heading_level_, heading});
  if (first_heading_.empty()) first_heading_ = heading;
  if (heading_level_ == 1 && first_h1_.empty()) first_h1_ = heading;
  cur_ = std::move(heading);
  cur_has_body_ = false;
  pending_break_ = 2;
}

void SectionBuilder::text(std::string_view t, bool verbatim) {
  if (t.empty()) return;
  if (in_heading_) {
    heading_text_.append(t);
    return;
  }
  if (!verbatim && is_blank(t)) {
    // Whitespace between blocks (HTML source indentation) is at most one space inside a line.
    if (pending_break_ == 0 && !cur_.empty() && !is_space(cur_.back())) cur_.push_back(' ');
    return;
  }
  if (pending_break_ != 0 && !cur_.empty()) {
    if (pending_break_ == 3) {
      const bool tight = joins_without_space(last_code_point(cur_)) && joins_without_space(first_code_point(t));
      if (!tight && !is_space(cur_.back())) cur_.push_back(' ');
    } else {
      while (!cur_.empty() && is_space(cur_.back())) cur_.pop_back();  // e.g. a code block's last "\n"
      cur_.append(pending_break_ == 2 ? "\n\n" : "\n");
    }
  }
  pending_break_ = 0;
  const bool line_start = cur_.empty() || cur_.back() == '\n';
  if (line_start && !verbatim) {
    size_t k = 0;
    while (k < t.size() && (t[k] == ' ' || t[k] == '\t')) ++k;
    t.remove_prefix(k);
    if (t.empty()) return;
  }
  // Collapse a space run across two calls ("a " + " b").
  if (!verbatim && !cur_.empty() && cur_.back() == ' ' && t.front() == ' ') t.remove_prefix(1);
  cur_.append(t);
  if (!cur_has_body_ && !is_blank(t)) cur_has_body_ = true;
}

void SectionBuilder::paragraph_break() {
  if (in_heading_) return;
  pending_break_ = 2;
}

void SectionBuilder::line_break() {
  if (in_heading_) {
    heading_text_.push_back(' ');
    return;
  }
  if (pending_break_ != 2) pending_break_ = 1;
}

void SectionBuilder::soft_break() {
  if (in_heading_) {
    heading_text_.push_back(' ');
    return;
  }
  if (pending_break_ == 0) pending_break_ = 3;
}

void SectionBuilder::close_section() {
  if (cur_has_body_) {
    while (!cur_.empty() && is_space(cur_.back())) cur_.pop_back();
    Section s;
    s.text = std::move(cur_);
    for (const auto& h : stack_) s.heading_path.push_back(h.text);
    out_.push_back(std::move(s));
  }
  cur_.clear();
  cur_has_body_ = false;
  pending_break_ = 0;
}

std::vector<Section> SectionBuilder::finish() {
  end_heading();
  close_section();
  return std::move(out_);
}

std::string decode_entity(std::string_view e) {
  if (e.size() < 3 || e.front() != '&' || e.back() != ';') return std::string(e);
  const std::string_view name = e.substr(1, e.size() - 2);
  std::string out;
  if (name.front() == '#') {
    unsigned long cp = 0;
    const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    const std::string_view digits = name.substr(hex ? 2 : 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (ec != std::errc() || p != digits.data() + digits.size() || cp == 0 || cp > 0x10FFFF) {
      return std::string(e);
    }
    text::append_utf8(out, static_cast<char32_t>(cp));
    return out;
  }
  static constexpr std::pair<std::string_view, char32_t> kNamed[] = {
      {"amp", U'&'},      {"lt", U'<'},       {"gt", U'>'},      {"quot", U'"'},    {"apos", U'\''},
      {"nbsp", U' '},     {"copy", U'©'},     {"reg", U'®'},     {"trade", U'™'},   {"mdash", U'—'},
      {"ndash", U'–'},    {"hellip", U'…'},   {"laquo", U'«'},   {"raquo", U'»'},   {"ldquo", U'“'},
      {"rdquo", U'”'},    {"lsquo", U'‘'},    {"rsquo", U'’'},   {"deg", U'°'},     {"plusmn", U'±'},
      {"times", U'×'},    {"divide", U'÷'},   {"middot", U'·'},  {"bull", U'•'},    {"le", U'≤'},
      {"ge", U'≥'},       {"ne", U'≠'},       {"micro", U'µ'},   {"euro", U'€'},    {"yen", U'¥'},
      {"pound", U'£'},    {"cent", U'¢'},     {"sect", U'§'},    {"para", U'¶'},    {"frac12", U'½'},
      {"frac14", U'¼'},   {"sup2", U'²'},     {"sup3", U'³'},    {"rarr", U'→'},    {"larr", U'←'},
      {"harr", U'↔'},     {"ensp", U' '},     {"emsp", U' '},    {"thinsp", U' '},  {"shy", U'\u00AD'},
      {"zwj", U'\u200D'}, {"zwnj", U'\u200C'}, {"iexcl", U'¡'},  {"iquest", U'¿'},  {"ordm", U'º'},
      {"alpha", U'α'},    {"beta", U'β'},     {"gamma", U'γ'},   {"delta", U'δ'},   {"mu", U'μ'},
      {"pi", U'π'},       {"sigma", U'σ'},    {"omega", U'ω'},   {"Omega", U'Ω'},   {"check", U'✓'},
  };
  for (const auto& [n, cp] : kNamed) {
    if (n == name) {
      text::append_utf8(out, cp);
      return out;
    }
  }
  return std::string(e);
}

}  // namespace anvil::rag::loaders
