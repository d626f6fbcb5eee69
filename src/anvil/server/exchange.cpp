#include "anvil/server/exchange.h"

#include <boost/beast/core/string.hpp>

namespace anvil::server {

namespace http = boost::beast::http;

HttpRequest::HttpRequest(const HttpMessage& message) : message_(&message) {
  std::string_view target(message.target().data(), message.target().size());
  std::size_t q = target.find('?');
  path_ = target.substr(0, q);
  query_ = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::string_view HttpRequest::method_name() const {
  auto name = message_->method_string();
  return {name.data(), name.size()};
}

std::string_view HttpRequest::header(std::string_view name) const {
  auto it = message_->find(boost::beast::string_view(name.data(), name.size()));
  if (it == message_->end()) return {};
  auto value = it->value();
  return {value.data(), value.size()};
}

void Exchange::reset(ResponseChannel* channel, const HttpMessage& message, std::string request_id,
                     std::chrono::steady_clock::time_point started) {
  channel_ = channel;
  request_ = HttpRequest(message);
  params_.clear();
  request_id_ = std::move(request_id);
  started_ = started;
  extra_headers_.clear();
  status_ = 0;
  streaming_ = false;
  keep_alive_ = message.keep_alive();
  failed_ = false;
  bytes_sent_ = 0;
}

std::string_view Exchange::param(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) return value;
  }
  return {};
}

void Exchange::add_header(std::string name, std::string value) {
  extra_headers_.emplace_back(std::move(name), std::move(value));
}

gateway::ResponseHead Exchange::head(int status, std::string_view content_type) const {
  gateway::ResponseHead h;
  h.status = status;
  h.content_type = content_type;
  h.request_id = request_id_;
  h.keep_alive = keep_alive_ && !channel_->draining();
  h.extra = extra_headers_.empty() ? nullptr : &extra_headers_;
  return h;
}

boost::asio::awaitable<bool> Exchange::respond(int status, std::string_view content_type,
                                               std::string_view body) {
  if (answered() || failed_) co_return false;
  gateway::ResponseHead h = head(status, content_type);
  h.content_length = body.size();
  keep_alive_ = h.keep_alive;
  status_ = status;
  head_buffer_.clear();
  gateway::append_response_head(head_buffer_, h);
  std::string_view parts[2] = {head_buffer_, body};
  bool ok = co_await channel_->write_gather(parts, body.empty() ? 1 : 2);
  if (!ok) failed_ = true;
  bytes_sent_ += head_buffer_.size() + body.size();
  co_return ok;
}

boost::asio::awaitable<bool> Exchange::start_stream(int status, std::string_view content_type) {
  if (answered() || failed_) co_return false;
  gateway::ResponseHead h = head(status, content_type);
  h.chunked = true;
  keep_alive_ = h.keep_alive;
  status_ = status;
  streaming_ = true;
  head_buffer_.clear();
  gateway::append_response_head(head_buffer_, h);
  bool ok = co_await channel_->write(head_buffer_);
  if (!ok) failed_ = true;
  bytes_sent_ += head_buffer_.size();
  co_return ok;
}

boost::asio::awaitable<bool> Exchange::write_chunk(std::string_view a, std::string_view b,
                                                   std::string_view c) {
  if (!streaming_ || failed_) co_return false;
  std::size_t size = a.size() + b.size() + c.size();
  if (size == 0) co_return true;  // an empty chunk would end the body
  head_buffer_.clear();
  gateway::append_chunk_size(head_buffer_, size);
  std::string_view parts[5];
  int n = 0;
  parts[n++] = head_buffer_;
  for (std::string_view p : {a, b, c}) {
    if (!p.empty()) parts[n++] = p;
  }
  parts[n++] = "\r\n";
  bool ok = co_await channel_->write_gather(parts, n);
  if (!ok) failed_ = true;
  bytes_sent_ += head_buffer_.size() + size + 2;
  co_return ok;
}

boost::asio::awaitable<bool> Exchange::end_stream() {
  if (!streaming_ || failed_) co_return false;
  bool ok = co_await channel_->write(gateway::kLastChunk);
  if (!ok) failed_ = true;
  bytes_sent_ += gateway::kLastChunk.size();
  co_return ok;
}

}  // namespace anvil::server
