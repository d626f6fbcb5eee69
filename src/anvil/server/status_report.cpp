#include "anvil/server/status_report.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "anvil/server/http_server.h"

namespace anvil::server {

namespace json = boost::json;

namespace {

std::int64_t ms(std::chrono::milliseconds d) { return static_cast<std::int64_t>(d.count()); }

json::object breaker_json(const gateway::BreakerSnapshot& b) {
  json::object o;
  o["state"] = gateway::breaker_state_name(b.state);
  o["window_requests"] = b.window_requests;
  o["window_failures"] = b.window_failures;
  o["error_rate"] = b.window_requests == 0 ? 0.0
                                           : static_cast<double>(b.window_failures) /
                                                 static_cast<double>(b.window_requests);
  o["consecutive_failures"] = b.consecutive_failures;
  if (b.state == gateway::BreakerState::kOpen) {
    o["half_open_in_ms"] = ms(b.open_remaining);
  } else {
    o["half_open_in_ms"] = nullptr;
  }
  o["times_opened"] = b.times_opened;
  return o;
}

}  // namespace

std::vector<DeploymentStatus> deployment_statuses(const gateway::RoutingGateway& gateway) {
  const gateway::GatewayConfig& config = gateway.config();
  std::vector<gateway::BreakerSnapshot> breakers = gateway.breakers();  // by deployment name
  std::vector<DeploymentStatus> out;
  out.reserve(config.deployments.size());
  for (const gateway::Deployment& d : config.deployments) {
    DeploymentStatus s;
    s.name = d.name;
    s.provider = d.provider;
    s.upstream_model = d.model;
    for (const gateway::ModelRoute& m : config.models) {
      for (const std::string& name : m.deployments) {
        if (name == d.name) {
          s.models.push_back(m.name);
          break;
        }
      }
    }
    auto it = std::lower_bound(breakers.begin(), breakers.end(), d.name,
                               [](const gateway::BreakerSnapshot& b, const std::string& name) {
                                 return b.deployment < name;
                               });
    if (it != breakers.end() && it->deployment == d.name) {
      s.breaker = *it;
    } else {
      s.breaker.deployment = d.name;  // no breaker (cannot happen for a created gateway): closed
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string status_json(std::string_view version, const ServerLoad& server,
                        const gateway::BreakerSettings& settings,
                        const std::vector<DeploymentStatus>& deployments) {
  json::object doc;
  doc["version"] = version;
  doc["server"] = json::object{{"uptime_ms", ms(server.uptime)},
                               {"in_flight", server.in_flight},
                               {"queued", server.queued},
                               {"max_in_flight", server.max_in_flight},
                               {"queue_depth", server.queue_depth},
                               {"connections", server.connections},
                               {"draining", server.draining}};
  doc["breaker"] = json::object{{"window_ms", ms(settings.window)},
                                {"min_requests", settings.min_requests},
                                {"error_rate", settings.error_rate},
                                {"consecutive_failures", settings.consecutive_failures},
                                {"cooldown_ms", ms(settings.cooldown)}};
  json::array list;
  list.reserve(deployments.size());
  for (const DeploymentStatus& d : deployments) {
    json::array models;
    for (const std::string& m : d.models) models.emplace_back(m);
    list.emplace_back(json::object{{"name", d.name},
                                   {"provider", d.provider},
                                   {"upstream_model", d.upstream_model},
                                   {"models", std::move(models)},
                                   {"breaker", breaker_json(d.breaker)}});
  }
  doc["deployments"] = std::move(list);
  return json::serialize(doc);
}

StatusReport::StatusReport(const gateway::RoutingGateway* gateway, std::string version)
    : gateway_(gateway), version_(std::move(version)) {}

void StatusReport::attach(const HttpServer& server) {
  server_ = &server;
  attached_at_ = std::chrono::steady_clock::now();
}

std::string StatusReport::json() const {
  ServerLoad load;
  if (server_ != nullptr) {
    load.uptime = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - attached_at_);
    load.in_flight = server_->in_flight();
    load.queued = server_->queued();
    load.max_in_flight = server_->options().max_in_flight;
    load.queue_depth = server_->options().queue_depth;
    load.connections = server_->open_connections();
    load.draining = server_->draining();
  }
  if (gateway_ == nullptr) return status_json(version_, load, gateway::BreakerSettings{}, {});
  return status_json(version_, load, gateway_->config().breaker, deployment_statuses(*gateway_));
}

}  // namespace anvil::server
