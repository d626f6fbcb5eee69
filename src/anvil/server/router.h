// Maps method + path to a handler. Paths are exact ("/v1/models") or patterns with {name}
// segments ("/v1/collections/{name}/search") whose values the handler reads with
// Exchange::param(). A path that exists under other methods is a 405, anything else a 404.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include "anvil/server/exchange.h"

namespace anvil::server {

using Handler = std::function<boost::asio::awaitable<void>(Exchange&)>;

struct Route {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string pattern;  // also the "route" label of the server's metrics
  Handler handler;
  bool admitted = false;  // counts against max_in_flight / queue_depth (API routes)
  int index = 0;          // dense, in registration order: for per-route tables
};

class Router {
 public:
  // Registers a route. A pattern must start with '/'; a {name} must span a whole segment.
  // Registering the same method and pattern twice replaces the handler.
  Router& add(boost::beast::http::verb method, std::string pattern, Handler handler,
              bool admitted = false);

  enum class Outcome { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Route* route = nullptr;  // kFound
    std::string allow;             // kMethodNotAllowed: "GET, POST"
  };
  // Fills `params` (views into `path`) for pattern routes.
  Match match(boost::beast::http::verb method, std::string_view path,
              Exchange::Params& params) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  struct Segment {
    std::string text;
    bool is_param = false;
  };
  struct Pattern {
    std::vector<Segment> segments;
    std::vector<Route*> routes;  // one per method
  };

  static bool match_pattern(const Pattern& pattern, std::string_view path,
                            Exchange::Params* params);
  static Match pick(const std::vector<Route*>& routes, boost::beast::http::verb method);

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::unique_ptr<Route>> routes_;
  std::unordered_map<std::string, std::vector<Route*>, StringHash, std::equal_to<>> exact_;
  std::vector<Pattern> patterns_;
};

}  // namespace anvil::server
