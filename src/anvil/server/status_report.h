// What GET /v1/admin/status answers and `anvil status` shows: every deployment of the gateway
// with its circuit breaker (state, error rate and requests in the window, consecutive failures,
// time until half-open) and the server's own load (uptime, in flight, queued, draining).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/gateway/circuit_breaker.h"
#include "anvil/gateway/routing_gateway.h"

namespace anvil::server {

class HttpServer;

struct DeploymentStatus {
  std::string name;
  std::string provider;                // "openai", "local"
  std::string upstream_model;          // the model name the upstream is asked for
  std::vector<std::string> models;     // logical models that route to it (not via fallbacks)
  gateway::BreakerSnapshot breaker;
};

struct ServerLoad {
  std::chrono::milliseconds uptime{0};
  std::size_t in_flight = 0;
  std::size_t queued = 0;
  std::size_t max_in_flight = 0;
  std::size_t queue_depth = 0;  // the queue's capacity
  std::size_t connections = 0;
  bool draining = false;
};

// The deployments of `gateway` in configuration order, each with its breaker's snapshot.
std::vector<DeploymentStatus> deployment_statuses(const gateway::RoutingGateway& gateway);

// The status document (docs/SERVER.md, "Admin status"):
// {"version","server":{...},"breaker":{window_s,...},"deployments":[{...,"breaker":{...}}]}.
std::string status_json(std::string_view version, const ServerLoad& server,
                        const gateway::BreakerSettings& settings,
                        const std::vector<DeploymentStatus>& deployments);

// Gathers the report when asked. Built before the HttpServer it describes (the router is handed
// to the server's constructor), so the server is attached afterwards, before it starts.
class StatusReport {
 public:
  // `gateway` may be null (no deployments); it must outlive the report.
  StatusReport(const gateway::RoutingGateway* gateway, std::string version);

  // Call before server.start(); uptime counts from here.
  void attach(const HttpServer& server);

  std::string json() const;

 private:
  const gateway::RoutingGateway* gateway_;
  std::string version_;
  const HttpServer* server_ = nullptr;
  std::chrono::steady_clock::time_point attached_at_{};
};

}  // namespace anvil::server
