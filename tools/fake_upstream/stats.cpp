#include "fake_upstream/stats.h"

#include <boost/json/array.hpp>

namespace anvil::fake {
namespace {

void bump(std::map<std::string, int64_t, std::less<>>& counts, std::string_view key) {
  auto it = counts.find(key);
  if (it == counts.end()) it = counts.emplace(std::string(key), 0).first;
  ++it->second;
}

int64_t lookup(const std::map<std::string, int64_t, std::less<>>& counts, std::string_view key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

void Stats::record(std::string_view route, std::string_view request_id, std::string_view fault) {
  std::lock_guard lock(mutex_);
  ++total_;
  bump(requests_, route);
  bump(faults_, fault);
  if (!request_id.empty() && request_id_history_ > 0) {
    if (request_ids_.size() == request_id_history_) request_ids_.pop_front();
    request_ids_.emplace_back(request_id);
  }
}

void Stats::clear() {
  std::lock_guard lock(mutex_);
  total_ = 0;
  requests_.clear();
  faults_.clear();
  request_ids_.clear();
}

boost::json::object Stats::to_json() const {
  std::lock_guard lock(mutex_);
  boost::json::object requests;
  for (const auto& [route, n] : requests_) requests[route] = n;
  boost::json::object faults;
  for (const auto& [label, n] : faults_) faults[label] = n;
  boost::json::array ids;
  ids.reserve(request_ids_.size());
  for (const auto& id : request_ids_) ids.emplace_back(id);
  boost::json::object out;
  out["total"] = total_;
  out["requests"] = std::move(requests);
  out["faults"] = std::move(faults);
  out["request_ids"] = std::move(ids);
  return out;
}

int64_t Stats::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

int64_t Stats::requests(std::string_view route) const {
  std::lock_guard lock(mutex_);
  return lookup(requests_, route);
}

int64_t Stats::faults(std::string_view label) const {
  std::lock_guard lock(mutex_);
  return lookup(faults_, label);
}

}  // namespace anvil::fake
