#include "anvil/core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "anvil/core/redactor.h"

namespace anvil::core {
namespace {

TEST(MetricsTest, GoldenExposition) {
  MetricsRegistry r;
  Counter* ingested = *r.counter("anvil_documents_ingested_total", "Documents ingested.");
  ingested->inc();
  ingested->inc(2);
  ingested->inc(-5);  // ignored: counters never go down

  CounterFamily* requests = *r.counter_family("anvil_http_requests_total",
                                              "HTTP requests served, by route and status.",
                                              {"route", "code"});
  (*requests->with({"/v1/chat/completions", "200"}))->inc(7);
  (*requests->with({"/v1/embeddings", "429"}))->inc();
  (*requests->with({"/v1/chat/completions", "500"}))->inc(0.5);

  Gauge* queued = *r.gauge("anvil_jobs_queued", "Jobs waiting to run.\nOne line per job kind? No: \\ total.");
  queued->set(4);
  queued->dec();
  queued->inc(0.25);

  GaugeFamily* weird = *r.gauge_family("anvil_label_escaping", "Label values are escaped.", {"v"});
  (*weird->with({"back\\slash \"quoted\"\nnew line 中文"}))->set(-2);

  HistogramFamily* latency = *r.histogram_family(
      "anvil_request_seconds", "Request latency in seconds.", {"route"}, {0.125, 0.5, 1, 2.5});
  Histogram* chat = *latency->with({"/v1/chat"});
  for (double v : {0.0625, 0.125, 0.25, 0.75, 3.0}) chat->observe(v);  // exact in binary

  // Registered but never used: labelled families without children are left out.
  ASSERT_TRUE(r.counter_family("anvil_unused_total", "Never incremented.", {"x"}).ok());

  EXPECT_EQ(r.expose(),
            "# HELP anvil_documents_ingested_total Documents ingested.\n"
            "# TYPE anvil_documents_ingested_total counter\n"
            "anvil_documents_ingested_total 3\n"
            "# HELP anvil_http_requests_total HTTP requests served, by route and status.\n"
            "# TYPE anvil_http_requests_total counter\n"
            "anvil_http_requests_total{route=\"/v1/chat/completions\",code=\"200\"} 7\n"
            "anvil_http_requests_total{route=\"/v1/chat/completions\",code=\"500\"} 0.5\n"
            "anvil_http_requests_total{route=\"/v1/embeddings\",code=\"429\"} 1\n"
            "# HELP anvil_jobs_queued Jobs waiting to run.\\nOne line per job kind? No: \\\\ total.\n"
            "# TYPE anvil_jobs_queued gauge\n"
            "anvil_jobs_queued 3.25\n"
            "# HELP anvil_label_escaping Label values are escaped.\n"
            "# TYPE anvil_label_escaping gauge\n"
            "anvil_label_escaping{v=\"back\\\\slash \\\"quoted\\\"\\nnew line 中文\"} -2\n"
            "# HELP anvil_request_seconds Request latency in seconds.\n"
            "# TYPE anvil_request_seconds histogram\n"
            "anvil_request_seconds_bucket{route=\"/v1/chat\",le=\"0.125\"} 2\n"
            "anvil_request_seconds_bucket{route=\"/v1/chat\",le=\"0.5\"} 3\n"
            "anvil_request_seconds_bucket{route=\"/v1/chat\",le=\"1\"} 4\n"
            "anvil_request_seconds_bucket{route=\"/v1/chat\",le=\"2.5\"} 4\n"
            "anvil_request_seconds_bucket{route=\"/v1/chat\",le=\"+Inf\"} 5\n"
            "anvil_request_seconds_sum{route=\"/v1/chat\"} 4.1875\n"
            "anvil_request_seconds_count{route=\"/v1/chat\"} 5\n");
}

TEST(MetricsTest, HistogramWithoutLabels) {
  MetricsRegistry r;
  Histogram* h = *r.histogram("anvil_tokens", "Tokens per request.", {10, 100});
  h->observe(100);  // bounds are inclusive
  h->observe(std::nan(""));  // ignored
  EXPECT_EQ(r.expose(),
            "# HELP anvil_tokens Tokens per request.\n"
            "# TYPE anvil_tokens histogram\n"
            "anvil_tokens_bucket{le=\"10\"} 0\n"
            "anvil_tokens_bucket{le=\"100\"} 1\n"
            "anvil_tokens_bucket{le=\"+Inf\"} 1\n"
            "anvil_tokens_sum 100\n"
            "anvil_tokens_count 1\n");
}

TEST(MetricsTest, SpecialValues) {
  MetricsRegistry r;
  (*r.gauge("g_inf", "x"))->set(1.0 / 0.0);
  (*r.gauge("g_nan", "x"))->set(std::nan(""));
  (*r.gauge("g_small", "x"))->set(1e-7);
  std::string text = r.expose();
  EXPECT_NE(text.find("g_inf +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g_nan NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g_small 1e-07\n"), std::string::npos) << text;
}

TEST(MetricsTest, NameValidation) {
  MetricsRegistry r;
  EXPECT_EQ(r.counter("1abc", "").status().message(),
            "invalid metric name '1abc': expected [a-zA-Z_:][a-zA-Z0-9_:]*");
  EXPECT_EQ(r.counter("http-requests", "").status().message(),
            "invalid metric name 'http-requests': expected [a-zA-Z_:][a-zA-Z0-9_:]*");
  EXPECT_EQ(r.counter("", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.counter("ns:sub_total", "").ok());
  EXPECT_EQ(r.counter_family("m", "", {"status code"}).status().message(),
            "metric 'm': invalid label name 'status code': expected [a-zA-Z_][a-zA-Z0-9_]*");
  EXPECT_EQ(r.counter_family("m", "", {"a:b"}).status().message(),
            "metric 'm': invalid label name 'a:b': expected [a-zA-Z_][a-zA-Z0-9_]*");
  EXPECT_EQ(r.counter_family("m", "", {"__name__"}).status().message(),
            "metric 'm': label name '__name__' is reserved (names starting with '__' are "
            "Prometheus')");
  EXPECT_EQ(r.counter_family("m", "", {"a", "a"}).status().message(),
            "metric 'm': label name 'a' appears twice");
  EXPECT_EQ(r.histogram_family("h", "", {"le"}, {1}).status().message(),
            "histogram 'h': label name 'le' is reserved for bucket bounds");
  EXPECT_TRUE(r.counter_family("m", "", {"le"}).ok());  // only histograms reserve "le"
}

TEST(MetricsTest, BucketValidation) {
  MetricsRegistry r;
  EXPECT_EQ(r.histogram("h1", "", {1, 0.5}).status().message(),
            "histogram 'h1': bucket bounds must be strictly increasing, found 0.5 after 1");
  EXPECT_EQ(r.histogram("h2", "", {1, 1}).status().message(),
            "histogram 'h2': bucket bounds must be strictly increasing, found 1 after 1");
  EXPECT_EQ(r.histogram("h3", "", {std::nan("")}).status().message(),
            "histogram 'h3': bucket bounds must be finite, found NaN");
  // A trailing +Inf is implicit and accepted.
  Histogram* h = *r.histogram("h4", "", {1, 1.0 / 0.0});
  EXPECT_EQ(h->bounds(), std::vector<double>{1});
  EXPECT_EQ(default_buckets().size(), 11u);
  EXPECT_EQ(exponential_buckets(0.001, 10, 3), (std::vector<double>{0.001, 0.01, 0.1}));
  EXPECT_EQ(linear_buckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
}

TEST(MetricsTest, LabelCountMustMatch) {
  MetricsRegistry r;
  CounterFamily* f = *r.counter_family("anvil_x_total", "", {"route", "code"});
  EXPECT_EQ(f->with({"/v1"}).status().message(),
            "metric 'anvil_x_total' has 2 labels (route, code), found 1 label value");
  CounterFamily* one = *r.counter_family("anvil_y_total", "", {"route"});
  EXPECT_EQ(one->with({"a", "b"}).status().message(),
            "metric 'anvil_y_total' has 1 label (route), found 2 label values");
}

TEST(MetricsTest, ReRegistrationIsIdempotentOrAConflict) {
  MetricsRegistry r;
  Counter* a = *r.counter("anvil_events_total", "Events.");
  Counter* b = *r.counter("anvil_events_total", "Events (other help text).");
  EXPECT_EQ(a, b);
  EXPECT_EQ(r.gauge("anvil_events_total", "").status().message(),
            "metric 'anvil_events_total' is already registered as a counter without labels; "
            "cannot register it as a gauge without labels");
  EXPECT_EQ(r.counter_family("anvil_events_total", "", {"kind"}).status().message(),
            "metric 'anvil_events_total' is already registered as a counter without labels; "
            "cannot register it as a counter with labels (kind)");
  EXPECT_EQ(r.counter_family("anvil_events_total", "", {"kind"}).status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(r.histogram("anvil_h", "", {1, 2}).ok());
  EXPECT_TRUE(r.histogram("anvil_h", "", {1, 2}).ok());
  EXPECT_EQ(r.histogram("anvil_h", "", {1, 3}).status().code(), StatusCode::kAlreadyExists);
}

TEST(MetricsTest, HandlesAreStableAndShared) {
  MetricsRegistry r;
  CounterFamily* f = *r.counter_family("anvil_z_total", "", {"k"});
  Counter* first = *f->with({"a"});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(f->with({"k" + std::to_string(i)}).ok());
  EXPECT_EQ(*f->with({"a"}), first);  // still the same object after many insertions
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry r;
  CounterFamily* f = *r.counter_family("anvil_parallel_total", "", {"worker"});
  Histogram* h = *r.histogram("anvil_parallel_seconds", "", {0.5});
  constexpr int kThreads = 4;
  constexpr int kIncrements = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter* mine = *f->with({std::to_string(t % 2)});
      for (int i = 0; i < kIncrements; ++i) {
        mine->inc();
        h->observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ((*f->with({"0"}))->value(), 2.0 * kIncrements);
  EXPECT_EQ((*f->with({"1"}))->value(), 2.0 * kIncrements);
  Histogram::Snapshot s = h->snapshot();
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(kThreads * kIncrements));
  EXPECT_EQ(s.cumulative[0], static_cast<std::uint64_t>(kThreads * kIncrements / 2));
  EXPECT_DOUBLE_EQ(s.sum, kThreads * kIncrements / 2 * 1.25);
}

TEST(MetricsTest, ExpositionIsRedacted) {
  Redactor::global().add("METRICS_TEST_KEY", "sk-metric-label-777");
  MetricsRegistry r;
  CounterFamily* f = *r.counter_family("anvil_by_key_total", "", {"key"});
  (*f->with({"sk-metric-label-777"}))->inc();
  EXPECT_NE(r.expose().find("anvil_by_key_total{key=\"[REDACTED:METRICS_TEST_KEY]\"} 1\n"),
            std::string::npos)
      << r.expose();
}

TEST(MetricsTest, GlobalRegistryIsOneInstance) {
  EXPECT_EQ(&MetricsRegistry::global(), &MetricsRegistry::global());
}

}  // namespace
}  // namespace anvil::core
