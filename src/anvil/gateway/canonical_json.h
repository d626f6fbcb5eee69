// A canonical text form of JSON, so that requests that mean the same have the same bytes: object
// keys sorted, no whitespace, numbers normalized. The response cache keys on it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace anvil::gateway {

// Rules: object members sorted by key (bytewise); no insignificant whitespace; strings escaped as
// Boost.JSON serializes them; a number with an integral value below 2^53 in magnitude is written
// as an integer (1, 1.0 and 1e0 are all "1"; -0.0 is "0"), any other number in its shortest
// round-trip form ("0.7", "1e+300"); arrays keep their order.
std::string canonical_json(const boost::json::value& value);

// The same for an object, leaving out the top-level members named in `excluded`.
std::string canonical_json(const boost::json::object& object,
                           const std::vector<std::string_view>& excluded);

}  // namespace anvil::gateway
