// The HTTP server alone, for load tests of the interface layer (docs/BENCHMARKS.md, "HTTP
// server"): Anvil's server with every route, in front of an in-process gateway that answers at
// once with a fixed completion (or a stream of --stream-events chunks), so what a load generator
// measures is parsing, validation, admission, routing, response writing and metrics.
//
//   build-x/bench/http_server_bench [--port 0] [--threads 0] [--stream-events 8]
// Prints "listening on http://127.0.0.1:PORT", then serves until SIGINT/SIGTERM.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "anvil/gateway/gateway.h"
#include "anvil/server/http_server.h"
#include "anvil/server/openai_routes.h"
#include "anvil/server/system_routes.h"

namespace {

using namespace anvil;

// Answers every call at once: the cost of a zero-latency upstream without its network hop.
class InstantGateway final : public gateway::Gateway {
 public:
  explicit InstantGateway(int stream_events) : stream_events_(stream_events) {}

  std::vector<gateway::ModelInfo> models() const override { return {{"bench", "anvil"}}; }
  bool has_model(std::string_view m) const override { return m == "bench"; }

  boost::asio::awaitable<gateway::CallResult> complete(gateway::Operation, boost::json::object,
                                                       const gateway::CallContext&) override {
    gateway::CallResult r;
    r.deployment = "instant";
    r.usage = {12, 8, 0, true};
    r.response.body =
        R"({"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench",)"
        R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the bench."},)"
        R"("finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}})";
    co_return r;
  }

  boost::asio::awaitable<gateway::CallResult> stream(gateway::Operation, boost::json::object,
                                                     const gateway::CallContext&,
                                                     gateway::StreamSink& sink) override {
    gateway::CallResult r;
    r.deployment = "instant";
    for (int i = 0; i < stream_events_; ++i) {
      bool delivered = co_await sink.write_event(
          R"({"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,)"
          R"("model":"bench","choices":[{"index":0,"delta":{"content":"tok"}}]})");
      if (!delivered) {
        r.failure = gateway::UpstreamFailure{gateway::FailureKind::kCancelled, 0, std::nullopt,
                                             "client went away", ""};
        co_return r;
      }
    }
    r.usage = {12, static_cast<std::int64_t>(stream_events_), 0, true};
    co_return r;
  }

 private:
  int stream_events_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Anvil's HTTP server in front of an instant gateway, for load tests"};
  server::ServerOptions options;
  options.port = 0;
  int stream_events = 8;
  app.add_option("--host", options.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "Port (0: a free one)")->capture_default_str();
  app.add_option("--threads", options.threads, "I/O threads (0: one per core)")->capture_default_str();
  app.add_option("--stream-events", stream_events, "Chunks per streamed answer")->capture_default_str();
  app.add_option("--max-in-flight", options.max_in_flight, "Admission slots")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  InstantGateway gateway(stream_events);
  server::Router router;
  server::add_system_routes(router);
  server::add_openai_routes(router, gateway, {});
  server::HttpServer http(options, std::move(router));
  if (auto s = http.start(); !s.ok()) {
    std::fprintf(stderr, "http_server_bench: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("listening on http://%s:%d\n", http.host().c_str(), http.port());
  std::fflush(stdout);
  http.run_until_signal();
  return 0;
}
