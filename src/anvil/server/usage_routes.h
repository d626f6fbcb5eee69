// GET /v1/usage?from&to&group_by: the usage ledger's report (app/usage_report.h), for the admin
// key. Reports read anvil.db on a worker thread of their own, never on an I/O thread.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include <boost/asio/thread_pool.hpp>

#include "anvil/app/usage_report.h"
#include "anvil/server/auth.h"
#include "anvil/server/router.h"
#include "anvil/store/key_store.h"
#include "anvil/store/usage_store.h"

namespace anvil::server {

// Owns the worker and its connections to anvil.db (opened on first use, on the worker).
class UsageReports {
 public:
  explicit UsageReports(std::filesystem::path database);
  ~UsageReports();

  boost::asio::awaitable<core::Result<app::UsageReport>> report(store::UsageQuery query);

 private:
  core::Result<app::UsageReport> run(const store::UsageQuery& query);  // on the worker

  std::filesystem::path database_;
  boost::asio::thread_pool worker_{1};
  std::optional<store::UsageStore> usage_;
  std::optional<store::KeyStore> keys_;
};

// `reports` and `auth` (null: no authentication) must outlive the router's use.
void add_usage_routes(Router& router, UsageReports& reports, const Authenticator* auth);

}  // namespace anvil::server
