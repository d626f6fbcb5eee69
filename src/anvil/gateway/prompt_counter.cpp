#include "anvil/gateway/prompt_counter.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include <boost/json/array.hpp>

#include "anvil/engine/gguf_vocab.h"

namespace anvil::gateway {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMessageFraming = 4;

std::string_view view(const json::string& s) { return {s.data(), s.size()}; }

// Calls `visit(text)` for the text of a message's content: a string, or the "text" parts.
template <typename Visit>
void each_content_text(const json::value& content, Visit&& visit) {
  if (content.is_string()) {
    visit(view(content.get_string()));
    return;
  }
  if (!content.is_array()) return;
  for (const json::value& part : content.get_array()) {
    if (!part.is_object()) continue;
    const json::value* text = part.get_object().if_contains("text");
    if (text != nullptr && text->is_string()) visit(view(text->get_string()));
  }
}

void add_prompt(PromptCount& out, std::int64_t n, int index) {
  out.total += n;
  if (out.largest_index < 0 || n > out.largest) {
    out.largest = n;
    out.largest_index = index;
  }
}

// The inputs of a completions `prompt` or an embeddings `input`: a string, strings, token ids,
// or arrays of token ids. `text(s)` counts a text, `ids(n)` stands for n token ids.
template <typename CountText>
void count_inputs(const json::value* input, CountText&& text, PromptCount& out) {
  const auto add = [&out](std::int64_t n, int index) { add_prompt(out, n, index); };
  if (input == nullptr) return;
  if (input->is_string()) {
    add(text(view(input->get_string())), 0);
    return;
  }
  if (!input->is_array()) return;
  const json::array& items = input->get_array();
  if (!items.empty() && items.front().is_number()) {  // one prompt of token ids
    add(static_cast<std::int64_t>(items.size()), 0);
    return;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const json::value& item = items[i];
    if (item.is_string()) add(text(view(item.get_string())), static_cast<int>(i));
    if (item.is_array()) add(static_cast<std::int64_t>(item.get_array().size()), static_cast<int>(i));
  }
}

std::string_view document_text(const json::value& doc) {
  if (doc.is_string()) return view(doc.get_string());
  if (doc.is_object()) {
    const json::value* text = doc.get_object().if_contains("text");
    if (text != nullptr && text->is_string()) return view(text->get_string());
  }
  return {};
}

// Counts every operation's prompts with `text` for texts; chat through `chat` (the whole
// conversation as one prompt).
template <typename CountText, typename CountChat>
core::Result<PromptCount> count_with(Operation op, const json::object& body, CountText&& text,
                                      CountChat&& chat) {
  PromptCount out;
  switch (op) {
    case Operation::kChatCompletions: {
      ANVIL_ASSIGN_OR_RETURN(out.total, chat());
      out.largest = out.total;
      return out;
    }
    case Operation::kCompletions:
      count_inputs(body.if_contains("prompt"), text, out);
      return out;
    case Operation::kEmbeddings:
      count_inputs(body.if_contains("input"), text, out);
      return out;
    case Operation::kRerank: {
      const json::value* query = body.if_contains("query");
      const json::value* docs = body.if_contains("documents");
      const std::int64_t q = query != nullptr && query->is_string() ? text(view(query->get_string())) : 0;
      if (docs == nullptr || !docs->is_array()) return out;
      const json::array& items = docs->get_array();
      for (std::size_t i = 0; i < items.size(); ++i) {
        add_prompt(out, q + text(document_text(items[i])), static_cast<int>(i));
      }
      return out;
    }
  }
  return out;
}

// The messages' texts, each counted by `text`, plus the framing of each message.
template <typename CountText>
std::int64_t count_messages(const json::object& body, CountText&& text) {
  const json::value* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return 0;
  std::int64_t n = 0;
  for (const json::value& m : messages->get_array()) {
    n += kMessageFraming;
    if (!m.is_object()) continue;
    if (const json::value* content = m.get_object().if_contains("content")) {
      each_content_text(*content, [&](std::string_view t) { n += text(t); });
    }
  }
  return n;
}

bool is_cjk(char32_t c) {
  return (c >= 0x2E80 && c <= 0x9FFF) ||    // CJK radicals, kana, ideographs
         (c >= 0xAC00 && c <= 0xD7AF) ||    // hangul syllables
         (c >= 0xF900 && c <= 0xFAFF) ||    // compatibility ideographs
         (c >= 0xFF00 && c <= 0xFFEF) ||    // full-width forms
         (c >= 0x20000 && c <= 0x3FFFF);    // ideograph extensions
}

std::int64_t estimate_text(std::string_view s) {
  std::int64_t cjk = 0;
  std::int64_t other_bytes = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    char32_t c = len == 1 ? b : b & (0x3F >> (len - 1));
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
      c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    if (len > 1 && is_cjk(c)) {
      ++cjk;
    } else {
      other_bytes += static_cast<std::int64_t>(std::min(len, s.size() - i));
    }
    i += len;
  }
  return cjk + (other_bytes + 2) / 3;
}

}  // namespace

core::Result<std::unique_ptr<PromptTokenizer>> PromptTokenizer::open(const std::filesystem::path& gguf) {
  std::unique_ptr<PromptTokenizer> p(new PromptTokenizer());
  ANVIL_ASSIGN_OR_RETURN(p->file_, engine::GgufFile::open(gguf));
  ANVIL_ASSIGN_OR_RETURN(p->tokenizer_, engine::load_tokenizer(*p->file_));
  auto chat = engine::ChatPrompt::create(*p->file_, *p->tokenizer_);
  if (chat.ok()) p->chat_.emplace(std::move(chat).value());
  return p;
}

core::Result<PromptCount> PromptTokenizer::count(Operation op, const json::object& body) const {
  const auto text = [this](std::string_view t) {
    return static_cast<std::int64_t>(tokenizer_->encode(t, /*add_special=*/false, /*parse_special=*/false).size());
  };
  const auto chat = [&]() -> core::Result<std::int64_t> {
    if (!chat_) return count_messages(body, text);
    const json::value* messages = body.if_contains("messages");
    if (messages == nullptr || !messages->is_array()) return std::int64_t{0};
    std::optional<json::array> tools;
    if (const json::value* t = body.if_contains("tools"); t != nullptr && t->is_array()) tools = t->get_array();
    ANVIL_ASSIGN_OR_RETURN(std::string prompt, chat_->render(messages->get_array(), tools));
    return static_cast<std::int64_t>(chat_->encode(prompt).size());
  };
  return count_with(op, body, text, chat);
}

PromptCount estimate_prompt_tokens(Operation op, const json::object& body) {
  const auto chat = [&]() -> core::Result<std::int64_t> { return count_messages(body, estimate_text); };
  core::Result<PromptCount> r = count_with(op, body, estimate_text, chat);
  PromptCount count = r.ok() ? *r : PromptCount{};
  count.exact = false;
  return count;
}

}  // namespace anvil::gateway
