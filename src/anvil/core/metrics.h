// Metrics for Prometheus: counters, gauges and histograms with labels, kept in a thread-safe
// registry and exposed in the text format 0.0.4 at GET /metrics. Increments are one atomic
// operation: look the labelled child up once, keep the pointer, increment it on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::core {

// A value that only goes up (requests served, tokens generated). Exposed as a float.
class Counter {
 public:
  // Negative and NaN increments are ignored: a counter never goes down.
  void inc(double amount = 1.0) {
    if (amount >= 0) value_.fetch_add(amount, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down (jobs queued, bytes of index in memory).
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into buckets with inclusive upper bounds ("le"), plus their sum.
class Histogram {
 public:
  // `bounds`: finite, strictly increasing (checked by the registry); +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);

  // NaN is ignored. Cost: a binary search over the bounds and two atomic adds.
  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // [bounds.size() + 1]; the last is the +Inf bucket
    double sum = 0;
    std::uint64_t count = 0;  // == cumulative.back()
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0.0};
};

// Prometheus' default latency buckets, in seconds: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> default_buckets();
// start, start*factor, ... (`count` bounds); e.g. exponential_buckets(0.001, 2, 16).
std::vector<double> exponential_buckets(double start, double factor, int count);
// start, start+width, ... (`count` bounds).
std::vector<double> linear_buckets(double start, double width, int count);

enum class MetricType { kCounter, kGauge, kHistogram };

namespace detail {

// What the registry needs from a family of any type.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends "# HELP", "# TYPE" and every sample; nothing when there are no children yet.
  virtual void expose(std::string& out) const = 0;

 protected:
  Status check_label_count(const std::vector<std::string>& values) const;

  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

}  // namespace detail

// The metrics of one name, one child per combination of label values.
template <typename M>
class MetricFamily final : public detail::FamilyBase {
 public:
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The child for `label_values` (one per label name, in order), created on first use. The
  // pointer stays valid as long as the registry. Error: "metric 'x' has 2 labels (route, code),
  // found 1 label value".
  Result<M*> with(const std::vector<std::string>& label_values);

  void expose(std::string& out) const override;
  // Bucket bounds of a histogram family; empty for counters and gauges.
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;  // sorted: stable output
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

extern template class MetricFamily<Counter>;
extern template class MetricFamily<Gauge>;
extern template class MetricFamily<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The registry GET /metrics exposes.
  static MetricsRegistry& global();

  // Registration validates names (metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]*
  // not starting with "__", no "le" on histograms) and bounds. Registering the same name again
  // with the same type, labels and bounds returns the existing metric, so modules may register
  // lazily; anything else under a taken name is kAlreadyExists.
  Result<Counter*> counter(std::string_view name, std::string_view help);
  Result<Gauge*> gauge(std::string_view name, std::string_view help);
  Result<Histogram*> histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds);
  Result<CounterFamily*> counter_family(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names);
  Result<GaugeFamily*> gauge_family(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names);
  Result<HistogramFamily*> histogram_family(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> bounds);

  // Text exposition format 0.0.4, families sorted by name, children by label values; registered
  // secrets are redacted. Serve with "Content-Type: text/plain; version=0.0.4; charset=utf-8".
  std::string expose() const;

 private:
  template <typename M>
  Result<MetricFamily<M>*> family(std::string_view name, std::string_view help, MetricType type,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<detail::FamilyBase>, std::less<>> families_;
};

}  // namespace anvil::core
