// The HTTP server's Prometheus metrics: requests by route, method and status, latency per
// route, requests in flight and queued, open connections. Labelled children are looked up once
// per (route, method, status) per thread and then incremented lock-free.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "anvil/core/metrics.h"

namespace anvil::server {

class ServerMetrics {
 public:
  // Registers the families in `registry` (registering twice returns the same metrics).
  explicit ServerMetrics(core::MetricsRegistry& registry);

  // anvil_http_requests_total{route,method,status} += 1 and
  // anvil_http_request_duration_seconds{route} observes `seconds`.
  // `route_index` is Route::index, or -1 for requests that matched no route; `method_code` is
  // the request's boost::beast::http::verb as an integer.
  void record(int route_index, std::string_view route, int method_code, std::string_view method,
              int status, double seconds);

  core::Gauge* in_flight() const { return in_flight_; }
  core::Gauge* queued() const { return queued_; }
  core::Gauge* open_connections() const { return connections_; }
  core::Counter* rejected_connections() const { return rejected_connections_; }

 private:
  std::uint64_t id_;  // tells the per-thread caches of two servers apart
  core::CounterFamily* requests_ = nullptr;
  core::HistogramFamily* duration_ = nullptr;
  core::Gauge* in_flight_ = nullptr;
  core::Gauge* queued_ = nullptr;
  core::Gauge* connections_ = nullptr;
  core::Counter* rejected_connections_ = nullptr;
};

// Latency buckets of the server, in seconds: 100 us to ~105 s, doubling.
std::vector<double> server_latency_buckets();

}  // namespace anvil::server
