#include "anvil/server/server_metrics.h"

#include <atomic>
#include <string>

#include <fmt/format.h>

namespace anvil::server {

namespace {

// Per-thread caches of labelled children, so the registry's mutex is taken once per label set
// per thread, not per request. Keyed by the registry metric too: tests build several servers.
struct ThreadCache {
  std::unordered_map<std::uint64_t, core::Counter*> counters;
  std::unordered_map<std::uint64_t, core::Histogram*> histograms;
  std::uint64_t owner = 0;
};

std::atomic<std::uint64_t> next_id{1};

}  // namespace

std::vector<double> server_latency_buckets() { return core::exponential_buckets(0.0001, 2, 21); }

ServerMetrics::ServerMetrics(core::MetricsRegistry& registry) : id_(next_id.fetch_add(1)) {
  // Registration only fails on a programming error (bad name, clashing type); the metrics are
  // then left out rather than failing the server.
  if (auto f = registry.counter_family("anvil_http_requests_total",
                                       "HTTP requests answered, by route, method and status",
                                       {"route", "method", "status"});
      f.ok()) {
    requests_ = *f;
  }
  if (auto f = registry.histogram_family("anvil_http_request_duration_seconds",
                                         "Time from the end of a request's headers to the end of "
                                         "its response, by route",
                                         {"route"}, server_latency_buckets());
      f.ok()) {
    duration_ = *f;
  }
  if (auto g = registry.gauge("anvil_http_requests_in_flight",
                              "API requests running (admitted, not finished)");
      g.ok()) {
    in_flight_ = *g;
  }
  if (auto g = registry.gauge("anvil_http_requests_queued",
                              "API requests waiting for an admission slot");
      g.ok()) {
    queued_ = *g;
  }
  if (auto g = registry.gauge("anvil_http_open_connections", "Client connections open"); g.ok()) {
    connections_ = *g;
  }
  if (auto c = registry.counter("anvil_http_rejected_connections_total",
                                "Connections closed at once because max_connections were open");
      c.ok()) {
    rejected_connections_ = *c;
  }
}

void ServerMetrics::record(int route_index, std::string_view route, int method_code,
                           std::string_view method, int status, double seconds) {
  thread_local ThreadCache cache;
  if (cache.owner != id_) {
    cache.counters.clear();
    cache.histograms.clear();
    cache.owner = id_;
  }
  auto route_key = static_cast<std::uint64_t>(static_cast<std::uint32_t>(route_index + 1));
  if (requests_ != nullptr) {
    std::uint64_t key = (route_key << 32) |
                        (static_cast<std::uint64_t>(method_code & 0xffff) << 16) |
                        static_cast<std::uint64_t>(status & 0xffff);
    auto it = cache.counters.find(key);
    if (it == cache.counters.end()) {
      auto child = requests_->with({std::string(route), std::string(method), fmt::format("{}", status)});
      it = cache.counters.emplace(key, child.ok() ? *child : nullptr).first;
    }
    if (it->second != nullptr) it->second->inc();
  }
  if (duration_ != nullptr) {
    auto it = cache.histograms.find(route_key);
    if (it == cache.histograms.end()) {
      auto child = duration_->with({std::string(route)});
      it = cache.histograms.emplace(route_key, child.ok() ? *child : nullptr).first;
    }
    if (it->second != nullptr) it->second->observe(seconds);
  }
}

}  // namespace anvil::server
