// Who is calling: the bearer token of a request checked against the API keys and the admin key
// (gateway::ApiKeys). With neither an admin key nor any API key, authentication is off and every
// caller is an anonymous admin: a development server (docs/SERVER.md, "Authentication").
#pragma once

#include <memory>
#include <variant>

#include "anvil/gateway/api_keys.h"
#include "anvil/server/api_error.h"
#include "anvil/server/exchange.h"

namespace anvil::server {

using Caller = std::shared_ptr<const gateway::Principal>;

class Authenticator {
 public:
  // `keys` null: authentication is off. Otherwise it is on as soon as the admin key is set or
  // any API key exists in anvil.db (checked per request: a key created while the server runs
  // turns it on).
  Authenticator(const gateway::ApiKeys* keys, bool has_admin_key);

  // The caller, or the 401 to answer ("invalid_api_key", with WWW-Authenticate: Bearer).
  std::variant<Caller, ApiError> authenticate(const HttpRequest& request) const;

  bool enabled() const;

 private:
  const gateway::ApiKeys* keys_;
  bool has_admin_key_;
};

// 403 for a route only the admin key may call.
ApiError admin_only(std::string_view route, const gateway::Principal& caller);

// Authenticates `ex` (with `auth` null, everyone is the anonymous admin); answers the 401 and
// returns null when the caller is not known.
boost::asio::awaitable<Caller> authenticate_or_answer(Exchange& ex, const Authenticator* auth);

}  // namespace anvil::server
