#include "anvil/server/openai_schema.h"

#include <limits>
#include <string>

#include <fmt/format.h>

namespace anvil::server {

namespace json = boost::json;

namespace {

constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();
constexpr std::string_view kRoles[] = {"system", "developer", "user", "assistant", "tool", "function"};
constexpr std::string_view kRoleList = "one of system, developer, user, assistant, tool, function";

bool is_token_array(const json::array& a) {
  for (const json::value& v : a) {
    if (!is_integer(v) || integer_value(v) < 0) return false;
  }
  return true;
}

// The shared sampling fields of chat and completions.
bool check_sampling(SchemaCheck& c, const json::object& b) {
  return c.optional_number(b, "temperature", "", 0, 2) && c.optional_number(b, "top_p", "", 0, 1) &&
         c.optional_int(b, "n", "", 1, 128) &&
         c.optional_number(b, "presence_penalty", "", -2, 2) &&
         c.optional_number(b, "frequency_penalty", "", -2, 2) &&
         c.optional_string_or_strings(b, "stop", "", 4) &&
         c.optional_int(b, "seed", "", std::numeric_limits<std::int64_t>::min(), kNoMax) &&
         c.optional_string(b, "user", "") &&
         c.optional_number_map(b, "logit_bias", "", -100, 100) &&
         c.optional_string_map(b, "metadata", "", 16, 64, 512);
}

bool check_stream(SchemaCheck& c, const json::object& b, RequestShape& shape) {
  if (!c.optional_bool(b, "stream", "")) return false;
  const json::value* stream = field(b, "stream");
  shape.stream = stream != nullptr && stream->get_bool();
  const json::value* options = field(b, "stream_options");
  if (options == nullptr) return true;
  if (!options->is_object()) return c.fail("stream_options", "an object", *options);
  if (!shape.stream) {
    return c.fail_with("stream_options",
                       "invalid 'stream_options': expected only when 'stream' is true, found it "
                       "with 'stream' false or absent");
  }
  if (!c.optional_bool(options->get_object(), "include_usage", "stream_options.")) return false;
  const json::value* usage = field(options->get_object(), "include_usage");
  shape.include_usage = usage != nullptr && usage->get_bool();
  return true;
}

bool check_model(SchemaCheck& c, const json::object& b, RequestShape& shape) {
  if (!c.required_string(b, "model", "", true)) return false;
  shape.model = b.at("model").get_string();
  return true;
}

bool check_content_part(SchemaCheck& c, const json::value& v, const std::string& param) {
  if (!v.is_object()) return c.fail(param, "a content part object", v);
  const json::object& part = v.get_object();
  const json::value* type = field(part, "type");
  static constexpr std::string_view kTypes =
      "one of text, image_url, input_audio, file, refusal";
  if (type == nullptr) return c.missing(param + ".type", kTypes);
  std::string prefix = param + ".";
  if (*type == "text") return c.required_string(part, "text", prefix, false);
  if (*type == "refusal") return c.required_string(part, "refusal", prefix, false);
  if (*type == "image_url") {
    const json::value* image = field(part, "image_url");
    if (image == nullptr) return c.missing(prefix + "image_url", "an object with a 'url'");
    if (!image->is_object()) return c.fail(prefix + "image_url", "an object with a 'url'", *image);
    return c.required_string(image->get_object(), "url", prefix + "image_url.", true) &&
           c.optional_choice(image->get_object(), "detail", prefix + "image_url.",
                             {"auto", "low", "high"});
  }
  if (*type == "input_audio") {
    const json::value* audio = field(part, "input_audio");
    if (audio == nullptr) return c.missing(prefix + "input_audio", "an object with 'data' and 'format'");
    if (!audio->is_object()) {
      return c.fail(prefix + "input_audio", "an object with 'data' and 'format'", *audio);
    }
    return c.required_string(audio->get_object(), "data", prefix + "input_audio.", true) &&
           c.required_string(audio->get_object(), "format", prefix + "input_audio.", true);
  }
  if (*type == "file") {
    const json::value* file = field(part, "file");
    if (file == nullptr || !file->is_object()) {
      return file == nullptr ? c.missing(prefix + "file", "an object")
                             : c.fail(prefix + "file", "an object", *file);
    }
    return true;
  }
  return c.fail(param + ".type", kTypes, *type);
}

// content: a string or a non-empty array of parts.
bool check_content(SchemaCheck& c, const json::value& v, const std::string& param) {
  if (v.is_string()) return true;
  if (!v.is_array() || v.get_array().empty()) {
    return c.fail(param, "a string or a non-empty array of content parts", v);
  }
  const json::array& parts = v.get_array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!check_content_part(c, parts[i], fmt::format("{}[{}]", param, i))) return false;
  }
  return true;
}

bool check_tool_calls(SchemaCheck& c, const json::value& v, const std::string& param) {
  if (!v.is_array()) return c.fail(param, "an array of tool calls", v);
  const json::array& calls = v.get_array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    std::string p = fmt::format("{}[{}]", param, i);
    if (!calls[i].is_object()) return c.fail(p, "a tool call object", calls[i]);
    const json::object& call = calls[i].get_object();
    if (!c.required_string(call, "id", p + ".", true) ||
        !c.optional_choice(call, "type", p + ".", {"function"})) {
      return false;
    }
    const json::value* fn = field(call, "function");
    if (fn == nullptr) return c.missing(p + ".function", "an object with 'name' and 'arguments'");
    if (!fn->is_object()) return c.fail(p + ".function", "an object with 'name' and 'arguments'", *fn);
    if (!c.required_string(fn->get_object(), "name", p + ".function.", true) ||
        !c.required_string(fn->get_object(), "arguments", p + ".function.", false)) {
      return false;
    }
  }
  return true;
}

bool check_message(SchemaCheck& c, const json::value& v, std::size_t index) {
  std::string param = fmt::format("messages[{}]", index);
  if (!v.is_object()) return c.fail(param, "a message object with 'role' and 'content'", v);
  const json::object& m = v.get_object();
  const json::value* role = field(m, "role");
  if (role == nullptr) return c.missing(param + ".role", kRoleList);
  std::string_view role_name;
  if (role->is_string()) {
    for (std::string_view r : kRoles) {
      if (role->get_string() == r) role_name = r;
    }
  }
  if (role_name.empty()) return c.fail(param + ".role", kRoleList, *role);
  std::string prefix = param + ".";
  if (!c.optional_string(m, "name", prefix)) return false;

  const json::value* content = field(m, "content");
  const json::value* tool_calls = field(m, "tool_calls");
  if (role_name == "assistant") {
    if (tool_calls != nullptr && !check_tool_calls(c, *tool_calls, prefix + "tool_calls")) return false;
    if (content == nullptr) {
      if (tool_calls != nullptr || field(m, "function_call") != nullptr) return true;
      return c.missing(prefix + "content", "a string or an array of content parts (it may be null "
                                           "only with 'tool_calls')");
    }
    return check_content(c, *content, prefix + "content");
  }
  if (role_name == "tool" && !c.required_string(m, "tool_call_id", prefix, true)) return false;
  if (role_name == "function" && !c.required_string(m, "name", prefix, true)) return false;
  if (content == nullptr) {
    return c.missing(prefix + "content", "a string or an array of content parts");
  }
  return check_content(c, *content, prefix + "content");
}

bool check_tools(SchemaCheck& c, const json::object& b) {
  const json::value* tools = field(b, "tools");
  if (tools != nullptr) {
    if (!tools->is_array()) return c.fail("tools", "an array of tools", *tools);
    const json::array& a = tools->get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      std::string p = fmt::format("tools[{}]", i);
      if (!a[i].is_object()) return c.fail(p, "a tool object", a[i]);
      const json::object& tool = a[i].get_object();
      const json::value* type = field(tool, "type");
      if (type == nullptr) return c.missing(p + ".type", "one of function");
      if (!c.optional_choice(tool, "type", p + ".", {"function"})) return false;
      const json::value* fn = field(tool, "function");
      if (fn == nullptr) return c.missing(p + ".function", "an object with a 'name'");
      if (!fn->is_object()) return c.fail(p + ".function", "an object with a 'name'", *fn);
      const json::object& f = fn->get_object();
      if (!c.required_string(f, "name", p + ".function.", true)) return false;
      std::string_view name = f.at("name").get_string();
      bool name_ok = name.size() <= 64;
      for (char ch : name) {
        bool word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '-';
        name_ok = name_ok && word;
      }
      if (!name_ok) {
        return c.fail(p + ".function.name",
                      "1 to 64 characters among a-z, A-Z, 0-9, '_' and '-'", f.at("name"));
      }
      if (!c.optional_string(f, "description", p + ".function.") ||
          !c.optional_bool(f, "strict", p + ".function.")) {
        return false;
      }
      const json::value* params = field(f, "parameters");
      if (params != nullptr && !params->is_object()) {
        return c.fail(p + ".function.parameters", "a JSON Schema object", *params);
      }
    }
  }
  const json::value* choice = field(b, "tool_choice");
  if (choice == nullptr) return true;
  static constexpr std::string_view kChoice =
      "one of none, auto, required, or an object {\"type\":\"function\",\"function\":{\"name\":...}}";
  if (choice->is_string()) {
    std::string_view s = choice->get_string();
    if (s == "none" || s == "auto" || s == "required") return true;
    return c.fail("tool_choice", kChoice, *choice);
  }
  if (!choice->is_object()) return c.fail("tool_choice", kChoice, *choice);
  const json::value* fn = field(choice->get_object(), "function");
  if (fn == nullptr || !fn->is_object()) return c.fail("tool_choice", kChoice, *choice);
  return c.required_string(fn->get_object(), "name", "tool_choice.function.", true);
}

bool check_response_format(SchemaCheck& c, const json::object& b) {
  const json::value* rf = field(b, "response_format");
  if (rf == nullptr) return true;
  if (!rf->is_object()) return c.fail("response_format", "an object with a 'type'", *rf);
  const json::object& o = rf->get_object();
  if (field(o, "type") == nullptr) {
    return c.missing("response_format.type", "one of text, json_object, json_schema");
  }
  if (!c.optional_choice(o, "type", "response_format.", {"text", "json_object", "json_schema"})) {
    return false;
  }
  if (o.at("type") != "json_schema") return true;
  const json::value* schema = field(o, "json_schema");
  if (schema == nullptr) return c.missing("response_format.json_schema", "an object with a 'name'");
  if (!schema->is_object()) {
    return c.fail("response_format.json_schema", "an object with a 'name'", *schema);
  }
  return c.required_string(schema->get_object(), "name", "response_format.json_schema.", true);
}

bool check_chat(SchemaCheck& c, const json::object& b, RequestShape& shape) {
  if (!check_model(c, b, shape)) return false;
  const json::value* messages = field(b, "messages");
  if (messages == nullptr) return c.missing("messages", "a non-empty array of messages");
  if (!messages->is_array() || messages->get_array().empty()) {
    return c.fail("messages", "a non-empty array of messages", *messages);
  }
  const json::array& list = messages->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!check_message(c, list[i], i)) return false;
  }
  return check_sampling(c, b) && check_stream(c, b, shape) &&
         c.optional_int(b, "max_tokens", "", 1, kNoMax) &&
         c.optional_int(b, "max_completion_tokens", "", 1, kNoMax) &&
         c.optional_bool(b, "logprobs", "") && c.optional_int(b, "top_logprobs", "", 0, 20) &&
         c.optional_bool(b, "parallel_tool_calls", "") && check_tools(c, b) &&
         check_response_format(c, b);
}

// A prompt or an embedding input: a string, an array of strings, an array of token ids, or an
// array of arrays of token ids.
bool check_text_input(SchemaCheck& c, const json::object& b, std::string_view key,
                      std::size_t max_items) {
  std::string expected = fmt::format(
      "a string, an array of at most {} strings, an array of token ids, or an array of arrays of "
      "token ids",
      max_items);
  const json::value* v = field(b, key);
  if (v == nullptr) return c.missing(std::string(key), expected);
  if (v->is_string()) return true;
  if (!v->is_array() || v->get_array().empty()) return c.fail(std::string(key), expected, *v);
  const json::array& a = v->get_array();
  if (is_token_array(a)) return true;
  if (a.size() > max_items) return c.fail(std::string(key), expected, *v);
  bool strings = a[0].is_string();
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string param = fmt::format("{}[{}]", key, i);
    if (strings) {
      if (!a[i].is_string()) return c.fail(param, "a string (like the first element)", a[i]);
    } else if (!a[i].is_array() || a[i].get_array().empty() || !is_token_array(a[i].get_array())) {
      return c.fail(param, "a non-empty array of token ids (integers >= 0)", a[i]);
    }
  }
  return true;
}

bool check_completions(SchemaCheck& c, const json::object& b, RequestShape& shape) {
  return check_model(c, b, shape) && check_text_input(c, b, "prompt", 2048) &&
         check_sampling(c, b) && check_stream(c, b, shape) &&
         c.optional_int(b, "max_tokens", "", 0, kNoMax) && c.optional_bool(b, "echo", "") &&
         c.optional_int(b, "best_of", "", 1, 20) && c.optional_int(b, "logprobs", "", 0, 5) &&
         c.optional_string(b, "suffix", "");
}

bool check_embeddings(SchemaCheck& c, const json::object& b, RequestShape& shape) {
  return check_model(c, b, shape) && check_text_input(c, b, "input", 2048) &&
         c.optional_choice(b, "encoding_format", "", {"float", "base64"}) &&
         c.optional_int(b, "dimensions", "", 1, kNoMax) && c.optional_string(b, "user", "");
}

bool check_rerank(SchemaCheck& c, const json::object& b, RequestShape& shape) {
  if (!check_model(c, b, shape) || !c.required_string(b, "query", "", true)) return false;
  const json::value* docs = field(b, "documents");
  static constexpr std::string_view kDocs =
      "a non-empty array of strings or of objects with a 'text'";
  if (docs == nullptr) return c.missing("documents", kDocs);
  if (!docs->is_array() || docs->get_array().empty()) return c.fail("documents", kDocs, *docs);
  const json::array& a = docs->get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string param = fmt::format("documents[{}]", i);
    if (a[i].is_string()) continue;
    if (!a[i].is_object()) return c.fail(param, "a string or an object with a 'text'", a[i]);
    if (!c.required_string(a[i].get_object(), "text", param + ".", false)) return false;
  }
  return c.optional_int(b, "top_n", "", 1, kNoMax) && c.optional_bool(b, "return_documents", "");
}

}  // namespace

std::optional<ValidationError> validate_openai_request(gateway::Operation op,
                                                       const json::object& body,
                                                       RequestShape& shape) {
  SchemaCheck c;
  switch (op) {
    case gateway::Operation::kChatCompletions: check_chat(c, body, shape); break;
    case gateway::Operation::kCompletions: check_completions(c, body, shape); break;
    case gateway::Operation::kEmbeddings: check_embeddings(c, body, shape); break;
    case gateway::Operation::kRerank: check_rerank(c, body, shape); break;
  }
  return c.take_error();
}

}  // namespace anvil::server
