#include "anvil/core/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "anvil/core/redactor.h"

namespace anvil::core {
namespace {

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Sample values and "le" bounds: shortest round-trip decimal, or +Inf / -Inf / NaN.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string escape_help(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_label_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="1",b="2"}` (with `extra` such as le="0.5" last), or "" when there are no labels at all.
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra = {}) {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  return out + "}";
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string describe_family(MetricType type, const std::vector<std::string>& labels) {
  if (labels.empty()) return fmt::format("a {} without labels", type_name(type));
  return fmt::format("a {} with labels ({})", type_name(type), join(labels));
}

// Samples of one child, by metric type.
void write_samples(std::string& out, const std::string& name, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const Counter& c) {
  out += name + label_set(names, values) + " " + format_value(c.value()) + "\n";
}
void write_samples(std::string& out, const std::string& name, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const Gauge& g) {
  out += name + label_set(names, values) + " " + format_value(g.value()) + "\n";
}
void write_samples(std::string& out, const std::string& name, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const Histogram& h) {
  Histogram::Snapshot s = h.snapshot();
  const auto& bounds = h.bounds();
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    std::string le = fmt::format(
        "le=\"{}\"", i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf"));
    out += name + "_bucket" + label_set(names, values, le) + " " + fmt::format("{}", s.cumulative[i]) +
           "\n";
  }
  out += name + "_sum" + label_set(names, values) + " " + format_value(s.sum) + "\n";
  out += name + "_count" + label_set(names, values) + " " + fmt::format("{}", s.count) + "\n";
}

template <typename M>
std::unique_ptr<M> make_child(const std::vector<double>& /*bounds*/) {
  return std::make_unique<M>();
}
template <>
std::unique_ptr<Histogram> make_child<Histogram>(const std::vector<double>& bounds) {
  return std::make_unique<Histogram>(bounds);
}

// Bounds must be finite and strictly increasing; a trailing +Inf is dropped (it is implicit).
Result<std::vector<double>> check_bounds(std::string_view name, std::vector<double> bounds) {
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      return Status::invalid_argument(fmt::format(
          "histogram '{}': bucket bounds must be finite, found {}", name, format_value(bounds[i])));
    }
    if (i > 0 && bounds[i] <= bounds[i - 1]) {
      return Status::invalid_argument(fmt::format(
          "histogram '{}': bucket bounds must be strictly increasing, found {} after {}", name,
          format_value(bounds[i]), format_value(bounds[i - 1])));
    }
  }
  return bounds;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // First bound >= value: buckets are "less than or equal".
  auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                    bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.count = total;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

std::vector<double> linear_buckets(double start, double width, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

namespace detail {

Status FamilyBase::check_label_count(const std::vector<std::string>& values) const {
  if (values.size() == label_names_.size()) return {};
  return Status::invalid_argument(fmt::format(
      "metric '{}' has {} label{} ({}), found {} label value{}", name_, label_names_.size(),
      label_names_.size() == 1 ? "" : "s", join(label_names_), values.size(),
      values.size() == 1 ? "" : "s"));
}

}  // namespace detail

template <typename M>
Result<M*> MetricFamily<M>::with(const std::vector<std::string>& label_values) {
  ANVIL_RETURN_IF_ERROR(check_label_count(label_values));
  std::lock_guard lock(mu_);
  auto it = children_.find(label_values);
  if (it == children_.end()) {
    it = children_.emplace(label_values, make_child<M>(bounds_)).first;
  }
  return it->second.get();
}

template <typename M>
void MetricFamily<M>::expose(std::string& out) const {
  std::lock_guard lock(mu_);
  if (children_.empty()) return;
  out += fmt::format("# HELP {} {}\n", name_, escape_help(help_));
  out += fmt::format("# TYPE {} {}\n", name_, type_name(type_));
  for (const auto& [values, child] : children_) write_samples(out, name_, label_names_, values, *child);
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

MetricsRegistry& MetricsRegistry::global() {
  static MetricsRegistry registry;
  return registry;
}

template <typename M>
Result<MetricFamily<M>*> MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 MetricType type,
                                                 std::vector<std::string> label_names,
                                                 std::vector<double> bounds) {
  if (!valid_metric_name(name)) {
    return Status::invalid_argument(fmt::format(
        "invalid metric name '{}': expected [a-zA-Z_:][a-zA-Z0-9_:]*", name));
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!valid_label_name(label)) {
      return Status::invalid_argument(fmt::format(
          "metric '{}': invalid label name '{}': expected [a-zA-Z_][a-zA-Z0-9_]*", name, label));
    }
    if (label.starts_with("__")) {
      return Status::invalid_argument(fmt::format(
          "metric '{}': label name '{}' is reserved (names starting with '__' are Prometheus')",
          name, label));
    }
    if (type == MetricType::kHistogram && label == "le") {
      return Status::invalid_argument(fmt::format(
          "histogram '{}': label name 'le' is reserved for bucket bounds", name));
    }
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Status::invalid_argument(
          fmt::format("metric '{}': label name '{}' appears twice", name, label));
    }
  }
  if (type == MetricType::kHistogram) {
    ANVIL_ASSIGN_OR_RETURN(bounds, check_bounds(name, std::move(bounds)));
  }

  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* existing = dynamic_cast<MetricFamily<M>*>(it->second.get());
    if (existing == nullptr || existing->type() != type ||
        existing->label_names() != label_names ||
        existing->bounds() != bounds) {
      return Status::already_exists(fmt::format(
          "metric '{}' is already registered as {}; cannot register it as {}", name,
          describe_family(it->second->type(), it->second->label_names()),
          describe_family(type, label_names)));
    }
    return existing;
  }
  auto family = std::make_unique<MetricFamily<M>>(std::string(name), std::string(help), type,
                                                  std::move(label_names), std::move(bounds));
  MetricFamily<M>* raw = family.get();
  families_.emplace(std::string(name), std::move(family));
  return raw;
}

Result<Counter*> MetricsRegistry::counter(std::string_view name, std::string_view help) {
  ANVIL_ASSIGN_OR_RETURN(CounterFamily * f, counter_family(name, help, {}));
  return f->with({});
}

Result<Gauge*> MetricsRegistry::gauge(std::string_view name, std::string_view help) {
  ANVIL_ASSIGN_OR_RETURN(GaugeFamily * f, gauge_family(name, help, {}));
  return f->with({});
}

Result<Histogram*> MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                              std::vector<double> bounds) {
  ANVIL_ASSIGN_OR_RETURN(HistogramFamily * f,
                         histogram_family(name, help, {}, std::move(bounds)));
  return f->with({});
}

Result<CounterFamily*> MetricsRegistry::counter_family(std::string_view name,
                                                       std::string_view help,
                                                       std::vector<std::string> label_names) {
  return family<Counter>(name, help, MetricType::kCounter, std::move(label_names), {});
}

Result<GaugeFamily*> MetricsRegistry::gauge_family(std::string_view name, std::string_view help,
                                                   std::vector<std::string> label_names) {
  return family<Gauge>(name, help, MetricType::kGauge, std::move(label_names), {});
}

Result<HistogramFamily*> MetricsRegistry::histogram_family(std::string_view name,
                                                           std::string_view help,
                                                           std::vector<std::string> label_names,
                                                           std::vector<double> bounds) {
  return family<Histogram>(name, help, MetricType::kHistogram, std::move(label_names),
                           std::move(bounds));
}

std::string MetricsRegistry::expose() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : families_) family->expose(out);
  return redact(out);
}

}  // namespace anvil::core
