// Deployments and logical models built in code for the router and gateway tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anvil/gateway/gateway_config.h"

namespace anvil::gateway::testing {

// Provider "scripted"; the upstream model name is "upstream-<name>".
inline Deployment deployment(std::string name, double weight = 1, std::int64_t context_window = 0) {
  Deployment d;
  d.name = std::move(name);
  d.provider = "scripted";
  d.model = "upstream-" + d.name;
  d.weight = weight;
  d.context_window = context_window;
  return d;
}

inline ModelRoute model(std::string name, std::vector<std::string> deployments,
                        std::vector<std::string> fallbacks = {},
                        std::vector<std::string> context_fallbacks = {}) {
  ModelRoute m;
  m.name = std::move(name);
  m.deployments = std::move(deployments);
  m.fallbacks = std::move(fallbacks);
  m.context_window_fallbacks = std::move(context_fallbacks);
  return m;
}

}  // namespace anvil::gateway::testing
