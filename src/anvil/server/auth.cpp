#include "anvil/server/auth.h"

#include <fmt/format.h>

namespace anvil::server {

namespace {

// The caller while authentication is off.
const Caller& anonymous() {
  static const Caller caller = [] {
    auto p = std::make_shared<gateway::Principal>();
    p->name = "anonymous";
    p->admin = true;
    return p;
  }();
  return caller;
}

}  // namespace

Authenticator::Authenticator(const gateway::ApiKeys* keys, bool has_admin_key)
    : keys_(keys), has_admin_key_(has_admin_key) {}

bool Authenticator::enabled() const {
  return keys_ != nullptr && (has_admin_key_ || keys_->size() > 0);
}

std::variant<Caller, ApiError> Authenticator::authenticate(const HttpRequest& request) const {
  if (!enabled()) return anonymous();
  auto principal = keys_->authenticate_header(request.header("Authorization"));
  if (principal.ok()) return std::move(principal).value();
  ApiError e;
  e.status = 401;
  e.code = "invalid_api_key";
  e.message = principal.status().message();
  return e;
}

ApiError admin_only(std::string_view route, const gateway::Principal& caller) {
  ApiError e;
  e.status = 403;
  e.code = "admin_key_required";
  e.message = fmt::format("{} needs the admin key; the request used API key {} ('{}')", route,
                          caller.prefix, caller.name);
  return e;
}

boost::asio::awaitable<Caller> authenticate_or_answer(Exchange& ex, const Authenticator* auth) {
  if (auth == nullptr) co_return anonymous();
  auto outcome = auth->authenticate(ex.request());
  if (auto* caller = std::get_if<Caller>(&outcome)) co_return std::move(*caller);
  ex.add_header("WWW-Authenticate", "Bearer");
  co_await respond_error(ex, std::get<ApiError>(outcome));
  co_return nullptr;
}

}  // namespace anvil::server
