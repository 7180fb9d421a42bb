// The scenarios of a run and their shared settings. Each returns a Phase for the report;
// the purchase-path scenarios also return what the clients saw, for the invariant check.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "control.h"
#include "load.h"
#include "report.h"

namespace stampede {

struct User {
  int64_t id = 0;
  std::string token;
};

// Reads "<user_id> <token>" lines (minishop users provision --out).
minishop::Result<std::vector<User>> LoadTokens(const std::string& path);

// How requests are written. Templates may use {user} (user id), {token} and {sale}.
struct RequestTemplate {
  std::string method = "POST";
  std::string target;                // e.g. /api/v1/sales/{sale}/purchase
  std::string body;                  // empty: no body
  std::vector<std::string> headers;  // e.g. "Authorization: Bearer {token}"
};
std::string Expand(std::string_view text, const User& user, int64_t sale_id);
std::vector<std::string> RenderAll(const RequestTemplate& t, const std::string& host,
                                   const std::vector<User>& users, int64_t sale_id);

struct RunSettings {
  boost::asio::ip::tcp::endpoint server;
  std::string host_header;
  int threads = 1;
  std::vector<boost::asio::ip::address> sources;
  bool progress = true;
};

// Closed loop: every connection sends requests[(index + k * connections) % size] back to
// back for `seconds`. With `view`, 202 bodies' reservation ids are collected into it.
Phase RunSustained(const RunSettings& run, const std::string& name, int connections, double seconds,
                   const std::vector<std::string>& requests, ClientView* view);

// Open loop: `rate` requests/s in total, spread evenly over the connections (each sends
// every connections/rate seconds, phase-shifted by index/rate), for `seconds`. Latency is
// measured from each request's scheduled send time, so queueing behind a slow answer
// counts (no coordinated omission). Requests as in RunSustained.
Phase RunOpenLoop(const RunSettings& run, const std::string& name, int connections, double seconds,
                  double rate, const std::vector<std::string>& requests, ClientView* view);

// The stampede: connection i owns users i, i+C, …; each connection syncs its clock with
// GET /api/v1/time, sleeps until the sale's start instant, fires one purchase per user
// back to back, then polls GET /api/v1/sales/{id}/order for each accepted user until the
// order is awaiting_payment (or `poll_timeout_s`).
struct StampedeInput {
  int64_t sale_id = 0;
  int64_t starts_at_ms = 0;
  std::vector<std::string> purchases;  // one per user
  std::vector<std::string> polls;      // one per user
  int poll_interval_ms = 100;
  double poll_timeout_s = 30;
};
Phase RunStampede(const RunSettings& run, int connections, const StampedeInput& in, ClientView& view);

}  // namespace stampede
