#include "anvil/gateway/local_provider.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/batch_scheduler.h"
#include "anvil/engine/chat_prompt.h"
#include "anvil/engine/gguf_vocab.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/llama_model.h"
#include "anvil/gateway/local_embeddings.h"
#include "anvil/gateway/local_encoder.h"
#include "anvil/gateway/local_failures.h"
#include "anvil/gateway/local_rerank.h"

namespace anvil::gateway {

namespace asio = boost::asio;
namespace json = boost::json;
using core::Status;

// A decoder (chat and completions, batched by its scheduler) or an encoder (embeddings or rerank):
// `encoder` is set for the latter, `model` and the rest for the former.
struct LocalProvider::Served {
  std::unique_ptr<engine::LlamaModel> model;
  std::unique_ptr<text::Tokenizer> tokenizer;
  std::optional<engine::ChatPrompt> chat;  // absent: the model has no chat template
  Status chat_error;                       // why it is absent
  std::unique_ptr<core::ThreadPool> pool;
  std::unique_ptr<engine::BatchScheduler> scheduler;
  std::unique_ptr<LocalEncoder> encoder;
};

namespace {

std::optional<double> number(const json::object& body, std::string_view key) {
  const json::value* v = body.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

// What one generation request asks for, read from an OpenAI chat or completions body. The server
// has validated the shapes; what is checked here is what only the model can say.
struct Generation {
  std::vector<int32_t> prompt;
  engine::GenerateOptions options;
};

std::variant<Generation, UpstreamFailure> read_generation(const LocalProvider::Served& s, Operation op,
                                                          const json::object& body, int64_t n_ctx) {
  Generation g;
  if (op == Operation::kChatCompletions) {
    if (!s.chat) return local_client_error(400, s.chat_error.message(), "messages");
    const json::value* messages = body.if_contains("messages");
    if (messages == nullptr || !messages->is_array()) {
      return local_client_error(400, "expected 'messages' to be an array of messages", "messages");
    }
    std::optional<json::array> tools;
    if (const json::value* t = body.if_contains("tools"); t != nullptr && t->is_array()) tools = t->get_array();
    auto rendered = s.chat->render(messages->get_array(), tools);
    if (!rendered.ok()) return local_client_error(400, rendered.status().message(), "messages");
    g.prompt = s.chat->encode(*rendered);
  } else if (op == Operation::kCompletions) {
    const json::value* prompt = body.if_contains("prompt");
    if (prompt == nullptr || !prompt->is_string()) {
      return local_client_error(400, "expected 'prompt' to be a string", "prompt");
    }
    const json::string& text = prompt->get_string();
    g.prompt = s.tokenizer->encode(std::string_view(text.data(), text.size()), true, true);
  } else {
    return local_client_error(400, fmt::format("a text generation model answers chat and completions "
                                               "requests, not {}",
                                               operation_path(op)));
  }
  if (g.prompt.empty()) return local_client_error(400, "the prompt is empty", "messages");
  if (static_cast<int64_t>(g.prompt.size()) >= n_ctx) {
    return local_context_overflow(
        fmt::format("This model's maximum context length is {} tokens, but the prompt has {} tokens",
                    n_ctx, g.prompt.size()),
        "messages");
  }

  engine::SamplerParams& p = g.options.sampling;
  // OpenAI's defaults, which differ from llama.cpp's command-line ones.
  p.temperature = static_cast<float>(number(body, "temperature").value_or(1.0));
  p.top_p = static_cast<float>(number(body, "top_p").value_or(1.0));
  p.top_k = static_cast<int32_t>(number(body, "top_k").value_or(0));
  p.min_p = static_cast<float>(number(body, "min_p").value_or(0.0));
  p.repeat_penalty = static_cast<float>(number(body, "repetition_penalty").value_or(1.0));
  p.frequency_penalty = static_cast<float>(number(body, "frequency_penalty").value_or(0.0));
  p.presence_penalty = static_cast<float>(number(body, "presence_penalty").value_or(0.0));
  if (auto seed = number(body, "seed")) p.seed = static_cast<uint64_t>(static_cast<int64_t>(*seed));
  std::optional<double> max_tokens = number(body, "max_completion_tokens");
  if (!max_tokens) max_tokens = number(body, "max_tokens");
  g.options.max_tokens = max_tokens ? static_cast<int64_t>(*max_tokens) : 0;  // 0: up to the context
  g.options.penalize_prompt = false;
  if (const json::value* stop = body.if_contains("stop")) {
    if (stop->is_string()) g.options.stop.emplace_back(stop->get_string());
    if (stop->is_array()) {
      for (const json::value& v : stop->get_array()) {
        if (v.is_string()) g.options.stop.emplace_back(v.get_string());
      }
    }
  }
  return g;
}

std::string_view finish_reason(engine::FinishReason r) {
  switch (r) {
    case engine::FinishReason::kLength:
    case engine::FinishReason::kContext: return "length";
    default: return "stop";
  }
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

// The OpenAI object of a whole answer, or of one stream chunk.
struct AnswerShape {
  Operation op;
  std::string id;
  std::string model;  // the deployment's name: its `model` is a file path, not for clients
  int64_t created;

  json::object base(std::string_view object) const {
    return {{"id", id}, {"object", object}, {"created", created}, {"model", model}};
  }
  std::string answer(const std::string& text, std::string_view finish, const Usage& usage) const {
    json::object o;
    if (op == Operation::kChatCompletions) {
      o = base("chat.completion");
      o["choices"] = json::array{json::object{
          {"index", 0},
          {"message", json::object{{"role", "assistant"}, {"content", text}}},
          {"logprobs", nullptr},
          {"finish_reason", finish}}};
    } else {
      o = base("text_completion");
      o["choices"] = json::array{
          json::object{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish}}};
    }
    o["usage"] = usage_json(usage);
    return json::serialize(o);
  }
  // A chunk carrying `text` (and the role, for the first chat chunk), or the final one.
  std::string chunk(std::string_view text, bool first, std::optional<std::string_view> finish) const {
    json::object choice{{"index", 0}, {"logprobs", nullptr},
                        {"finish_reason", finish ? json::value(*finish) : json::value(nullptr)}};
    json::object o;
    if (op == Operation::kChatCompletions) {
      o = base("chat.completion.chunk");
      json::object delta;
      if (first) delta["role"] = "assistant";
      if (!finish) delta["content"] = text;
      choice["delta"] = std::move(delta);
    } else {
      o = base("text_completion");
      choice["text"] = text;
    }
    o["choices"] = json::array{std::move(choice)};
    return json::serialize(o);
  }
};

// Carries a sequence's text and end from the scheduler thread to the coroutine that asked for it.
// The scheduler side appends under the mutex and posts a wake-up (a timer cancel) to the
// coroutine's executor; the coroutine drains, then waits on the timer. Both the wake-up and the
// coroutine run on that one executor, so a wake-up can never fall between "drained" and "waiting".
class Relay : public std::enable_shared_from_this<Relay> {
 public:
  explicit Relay(asio::any_io_executor ex) : timer_(std::move(ex)) {}

  // Scheduler thread.
  bool on_text(std::string_view piece) {
    {
      std::lock_guard lock(mu_);
      text_.append(piece);
    }
    wake();
    return !client_gone_.load(std::memory_order_relaxed);
  }
  void on_done(core::Result<engine::GenerateResult> r) {
    {
      std::lock_guard lock(mu_);
      result_.emplace(std::move(r));
    }
    wake();
  }

  // Coroutine side.
  struct Drained {
    std::string text;
    bool done = false;
  };
  Drained drain() {
    std::lock_guard lock(mu_);
    Drained d{std::move(text_), result_.has_value()};
    text_.clear();
    return d;
  }
  // Waits for more text or the end, at most until `deadline`; false when the deadline passed.
  asio::awaitable<bool> wait(std::chrono::steady_clock::time_point deadline) {
    timer_.expires_at(deadline);
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return ec == asio::error::operation_aborted;
  }
  void client_gone() { client_gone_.store(true, std::memory_order_relaxed); }
  core::Result<engine::GenerateResult> take_result() {
    std::lock_guard lock(mu_);
    return std::move(*result_);
  }

 private:
  void wake() {
    asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

  std::mutex mu_;
  std::string text_;
  std::optional<core::Result<engine::GenerateResult>> result_;
  std::atomic<bool> client_gone_{false};
  asio::steady_timer timer_;
};

// Runs one generation to its end, streaming text pieces to `on_piece` (which returns false when
// the client is gone). The result, or the failure that explains why there is none.
template <typename OnPiece>
asio::awaitable<std::variant<engine::GenerateResult, UpstreamFailure>> run_generation(
    const LocalProvider::Served& s, const Deployment& d, Generation g,
    std::chrono::steady_clock::time_point deadline, OnPiece on_piece) {
  auto relay = std::make_shared<Relay>(co_await asio::this_coro::executor);
  engine::GenerationJob job;
  job.prompt = std::move(g.prompt);
  job.options = std::move(g.options);
  job.on_text = [relay](std::string_view piece) { return relay->on_text(piece); };
  job.on_done = [relay](core::Result<engine::GenerateResult> r) { relay->on_done(std::move(r)); };
  auto id = s.scheduler->submit(std::move(job));
  if (!id.ok()) co_return local_engine_failure(id.status(), d);

  bool cancelled = false;
  bool timed_out = false;
  for (;;) {
    Relay::Drained drained = relay->drain();
    // `bool x = co_await ...; if (!x)` rather than `if (!co_await ...)`: GCC 12 miscompiles the
    // latter in some coroutines (seen as segfaults in the server's routes).
    if (!drained.text.empty() && !cancelled) {
      const bool delivered = co_await on_piece(drained.text);
      if (!delivered) {
        relay->client_gone();
        s.scheduler->cancel(*id);
        cancelled = true;
      }
    }
    if (drained.done) break;
    const bool woken = co_await relay->wait(cancelled ? std::chrono::steady_clock::time_point::max() : deadline);
    if (!woken && !cancelled) {  // the deadline passed: stop the sequence and wait for its end
      s.scheduler->cancel(*id);
      cancelled = timed_out = true;
    }
  }
  core::Result<engine::GenerateResult> result = relay->take_result();
  if (!result.ok()) co_return local_engine_failure(result.status(), d);
  if (timed_out) {
    UpstreamFailure f;
    f.kind = FailureKind::kTimeout;
    f.message = fmt::format("deployment '{}': the request deadline passed during generation", d.name);
    co_return f;
  }
  co_return std::move(result).value();
}

Usage usage_of(const Generation& g, const engine::GenerateResult& r) {
  Usage u;
  u.prompt_tokens = static_cast<int64_t>(g.prompt.size());
  u.completion_tokens = static_cast<int64_t>(r.tokens.size());
  u.reported = true;
  return u;
}

// The operations a served model answers.
std::vector<Operation> operations_of(const LocalProvider::Served& s) {
  if (!s.encoder) return {Operation::kChatCompletions, Operation::kCompletions};
  return {s.encoder->embedder() != nullptr ? Operation::kEmbeddings : Operation::kRerank};
}

// A request the served model cannot answer (chat on an embedding model, embeddings on a chat
// model): the client's mistake, said with what the deployment does serve.
std::optional<UpstreamFailure> check_operation(const LocalProvider::Served& s, const Deployment& d,
                                               Operation op) {
  const std::vector<Operation> ops = operations_of(s);
  if (std::find(ops.begin(), ops.end(), op) != ops.end()) return std::nullopt;
  std::string paths;
  for (Operation o : ops) paths += fmt::format("{}{}", paths.empty() ? "" : " and ", operation_path(o));
  const std::string what = s.encoder ? s.encoder->describe() : "a text generation model";
  return local_client_error(400, fmt::format("deployment '{}' is {}: it serves {}, not {}", d.name,
                                             what, paths, operation_path(op)),
                            "model", "unsupported_operation");
}

// The generation a request asks of a served model (null: none loaded for the deployment).
std::variant<Generation, UpstreamFailure> prepare(const LocalProvider::Served* s, const Deployment& d,
                                                  const ProviderRequest& request) {
  if (s == nullptr) return local_engine_failure(Status::internal("the model is not loaded"), d);
  if (auto wrong = check_operation(*s, d, request.op)) return std::move(*wrong);
  return read_generation(*s, request.op, request.body, s->scheduler->n_ctx());
}

core::Result<std::unique_ptr<LocalEncoder>> open_encoder(std::unique_ptr<engine::GgufFile> file,
                                                         const LocalProviderOptions& options) {
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<engine::BertModel> model,
                         engine::BertModel::from_file(std::move(file)));
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tokenizer,
                         engine::load_tokenizer(model->file()));
  engine::EncoderOptions eo;
  eo.threads = options.threads;
  eo.max_batch = options.encoder_max_batch;
  eo.max_batch_tokens = options.encoder_batch_tokens;
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<engine::EncoderRuntime> runtime,
                         engine::EncoderRuntime::create(std::move(model), std::move(tokenizer), eo));
  LocalEncoderOptions lo;
  lo.max_waiting = options.max_waiting;
  lo.merge_tokens = options.encoder_batch_tokens;
  return LocalEncoder::create(std::move(runtime), lo);
}

}  // namespace

core::Result<std::unique_ptr<LocalProvider>> LocalProvider::create(std::span<const Deployment> deployments,
                                                                   const LocalProviderOptions& options) {
  std::unique_ptr<LocalProvider> p(new LocalProvider());
  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const Deployment& d : deployments) {
    if (d.provider != "local") continue;
    auto served = std::make_unique<Served>();
    const std::string where = fmt::format("deployment '{}'", d.name);
    auto file = engine::GgufFile::open(d.model);
    if (!file.ok()) return file.status().with_context(where);
    // The architecture decides: BERT-family files are encoders, anything else must be a decoder
    // (LlamaModel says which architectures it knows).
    auto arch = (*file)->get_string("general.architecture");
    if (arch.ok() && *arch == std::optional<std::string_view>("bert")) {
      auto encoder = open_encoder(std::move(file).value(), options);
      if (!encoder.ok()) return encoder.status().with_context(where);
      served->encoder = std::move(encoder).value();
      p->served_[d.name] = std::move(served);
      continue;
    }
    auto model = engine::LlamaModel::from_file(std::move(file).value());
    if (!model.ok()) return model.status().with_context(where);
    served->model = std::move(model).value();
    auto tokenizer = engine::load_tokenizer(served->model->file());
    if (!tokenizer.ok()) return tokenizer.status().with_context(where);
    served->tokenizer = std::move(tokenizer).value();
    auto chat = engine::ChatPrompt::create(served->model->file(), *served->tokenizer);
    if (chat.ok()) {
      served->chat.emplace(std::move(chat).value());
    } else {
      served->chat_error = chat.status();
    }
    if (threads > 1) served->pool = std::make_unique<core::ThreadPool>(static_cast<size_t>(threads - 1));
    engine::BatchSchedulerOptions so;
    so.max_sequences = options.max_sequences;
    so.n_ctx = std::min(options.n_ctx, served->model->config().n_ctx_train);
    so.n_batch = options.n_batch;
    so.max_waiting = options.max_waiting;
    auto scheduler = engine::BatchScheduler::create(*served->model, *served->tokenizer, so, served->pool.get());
    if (!scheduler.ok()) return scheduler.status().with_context(where);
    served->scheduler = std::move(scheduler).value();
    p->served_[d.name] = std::move(served);
  }
  return p;
}

LocalProvider::~LocalProvider() = default;

std::vector<Operation> LocalProvider::operations(const Deployment& deployment) const {
  const Served* s = find(deployment);
  return s == nullptr ? std::vector<Operation>{} : operations_of(*s);
}

const LocalProvider::Served* LocalProvider::find(const Deployment& deployment) const {
  auto it = served_.find(deployment.name);
  return it == served_.end() ? nullptr : it->second.get();
}

core::Result<std::vector<int64_t>> LocalProvider::count_prompts(const Deployment& deployment, Operation op,
                                                                 const json::object& body) const {
  const Served* s = find(deployment);
  if (s == nullptr) return Status::not_found(fmt::format("no local model for deployment '{}'", deployment.name));
  if (auto wrong = check_operation(*s, deployment, op)) return Status::invalid_argument(wrong->message);
  std::vector<int64_t> sizes;
  if (op == Operation::kEmbeddings) {
    auto call = read_embeddings(*s->encoder->embedder(), body);
    if (auto* f = std::get_if<UpstreamFailure>(&call)) return Status::invalid_argument(f->message);
    for (const auto& t : std::get<EmbeddingsCall>(call).work.texts) {
      sizes.push_back(static_cast<int64_t>(t.size()));
    }
  } else if (op == Operation::kRerank) {
    auto call = read_rerank(*s->encoder->reranker(), body);
    if (auto* f = std::get_if<UpstreamFailure>(&call)) return Status::invalid_argument(f->message);
    for (const auto& p : std::get<RerankCall>(call).work.pairs) {
      sizes.push_back(static_cast<int64_t>(p.tokens.size()));
    }
  } else {
    auto g = read_generation(*s, op, body, std::numeric_limits<int64_t>::max());
    if (auto* f = std::get_if<UpstreamFailure>(&g)) return Status::invalid_argument(f->message);
    sizes.push_back(static_cast<int64_t>(std::get<Generation>(g).prompt.size()));
  }
  return sizes;
}

core::Result<int64_t> LocalProvider::count_prompt_tokens(const Deployment& deployment, Operation op,
                                                         const json::object& body) const {
  ANVIL_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, count_prompts(deployment, op, body));
  return std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
}

asio::awaitable<Attempt> LocalProvider::complete(const Deployment& deployment, const ProviderRequest& request) {
  Attempt attempt;
  const Served* s = find(deployment);
  if (s != nullptr && s->encoder) {
    if (auto wrong = check_operation(*s, deployment, request.op)) {
      attempt.failure = std::move(*wrong);
    } else if (request.op == Operation::kEmbeddings) {
      attempt = co_await answer_embeddings(*s->encoder, deployment, request);
    } else {
      attempt = co_await answer_rerank(*s->encoder, deployment, request);
    }
    co_return attempt;
  }
  auto g = prepare(s, deployment, request);
  if (auto* f = std::get_if<UpstreamFailure>(&g)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  Generation gen = std::move(std::get<Generation>(g));
  auto ignore = [](std::string_view) -> asio::awaitable<bool> { co_return true; };
  auto r = co_await run_generation(*s, deployment, gen, request.deadline, ignore);
  if (auto* f = std::get_if<UpstreamFailure>(&r)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  const engine::GenerateResult& result = std::get<engine::GenerateResult>(r);
  const Usage usage = usage_of(gen, result);
  const AnswerShape shape{request.op, "chatcmpl-" + request.request_id, deployment.name, unix_now()};
  attempt.response.usage = usage;
  attempt.response.body = shape.answer(result.text, finish_reason(result.finish), usage);
  co_return attempt;
}

asio::awaitable<StreamAttempt> LocalProvider::stream(const Deployment& deployment, const ProviderRequest& request,
                                                     StreamSink& sink) {
  StreamAttempt attempt;
  const Served* s = find(deployment);
  if (s != nullptr && s->encoder) {  // embeddings and rerank answers are whole JSON documents
    attempt.failure = check_operation(*s, deployment, request.op);
    if (!attempt.failure) {
      attempt.failure = local_client_error(
          400,
          fmt::format("{} answers are not streamed: expected 'stream' false or absent",
                      operation_path(request.op)),
          "stream");
    }
    co_return attempt;
  }
  auto g = prepare(s, deployment, request);
  if (auto* f = std::get_if<UpstreamFailure>(&g)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  Generation gen = std::move(std::get<Generation>(g));
  Generation counted{gen.prompt, {}};
  const AnswerShape shape{request.op, "chatcmpl-" + request.request_id, deployment.name, unix_now()};
  bool first = true;
  bool client_gone = false;  // once the sink says so, nothing more is written to it
  auto relay_piece = [&](std::string_view piece) -> asio::awaitable<bool> {
    const bool delivered = co_await sink.write_event(shape.chunk(piece, first, std::nullopt));
    client_gone = !delivered;
    first = false;
    co_return !client_gone;
  };
  auto r = co_await run_generation(*s, deployment, std::move(gen), request.deadline, relay_piece);
  if (auto* f = std::get_if<UpstreamFailure>(&r)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  const engine::GenerateResult& result = std::get<engine::GenerateResult>(r);
  attempt.usage = usage_of(counted, result);
  if (!client_gone && result.finish != engine::FinishReason::kCancelled) {
    bool delivered = true;
    if (first) delivered = co_await sink.write_event(shape.chunk("", true, std::nullopt));
    if (delivered) co_await sink.write_event(shape.chunk("", false, finish_reason(result.finish)));
  }
  co_return attempt;
}

}  // namespace anvil::gateway
