// A compiled Jinja2 template (the subset chat templates use; see docs/CHAT_TEMPLATES.md):
// parse once, render many times with different variables. Thread-safe to render concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/jinja/ast.h"
#include "anvil/text/jinja/value.h"

namespace anvil::text::jinja {

struct TemplateOptions {
  // Jinja2's Environment defaults are all false; HF transformers renders chat templates with
  // trim_blocks and lstrip_blocks on.
  bool trim_blocks = false;
  bool lstrip_blocks = false;
  bool keep_trailing_newline = false;
  std::string name = "template";  // prefixes errors: "template: line 2, column 5: ..."
  // Statements plus loop iterations one render may run before it fails with kResourceExhausted.
  // A long chat with tools takes tens of thousands; the cap stops templates that never end.
  uint64_t max_steps = 1'000'000;
};

class Template {
 public:
  // Errors: kInvalidArgument for syntax errors, kUnsupported for valid Jinja2 outside the subset,
  // both as "<name>: line L, column C: what was expected, found what".
  static core::Result<Template> parse(std::string_view source, const TemplateOptions& options = {});

  // Renders with `variables` at the top level (over the globals range, dict and namespace).
  // Errors: "<name>: line L, column C: ...", except an error a verbatim function raised
  // (raise_exception), which is returned unchanged.
  core::Result<std::string> render(const std::vector<std::pair<std::string, Value>>& variables) const;

 private:
  Template() = default;
  std::string source_;  // normalized newlines; error locations refer to it
  std::shared_ptr<const Body> body_;
  TemplateOptions options_;
};

}  // namespace anvil::text::jinja
