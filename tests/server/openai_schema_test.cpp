// Golden errors of request validation: a bad body -> the exact parameter and message.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/core/json.h"
#include "anvil/server/openai_schema.h"

namespace anvil::server {
namespace {

using gateway::Operation;

struct Golden {
  Operation op;
  std::string body;
  std::string param;    // "" with message "": the body is valid
  std::string message;
};

std::string check(Operation op, const std::string& body, RequestShape& shape, std::string* param) {
  auto parsed = core::parse_json(body);
  EXPECT_TRUE(parsed.ok()) << body;
  auto error = validate_openai_request(op, parsed->as_object(), shape);
  if (!error) return "";
  *param = error->param;
  return error->message;
}

constexpr Operation kChat = Operation::kChatCompletions;
constexpr Operation kText = Operation::kCompletions;
constexpr Operation kEmbed = Operation::kEmbeddings;
constexpr Operation kRerank = Operation::kRerank;

#define MSGS R"("messages":[{"role":"user","content":"hi"}])"

const std::vector<Golden> kGolden = {
    // Valid bodies.
    {kChat, R"({"model":"m",)" MSGS "}", "", ""},
    {kChat,
     R"({"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:x"}}]},)"
     R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
     R"({"role":"tool","tool_call_id":"c1","content":"42"}],"temperature":0.5,"top_p":1,"n":2,"max_tokens":10,)"
     R"("max_completion_tokens":20,"stop":["a","b"],"seed":-3,"metadata":{"team":"search"},"stream":true,)"
     R"("stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"get_x","parameters":{}}}],)"
     R"("tool_choice":{"type":"function","function":{"name":"get_x"}},"response_format":{"type":"json_object"},"vendor_extension":1})",
     "", ""},
    {kText, R"({"model":"m","prompt":[[1,2],[3]],"max_tokens":0,"echo":true})", "", ""},
    {kEmbed, R"({"model":"m","input":[1,2,3],"encoding_format":"base64","dimensions":64})", "", ""},
    {kRerank, R"({"model":"m","query":"q","documents":["a",{"text":"b"}],"top_n":1})", "", ""},

    // model
    {kChat, "{" MSGS "}", "model", "missing required parameter 'model' (expected a non-empty string)"},
    {kChat, R"({"model":7,)" MSGS "}", "model", "invalid 'model': expected a non-empty string, found number 7"},
    {kChat, R"({"model":"",)" MSGS "}", "model", "invalid 'model': expected a non-empty string, found string \"\""},
    // messages
    {kChat, R"({"model":"m"})", "messages", "missing required parameter 'messages' (expected a non-empty array of messages)"},
    {kChat, R"({"model":"m","messages":[]})", "messages", "invalid 'messages': expected a non-empty array of messages, found an empty array"},
    {kChat, R"({"model":"m","messages":["hi"]})", "messages[0]",
     "invalid 'messages[0]': expected a message object with 'role' and 'content', found string \"hi\""},
    {kChat, R"({"model":"m","messages":[{"content":"hi"}]})", "messages[0].role",
     "missing required parameter 'messages[0].role' (expected one of system, developer, user, assistant, tool, function)"},
    {kChat, R"({"model":"m","messages":[{"role":"robot","content":"hi"}]})", "messages[0].role",
     "invalid 'messages[0].role': expected one of system, developer, user, assistant, tool, function, found string \"robot\""},
    {kChat, R"({"model":"m","messages":[{"role":"user"}]})", "messages[0].content",
     "missing required parameter 'messages[0].content' (expected a string or an array of content parts)"},
    {kChat, R"({"model":"m","messages":[{"role":"user","content":5}]})", "messages[0].content",
     "invalid 'messages[0].content': expected a string or a non-empty array of content parts, found number 5"},
    {kChat, R"({"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]})", "messages[0].content[0].type",
     "invalid 'messages[0].content[0].type': expected one of text, image_url, input_audio, file, refusal, found string \"video\""},
    {kChat, R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]})", "messages[0].content[0].text",
     "missing required parameter 'messages[0].content[0].text' (expected a string)"},
    {kChat, R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]})",
     "messages[0].content[0].image_url.url",
     "missing required parameter 'messages[0].content[0].image_url.url' (expected a non-empty string)"},
    {kChat, R"({"model":"m","messages":[{"role":"assistant"}]})", "messages[0].content",
     "missing required parameter 'messages[0].content' (expected a string or an array of content parts (it may be null only with 'tool_calls'))"},
    {kChat, R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", "messages[0].tool_call_id",
     "missing required parameter 'messages[0].tool_call_id' (expected a non-empty string)"},
    {kChat, R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f"}}]}]})",
     "messages[0].tool_calls[0].function.arguments",
     "missing required parameter 'messages[0].tool_calls[0].function.arguments' (expected a string)"},
    // sampling
    {kChat, R"({"model":"m",)" MSGS R"(,"temperature":2.5})", "temperature",
     "invalid 'temperature': expected a number between 0 and 2, found number 2.5"},
    {kChat, R"({"model":"m",)" MSGS R"(,"temperature":"hot"})", "temperature",
     "invalid 'temperature': expected a number between 0 and 2, found string \"hot\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"top_p":-0.1})", "top_p",
     "invalid 'top_p': expected a number between 0 and 1, found number -0.1"},
    {kChat, R"({"model":"m",)" MSGS R"(,"n":0})", "n", "invalid 'n': expected an integer between 1 and 128, found number 0"},
    {kChat, R"({"model":"m",)" MSGS R"(,"n":1.5})", "n", "invalid 'n': expected an integer between 1 and 128, found number 1.5"},
    {kChat, R"({"model":"m",)" MSGS R"(,"max_tokens":0})", "max_tokens",
     "invalid 'max_tokens': expected an integer >= 1, found number 0"},
    {kChat, R"({"model":"m",)" MSGS R"(,"max_completion_tokens":"10"})", "max_completion_tokens",
     "invalid 'max_completion_tokens': expected an integer >= 1, found string \"10\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"stop":["a","b","c","d","e"]})", "stop",
     "invalid 'stop': expected a string or an array of at most 4 strings, found an array of 5 elements"},
    {kChat, R"({"model":"m",)" MSGS R"(,"stop":["a",1]})", "stop[1]", "invalid 'stop[1]': expected a string, found number 1"},
    {kChat, R"({"model":"m",)" MSGS R"(,"stream":"yes"})", "stream", "invalid 'stream': expected a boolean, found string \"yes\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"stream_options":{"include_usage":true}})", "stream_options",
     "invalid 'stream_options': expected only when 'stream' is true, found it with 'stream' false or absent"},
    {kChat, R"({"model":"m",)" MSGS R"(,"stream":true,"stream_options":{"include_usage":1}})", "stream_options.include_usage",
     "invalid 'stream_options.include_usage': expected a boolean, found number 1"},
    {kChat, R"({"model":"m",)" MSGS R"(,"seed":"x"})", "seed",
     "invalid 'seed': expected an integer, found string \"x\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"metadata":{"team":5}})", "metadata.team",
     "invalid 'metadata.team': expected a string, found number 5"},
    {kChat, R"({"model":"m",)" MSGS R"(,"metadata":"team"})", "metadata",
     "invalid 'metadata': expected an object of at most 16 string values, found string \"team\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"tools":[{"type":"function","function":{"name":"bad name"}}]})", "tools[0].function.name",
     "invalid 'tools[0].function.name': expected 1 to 64 characters among a-z, A-Z, 0-9, '_' and '-', found string \"bad name\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"tools":[{"type":"retrieval"}]})", "tools[0].type",
     "invalid 'tools[0].type': expected one of function, found string \"retrieval\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"tool_choice":"always"})", "tool_choice",
     "invalid 'tool_choice': expected one of none, auto, required, or an object {\"type\":\"function\",\"function\":{\"name\":...}}, found string \"always\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"response_format":{"type":"yaml"}})", "response_format.type",
     "invalid 'response_format.type': expected one of text, json_object, json_schema, found string \"yaml\""},
    {kChat, R"({"model":"m",)" MSGS R"(,"logit_bias":{"50256":-101}})", "logit_bias.50256",
     "invalid 'logit_bias.50256': expected a number between -100 and 100, found number -101"},
    // completions
    {kText, R"({"model":"m"})", "prompt",
     "missing required parameter 'prompt' (expected a string, an array of at most 2048 strings, an array of token ids, or an array of arrays of token ids)"},
    {kText, R"({"model":"m","prompt":["a",2]})", "prompt[1]", "invalid 'prompt[1]': expected a string (like the first element), found number 2"},
    {kText, R"({"model":"m","prompt":"a","best_of":30})", "best_of", "invalid 'best_of': expected an integer between 1 and 20, found number 30"},
    // embeddings
    {kEmbed, R"({"model":"m","input":[]})", "input",
     "invalid 'input': expected a string, an array of at most 2048 strings, an array of token ids, or an array of arrays of token ids, found an empty array"},
    {kEmbed, R"({"model":"m","input":[[1],[]]})", "input[1]",
     "invalid 'input[1]': expected a non-empty array of token ids (integers >= 0), found an empty array"},
    {kEmbed, R"({"model":"m","input":"a","encoding_format":"int8"})", "encoding_format",
     "invalid 'encoding_format': expected one of float, base64, found string \"int8\""},
    // rerank
    {kRerank, R"({"model":"m","documents":["a"]})", "query", "missing required parameter 'query' (expected a non-empty string)"},
    {kRerank, R"({"model":"m","query":"q","documents":[1]})", "documents[0]",
     "invalid 'documents[0]': expected a string or an object with a 'text', found number 1"},
    {kRerank, R"({"model":"m","query":"q","documents":["a"],"top_n":0})", "top_n",
     "invalid 'top_n': expected an integer >= 1, found number 0"},
};

TEST(OpenAiSchema, GoldenErrors) {
  for (const Golden& g : kGolden) {
    RequestShape shape;
    std::string param;
    EXPECT_EQ(check(g.op, g.body, shape, &param), g.message) << g.body;
    EXPECT_EQ(param, g.param) << g.body;
  }
}

TEST(OpenAiSchema, ShapeOfAValidStreamingRequest) {
  RequestShape shape;
  std::string param;
  std::string body = R"({"model":"m",)" MSGS R"(,"stream":true,"stream_options":{"include_usage":true}})";
  ASSERT_EQ(check(kChat, body, shape, &param), "");
  EXPECT_EQ(shape.model, "m");
  EXPECT_TRUE(shape.stream);
  EXPECT_TRUE(shape.include_usage);
  body = R"({"model":"m2",)" MSGS "}";
  RequestShape plain;
  ASSERT_EQ(check(kChat, body, plain, &param), "");
  EXPECT_EQ(plain.model, "m2");
  EXPECT_FALSE(plain.stream);
  EXPECT_FALSE(plain.include_usage);
}

}  // namespace
}  // namespace anvil::server
