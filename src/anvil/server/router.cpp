#include "anvil/server/router.h"

#include <cassert>

namespace anvil::server {

namespace http = boost::beast::http;

namespace {

// Splits "/a/{b}/c" into "a", "{b}", "c" (empty segments kept, so "/a//c" stays distinct).
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  std::size_t start = 1;
  for (;;) {
    std::size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

Router& Router::add(http::verb method, std::string pattern, Handler handler, bool admitted) {
  assert(!pattern.empty() && pattern[0] == '/');
  auto route = std::make_unique<Route>();
  route->method = method;
  route->pattern = pattern;
  route->handler = std::move(handler);
  route->admitted = admitted;
  route->index = static_cast<int>(routes_.size());

  std::vector<Route*>* slot = nullptr;
  if (pattern.find('{') == std::string::npos) {
    slot = &exact_[pattern];
  } else {
    Pattern parsed;
    for (std::string_view seg : split_path(pattern)) {
      bool is_param = seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
      parsed.segments.push_back(
          {std::string(is_param ? seg.substr(1, seg.size() - 2) : seg), is_param});
    }
    for (Pattern& existing : patterns_) {
      bool same = existing.segments.size() == parsed.segments.size();
      for (std::size_t i = 0; same && i < parsed.segments.size(); ++i) {
        same = existing.segments[i].text == parsed.segments[i].text &&
               existing.segments[i].is_param == parsed.segments[i].is_param;
      }
      if (same) slot = &existing.routes;
    }
    if (slot == nullptr) {
      patterns_.push_back(std::move(parsed));
      slot = &patterns_.back().routes;
    }
  }
  for (Route*& r : *slot) {
    if (r->method == method) {
      r->handler = std::move(route->handler);
      r->admitted = admitted;
      return *this;
    }
  }
  slot->push_back(route.get());
  routes_.push_back(std::move(route));
  return *this;
}

bool Router::match_pattern(const Pattern& pattern, std::string_view path,
                           Exchange::Params* params) {
  if (path.empty() || path[0] != '/') return false;
  std::size_t pos = 1;
  for (std::size_t i = 0; i < pattern.segments.size(); ++i) {
    if (pos > path.size()) return false;
    std::size_t slash = path.find('/', pos);
    bool last = i + 1 == pattern.segments.size();
    if (last != (slash == std::string_view::npos)) return false;
    std::string_view seg = path.substr(pos, last ? std::string_view::npos : slash - pos);
    const Segment& want = pattern.segments[i];
    if (want.is_param) {
      if (seg.empty()) return false;
      if (params != nullptr) params->emplace_back(want.text, seg);
    } else if (seg != want.text) {
      return false;
    }
    pos = last ? path.size() : slash + 1;
  }
  return true;
}

Router::Match Router::pick(const std::vector<Route*>& routes, http::verb method) {
  Match m;
  for (const Route* r : routes) {
    if (r->method == method) {
      m.outcome = Outcome::kFound;
      m.route = r;
      return m;
    }
  }
  m.outcome = Outcome::kMethodNotAllowed;
  for (const Route* r : routes) {
    if (!m.allow.empty()) m.allow += ", ";
    auto name = http::to_string(r->method);
    m.allow.append(name.data(), name.size());
  }
  return m;
}

Router::Match Router::match(http::verb method, std::string_view path,
                            Exchange::Params& params) const {
  if (auto it = exact_.find(path); it != exact_.end()) return pick(it->second, method);
  for (const Pattern& p : patterns_) {
    std::size_t before = params.size();
    if (match_pattern(p, path, &params)) {
      Match m = pick(p.routes, method);
      if (m.outcome != Outcome::kFound) params.resize(before);
      return m;
    }
    params.resize(before);
  }
  return {};
}

}  // namespace anvil::server
