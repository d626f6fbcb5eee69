#include "anvil/cli/status_table.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "anvil/core/json.h"

namespace anvil::cli {

namespace {

constexpr std::size_t kColumns = 7;
using Row = std::array<std::string, kColumns>;

core::Result<Row> deployment_row(const boost::json::value& value) {
  ANVIL_ASSIGN_OR_RETURN(const boost::json::object* d,
                         core::as_object(value, "element of 'deployments'"));
  ANVIL_ASSIGN_OR_RETURN(std::string name, core::get_string(*d, "name"));
  ANVIL_ASSIGN_OR_RETURN(std::string provider, core::get_string(*d, "provider"));
  ANVIL_ASSIGN_OR_RETURN(const boost::json::array* models, core::get_array(*d, "models"));
  ANVIL_ASSIGN_OR_RETURN(const boost::json::object* b, core::get_object(*d, "breaker"));
  ANVIL_ASSIGN_OR_RETURN(std::string state, core::get_string(*b, "state"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t requests, core::get_int(*b, "window_requests"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t failures, core::get_int(*b, "window_failures"));
  ANVIL_ASSIGN_OR_RETURN(double rate, core::get_double(*b, "error_rate"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t in_a_row, core::get_int(*b, "consecutive_failures"));
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::int64_t> half_open_in,
                         core::get_optional_int(*b, "half_open_in_ms"));
  std::string model_list;
  for (const boost::json::value& m : *models) {
    ANVIL_ASSIGN_OR_RETURN(std::string model, core::as_string(m, "element of 'models'"));
    if (!model_list.empty()) model_list += ",";
    model_list += model;
  }
  if (model_list.empty()) model_list = "-";
  // "half_open" is the JSON's name; the table says it the way people read it.
  if (state == "half_open") state = "half-open";
  return Row{std::move(name),
             std::move(provider),
             std::move(model_list),
             std::move(state),
             fmt::format("{}/{} ({:.1f}%)", failures, requests, rate * 100.0),
             fmt::format("{}", in_a_row),
             half_open_in ? format_duration(*half_open_in) : std::string("-")};
}

void append_table(std::string& out, const std::vector<Row>& rows) {
  std::array<std::size_t, kColumns> width{};
  for (const Row& r : rows) {
    for (std::size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], r[c].size());
  }
  for (const Row& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < kColumns; ++c) {
      line += r[c];
      if (c + 1 < kColumns) line.append(width[c] - r[c].size() + 2, ' ');
    }
    out += line;
    out += '\n';
  }
}

core::Result<std::string> render(std::string_view status_json, std::string_view url) {
  ANVIL_ASSIGN_OR_RETURN(boost::json::value parsed, core::parse_json(status_json));
  ANVIL_ASSIGN_OR_RETURN(const boost::json::object* root, core::as_object(parsed, "the document"));
  ANVIL_ASSIGN_OR_RETURN(std::string version, core::get_string(*root, "version"));
  ANVIL_ASSIGN_OR_RETURN(const boost::json::object* srv, core::get_object(*root, "server"));
  ANVIL_ASSIGN_OR_RETURN(const boost::json::object* brk, core::get_object(*root, "breaker"));
  ANVIL_ASSIGN_OR_RETURN(const boost::json::array* deployments,
                         core::get_array(*root, "deployments"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t uptime, core::get_int(*srv, "uptime_ms"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t in_flight, core::get_int(*srv, "in_flight"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t queued, core::get_int(*srv, "queued"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t max_in_flight, core::get_int(*srv, "max_in_flight"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t queue_depth, core::get_int(*srv, "queue_depth"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t connections, core::get_int(*srv, "connections"));
  ANVIL_ASSIGN_OR_RETURN(bool draining, core::get_bool(*srv, "draining"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t window, core::get_int(*brk, "window_ms"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t min_requests, core::get_int(*brk, "min_requests"));
  ANVIL_ASSIGN_OR_RETURN(double error_rate, core::get_double(*brk, "error_rate"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t in_a_row, core::get_int(*brk, "consecutive_failures"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t cooldown, core::get_int(*brk, "cooldown_ms"));

  std::string out = fmt::format(
      "anvil {} at {}: {}, up {}\n"
      "requests: {} in flight (at most {}), {} queued (at most {}); {} connections\n",
      version, url, draining ? "draining" : "serving", format_duration(uptime), in_flight,
      max_in_flight, queued, queue_depth, connections);
  out += fmt::format("breakers: open over {:.1f}% errors among at least {} requests in {}, ",
                     error_rate * 100.0, min_requests, format_duration(window));
  out += in_a_row > 0 ? fmt::format("or after {} failures in a row", in_a_row)
                      : std::string("(no limit on failures in a row)");
  out += fmt::format("; half-open after {}\n\n", format_duration(cooldown));

  if (deployments->empty()) {
    out += "no deployments (the server has no [gateway] deployments)\n";
    return out;
  }
  std::vector<Row> rows;
  rows.push_back(Row{"DEPLOYMENT", "PROVIDER", "MODELS", "BREAKER", "ERRORS (WINDOW)",
                     "FAILS IN A ROW", "HALF-OPEN IN"});
  for (const boost::json::value& d : *deployments) {
    ANVIL_ASSIGN_OR_RETURN(Row row, deployment_row(d));
    rows.push_back(std::move(row));
  }
  append_table(out, rows);
  return out;
}

}  // namespace

std::string format_duration(std::int64_t ms) {
  if (ms < 60'000) return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
  const std::int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  return fmt::format("{}h {:02}m {:02}s", s / 3600, (s / 60) % 60, s % 60);
}

core::Result<std::string> render_status_table(std::string_view status_json, std::string_view url) {
  auto text = render(status_json, url);
  if (!text.ok()) {
    return core::Status(text.status().code(),
                        "the server's status document: " + std::string(text.status().message()));
  }
  return text;
}

}  // namespace anvil::cli
