#include "anvil/text/jinja/template.h"

#include "anvil/text/jinja/evaluator.h"
#include "anvil/text/jinja/lexer.h"
#include "anvil/text/jinja/parser.h"

namespace anvil::text::jinja {

core::Result<Template> Template::parse(std::string_view source, const TemplateOptions& options) {
  Template t;
  t.options_ = options;
  t.source_ = normalize_newlines(source, options.keep_trailing_newline);
  LexOptions lex;
  lex.trim_blocks = options.trim_blocks;
  lex.lstrip_blocks = options.lstrip_blocks;
  lex.keep_trailing_newline = options.keep_trailing_newline;
  auto tokens = tokenize(t.source_, lex);
  if (!tokens.ok()) return tokens.status().with_context(options.name);
  auto body = jinja::parse(t.source_, *tokens);
  if (!body.ok()) return body.status().with_context(options.name);
  t.body_ = std::make_shared<const Body>(std::move(*body));
  return t;
}

core::Result<std::string> Template::render(const std::vector<std::pair<std::string, Value>>& variables) const {
  std::string out;
  bool verbatim = false;
  core::Status st = render_body(source_, *body_, variables, options_.max_steps, out, verbatim);
  if (!st.ok()) return verbatim ? st : st.with_context(options_.name);
  return out;
}

}  // namespace anvil::text::jinja
