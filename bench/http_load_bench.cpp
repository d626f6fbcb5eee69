// HTTP load generator for the gateway figures (docs/BENCHMARKS.md, "Gateway"): keep-alive
// connections sending one request at a time each, either
//   closed loop: every connection sends its next request as soon as the last answer is in, or
//   open loop (--rate R): request k of connection c is due at t0 + (c + k * N) / R, and its
//       latency counts from that due time, so a server that falls behind shows its queueing
//       delay instead of silently lowering the offered load (the wrk2 correction).
// --stream reads every answer as a complete SSE stream and counts one without "data: [DONE]"
// as an error. Latencies go into a log-bucketed histogram (1/32 relative resolution).
//
//   build-x/bench/http_load_bench --url http://127.0.0.1:8080/v1/chat/completions
//       [--connections 256] [--threads 1] [--duration 10] [--warmup 2] [--rate 2000]
//       [--stream] [--body-file request.json] [--header 'Authorization: Bearer k']...
//       [--timeout-ms 30000] [--requests N]
// --requests N sends exactly N requests (closed loop, all counted, no warm-up) and reports the
// throughput over the time they took: for checks that count what the server recorded.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <fmt/format.h>

#include "anvil/gateway/http_endpoint.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Nanosecond values in buckets of 1/32 relative width: below 64 ns one bucket per ns; above,
// the 5 bits after the leading one select the bucket within each power of two.
class Histogram {
 public:
  void record(uint64_t ns) {
    ++counts_[bucket(ns)];
    ++total_;
    max_ = std::max(max_, ns);
  }
  void merge(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }
  uint64_t total() const { return total_; }
  uint64_t max() const { return max_; }
  // The value below which a fraction q of the samples lie (the middle of its bucket).
  double quantile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<uint64_t>(q * double(total_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(double(max_), middle(i));
    }
    return double(max_);
  }

 private:
  static size_t bucket(uint64_t v) {
    if (v < 64) return v;
    int msb = 63 - std::countl_zero(v);
    int shift = msb - 5;
    return size_t(shift + 1) * 32 + ((v >> shift) & 31);
  }
  static double middle(size_t i) {
    if (i < 64) return double(i);
    int shift = int(i / 32) - 1;
    uint64_t top = i % 32 + 32;
    double low = double(top << shift);
    double high = double((top + 1) << shift);
    return (low + high) / 2;
  }
  std::array<uint64_t, 64 * 32> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

struct Config {
  anvil::gateway::HttpEndpoint endpoint;
  std::string target;
  std::string request;  // the whole request, serialized once
  int connections = 256;
  int threads = 1;
  double duration_s = 10;
  double warmup_s = 2;
  double rate = 0;  // requests/s over all connections; 0: closed loop
  bool stream = false;
  std::chrono::milliseconds timeout{30000};
  uint64_t requests = 0;  // > 0: send exactly this many, all counted
};

// What one thread measured; merged after the run.
struct Tally {
  Histogram latency;
  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;
};

struct Run {
  const Config& config;
  Clock::time_point start;         // t0 of the schedule
  Clock::time_point measure_from;  // start + warmup
  Clock::time_point measure_to;    // measure_from + duration
  std::atomic<uint64_t> issued{0};  // requests started, with --requests
};

// One connection's loop. Counts a request when it was sent (closed loop) or due (open loop)
// inside the measured window.
asio::awaitable<void> drive(Run& run, int index, Tally& tally) {
  const Config& config = run.config;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  beast::flat_buffer buffer;
  std::optional<beast::tcp_stream> stream;
  auto address = asio::ip::make_address(config.endpoint.host);
  tcp::endpoint target(address, config.endpoint.port);
  const double period_s = config.rate > 0 ? double(config.connections) / config.rate : 0;
  for (uint64_t k = 0;; ++k) {
    Clock::time_point due = Clock::now();
    if (config.rate > 0) {
      due = run.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                            (double(index) / config.rate) + double(k) * period_s));
      if (due >= run.measure_to) co_return;
      timer.expires_at(due);
      co_await timer.async_wait(kAwait);
    } else if (config.requests > 0) {
      if (run.issued.fetch_add(1) >= config.requests) co_return;
    } else if (due >= run.measure_to) {
      co_return;
    }
    bool counted = config.requests > 0 || due >= run.measure_from;
    auto fail = [&](std::string kind) {
      if (counted) ++tally.errors[std::move(kind)];
      stream.reset();
      buffer.clear();
    };
    if (!stream) {
      stream.emplace(executor);
      stream->expires_after(config.timeout);
      auto [ec] = co_await stream->async_connect(target, kAwait);
      if (ec) {
        fail("connect");
        timer.expires_after(std::chrono::milliseconds(10));  // do not spin on a refusing server
        co_await timer.async_wait(kAwait);
        continue;
      }
      stream->socket().set_option(tcp::no_delay(true));
    }
    stream->expires_after(config.timeout);
    auto [wec, wn] = co_await asio::async_write(*stream, asio::buffer(config.request), kAwait);
    if (wec) {
      fail(wec == beast::error::timeout ? "timeout" : "write");
      continue;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    auto [rec, rn] = co_await http::async_read(*stream, buffer, parser, kAwait);
    if (rec) {
      fail(rec == beast::error::timeout ? "timeout" : "read");
      continue;
    }
    Clock::time_point done = Clock::now();
    auto& response = parser.get();
    bool keep_alive = response.keep_alive();
    if (response.result_int() != 200) {
      fail(fmt::format("status_{}", response.result_int()));
    } else if (config.stream && response.body().find("data: [DONE]") == std::string::npos) {
      fail("stream_incomplete");
    } else if (counted) {
      ++tally.ok;
      tally.latency.record(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(done - due).count()));
    }
    if (!keep_alive) stream.reset();
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CLI::ValidationError("--body-file", "cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Enough descriptors for thousands of connections (the soft limit is often 1024).
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::string url;
  std::string body_file;
  std::vector<std::string> headers;
  CLI::App app{"HTTP load generator: closed or open loop, JSON or SSE answers"};
  app.add_option("--url", url, "http://host:port/path (an IP address as host)")->required();
  app.add_option("--connections", config.connections, "keep-alive connections")->capture_default_str();
  app.add_option("--threads", config.threads, "client threads (each its own io_context)")->capture_default_str();
  app.add_option("--duration", config.duration_s, "measured seconds")->capture_default_str();
  app.add_option("--warmup", config.warmup_s, "seconds run before measuring")->capture_default_str();
  app.add_option("--rate", config.rate, "open loop: requests/s over all connections (0: closed loop)")
      ->capture_default_str();
  app.add_flag("--stream", config.stream, "answers are SSE streams that must end with [DONE]");
  app.add_option("--body-file", body_file, "request body (JSON); default: a short chat request");
  app.add_option("--header", headers, "extra request header 'Name: value' (repeatable)");
  int timeout_ms = 30000;
  app.add_option("--timeout-ms", timeout_ms, "per request")->capture_default_str();
  app.add_option("--requests", config.requests,
                 "closed loop: send exactly this many requests, all counted (no warm-up)");
  CLI11_PARSE(app, argc, argv);
  config.timeout = std::chrono::milliseconds(timeout_ms);

  auto endpoint = anvil::gateway::parse_endpoint(url);
  if (!endpoint.ok() || endpoint->tls) {
    fmt::print(stderr, "http_load_bench: --url: {}\n",
               endpoint.ok() ? "https is not supported" : endpoint.status().message());
    return 2;
  }
  config.endpoint = *endpoint;
  config.target = endpoint->base_path.empty() ? "/" : endpoint->base_path;
  std::string body = body_file.empty()
                         ? std::string(R"({"model":"fake-model","max_tokens":16,)") +
                               (config.stream ? R"("stream":true,)" : "") +
                               R"("messages":[{"role":"user","content":"Say hello to the benchmark"}]})"
                         : read_file(body_file);
  config.request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
      config.target, endpoint->host_header, body.size());
  for (const auto& header : headers) config.request += header + "\r\n";
  config.request += "\r\n" + body;
  raise_file_limit();

  if (config.requests > 0) {
    config.rate = 0;
    config.warmup_s = 0;
  }
  Run run{config, Clock::now(), {}, {}};
  run.start = Clock::now() + std::chrono::milliseconds(50);
  run.measure_from = run.start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(config.warmup_s));
  run.measure_to = run.measure_from + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(config.duration_s));
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<Tally> tallies(size_t(config.threads));
  for (int t = 0; t < config.threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  for (int c = 0; c < config.connections; ++c) {
    int t = c % config.threads;
    asio::co_spawn(*contexts[size_t(t)], drive(run, c, tallies[size_t(t)]), asio::detached);
  }
  std::vector<std::thread> threads;
  for (auto& context : contexts) threads.emplace_back([&context] { context->run(); });
  for (auto& thread : threads) thread.join();
  // With --requests the run lasts as long as they take.
  const double seconds =
      config.requests > 0 ? std::chrono::duration<double>(Clock::now() - run.start).count()
                          : config.duration_s;

  Tally all;
  for (const auto& tally : tallies) {
    all.latency.merge(tally.latency);
    all.ok += tally.ok;
    for (const auto& [kind, n] : tally.errors) all.errors[kind] += n;
  }
  uint64_t errors = 0;
  std::string error_list;
  for (const auto& [kind, n] : all.errors) {
    errors += n;
    error_list += fmt::format(" {}={}", kind, n);
  }
  auto ms = [](double ns) { return ns / 1e6; };
  fmt::print("target {} | {} | {} connections, {} threads | {} s measured after {} s warm-up{}\n",
             url, config.rate > 0 ? fmt::format("open loop at {} req/s", config.rate) : "closed loop",
             config.connections, config.threads, seconds, config.warmup_s,
             config.stream ? " | SSE streams" : "");
  fmt::print("requests {} ok, {} errors{}\n", all.ok, errors, error_list);
  fmt::print("throughput {:.0f} ok/s\n", double(all.ok) / seconds);
  fmt::print("latency ms: p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f}\n",
             ms(all.latency.quantile(0.50)), ms(all.latency.quantile(0.90)),
             ms(all.latency.quantile(0.99)), ms(all.latency.quantile(0.999)),
             ms(double(all.latency.max())));
  return errors == 0 ? 0 : 1;
}
