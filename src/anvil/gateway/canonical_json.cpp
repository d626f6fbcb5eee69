#include "anvil/gateway/canonical_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <boost/json/serialize.hpp>

namespace anvil::gateway {
namespace {

void append(std::string& out, const boost::json::value& value);

void append_number(std::string& out, double x) {
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (std::isfinite(x) && std::trunc(x) == x && std::fabs(x) < kExactIntegers) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(x));
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", x);
}

void append_object(std::string& out, const boost::json::object& object,
                   const std::vector<std::string_view>& excluded) {
  std::vector<const boost::json::key_value_pair*> members;
  members.reserve(object.size());
  for (const auto& member : object) {
    if (std::find(excluded.begin(), excluded.end(), member.key()) == excluded.end()) {
      members.push_back(&member);
    }
  }
  std::sort(members.begin(), members.end(),
            [](const auto* a, const auto* b) { return a->key() < b->key(); });
  out += '{';
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out += ',';
    out += boost::json::serialize(boost::json::string_view(members[i]->key()));
    out += ':';
    append(out, members[i]->value());
  }
  out += '}';
}

void append(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null: out += "null"; return;
    case boost::json::kind::bool_: out += value.get_bool() ? "true" : "false"; return;
    case boost::json::kind::int64:
      fmt::format_to(std::back_inserter(out), "{}", value.get_int64());
      return;
    case boost::json::kind::uint64:
      fmt::format_to(std::back_inserter(out), "{}", value.get_uint64());
      return;
    case boost::json::kind::double_: append_number(out, value.get_double()); return;
    case boost::json::kind::string: out += boost::json::serialize(value.get_string()); return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value.get_array()) {
        if (!first) out += ',';
        first = false;
        append(out, item);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: append_object(out, value.get_object(), {}); return;
    default: return;
  }
}

}  // namespace

std::string canonical_json(const boost::json::value& value) {
  std::string out;
  append(out, value);
  return out;
}

std::string canonical_json(const boost::json::object& object,
                           const std::vector<std::string_view>& excluded) {
  std::string out;
  append_object(out, object, excluded);
  return out;
}

}  // namespace anvil::gateway
