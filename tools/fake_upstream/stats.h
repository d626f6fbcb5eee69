// What the fake upstream saw, for tests that check how many attempts reached it: requests by
// route, faults by label, the X-Request-Id values in arrival order. Thread-safe (one mutex;
// the fake is test tooling and a lock per request costs well under a microsecond).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace anvil::fake {

class Stats {
 public:
  explicit Stats(size_t request_id_history) : request_id_history_(request_id_history) {}

  // One request on `route` ("/v1/chat/completions"), with its X-Request-Id ("" if none) and the
  // label of the fault injected ("ok" when none).
  void record(std::string_view route, std::string_view request_id, std::string_view fault);
  void clear();

  // {"total":N,"requests":{route:N},"faults":{label:N},"request_ids":[...]}
  boost::json::object to_json() const;
  int64_t total() const;
  int64_t requests(std::string_view route) const;
  int64_t faults(std::string_view label) const;

 private:
  mutable std::mutex mutex_;
  size_t request_id_history_;
  int64_t total_ = 0;
  std::map<std::string, int64_t, std::less<>> requests_;
  std::map<std::string, int64_t, std::less<>> faults_;
  std::deque<std::string> request_ids_;
};

}  // namespace anvil::fake
