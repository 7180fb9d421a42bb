// stampede: MiniShop's load generator and invariant checker (see docs/performance.md).
//
//   stampede run     the scenarios (ceiling, purchase, soldout, instock, hold) against a
//                    MiniShop, a table with ratios to the ceiling of the same run, JSON and
//                    SVG under --out, and the invariants I1–I4 checked afterwards
//   stampede check   only the invariant check of one sale
//   stampede custom  the same workload against any HTTP endpoint, described by flags
//
// Exit codes: 0 success, 1 the run could not be made, 2 bad usage, 3 an invariant failed.
#include <algorithm>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "common/clock.h"
#include "control.h"
#include "hold.h"
#include "scenarios.h"

namespace stampede {
namespace {
namespace asio = boost::asio;

constexpr int kExitFailed = 1, kExitUsage = 2, kExitInvariant = 3;

struct Flags {
  std::string url = "http://127.0.0.1:8080";
  std::string scenarios = "ceiling,purchase,soldout,instock";
  std::string admin_email = "admin@minishop.local";
  std::string admin_password;
  std::string conninfo;
  std::string tokens;
  int users = 0;  // 0: every user in the token file
  int64_t stock = 10'000;
  int connections = 1'000;
  int hold = 0;
  double rate = 0;  // open-loop req/s; 0: 0.3 x this run's ceiling
  double duration = 10;
  int threads = 1;
  int sources = 0;  // 0: one address per 4,000 connections (held ones included), at least 4
  int server_pid = 0;
  std::string out = "bench/results";
  std::string label = "run";
  double settle_timeout = 30;
  bool quiet = false;
  int64_t sale = 0;  // check
  // custom
  std::string method = "POST";
  std::string body;
  std::vector<std::string> headers;
  std::string ceiling_url;
  bool once = false;
};

bool Has(const std::string& list, const std::string& name) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ','))
    if (item == name) return true;
  return false;
}

std::string Stamp() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", std::gmtime(&t));
  return buf;
}

bool Settings(const Flags& f, const std::string& url, RunSettings& run, Url& parsed) {
  if (!ParseUrl(url, parsed)) {
    std::fprintf(stderr, "stampede: --url must look like http://127.0.0.1:8080[/path]\n");
    return false;
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(parsed.host, ec);
  if (ec || !address.is_loopback()) {
    std::fprintf(stderr, "stampede: targets 127.0.0.1 (a loopback address) only, not %s\n", parsed.host.c_str());
    return false;
  }
  run.server = asio::ip::tcp::endpoint(address, static_cast<unsigned short>(parsed.port));
  run.host_header = parsed.host + ":" + std::to_string(parsed.port);
  run.threads = f.threads;
  // Each source address has ~28,000 ports towards the server; connect's search for a free
  // one slows down long before they run out, so each address serves a few thousand.
  const int sources = f.sources > 0 ? f.sources : std::clamp((f.connections + f.hold + 3999) / 4000, 4, 64);
  if (address.is_v4()) run.sources = LoopbackSources(sources);
  run.progress = !f.quiet;
  return true;
}

// Writes <out>/<stamp>-<label>.json and .svg; returns the JSON path.
std::string WriteResults(const Flags& f, const nlohmann::json& result, const std::vector<Phase>& phases) {
  std::filesystem::create_directories(f.out);
  std::string base = f.out + "/" + Stamp() + "-" + f.label;
  std::ofstream(base + ".json") << result.dump(2) << "\n";
  std::ofstream(base + ".svg") << RenderSvg(phases);
  return base + ".json";
}

void PrintInvariants(const std::string& what, const InvariantReport& inv) {
  std::printf("invariants, %s: %s (settled: %s after %.2f s)\n", what.c_str(), inv.ok() ? "all hold" : "FAILED",
              inv.settled ? "yes" : "NO", inv.settle_wait_s);
  for (const auto& c : inv.checks)
    std::printf("  %-4s %s%s%s\n", c.ok ? "ok" : "FAIL", c.name.c_str(), c.detail.empty() ? "" : ": ",
                c.detail.c_str());
}

struct Target {
  std::string name;
  bool met;
  std::string detail;
};

// Latency targets are about real answers: a phase answered mostly with errors is fast
// for the wrong reason.
constexpr double kLatencyWantedShare = 0.999;

int Run(const Flags& f) {
  RunSettings run;
  Url url;
  if (!Settings(f, f.url, run, url)) return kExitUsage;
  std::fprintf(stderr, "stampede: file limit %llu, %d source addresses, %d thread(s)\n",
               static_cast<unsigned long long>(RaiseFileLimit()), static_cast<int>(run.sources.size()), run.threads);
  Api api{url.host, url.port, ""};
  const bool sales = Has(f.scenarios, "purchase") || Has(f.scenarios, "soldout") || Has(f.scenarios, "instock");
  std::vector<User> users;
  if (sales) {
    if (auto s = api.Login(f.admin_email, f.admin_password); !s.ok()) {
      std::fprintf(stderr, "stampede: %s\n", s.error().message.c_str());
      return kExitFailed;
    }
    auto loaded = LoadTokens(f.tokens);
    if (!loaded.ok()) {
      std::fprintf(stderr, "stampede: --tokens: %s\n", loaded.error().message.c_str());
      return kExitUsage;
    }
    users = std::move(*loaded);
    if (f.users > 0 && static_cast<size_t>(f.users) < users.size()) users.resize(static_cast<size_t>(f.users));
  }
  RequestTemplate purchase{"POST", "/api/v1/sales/{sale}/purchase", "", {"Authorization: Bearer {token}"}};
  RequestTemplate poll{"GET", "/api/v1/sales/{sale}/order", "", {"Authorization: Bearer {token}"}};

  std::vector<Phase> phases;
  nlohmann::json result = {{"label", f.label}, {"url", f.url}, {"started_epoch_ms", minishop::NowEpochMs()},
                           {"threads", f.threads}, {"users", users.size()}, {"stock", f.stock}};
  // The baseline of every ratio: the mean of the health-check rates measured before and
  // after the scenarios (the box drifts within a run; one measurement carries that drift
  // into every ratio). Open-loop rates use what has been measured when they start.
  double ceiling = 0;
  std::vector<double> ceilings;
  const std::vector<std::string> health = {RenderRequest("GET", "/healthz", run.host_header, {}, "")};
  auto measure_ceiling = [&](const std::string& name) {
    phases.push_back(RunSustained(run, name, f.connections, f.duration, health, nullptr));
    ceilings.push_back(phases.back().rate);
    ceiling = std::accumulate(ceilings.begin(), ceilings.end(), 0.0) / static_cast<double>(ceilings.size());
  };
  if (Has(f.scenarios, "ceiling")) measure_ceiling("ceiling GET /healthz");
  std::unique_ptr<Holders> holders;
  long rss_before = f.server_pid > 0 ? RssKiB(f.server_pid) : 0;
  if (Has(f.scenarios, "hold") && f.hold > 0) {
    std::fprintf(stderr, "  [hold] opening %d idle keep-alive connections\n", f.hold);
    HoldOptions ho;
    ho.connections = f.hold;
    ho.server = run.server;
    ho.sources = run.sources;
    ho.host_header = run.host_header;
    holders = std::make_unique<Holders>(ho);
    result["hold"] = {{"requested", f.hold}, {"open", holders->open()}, {"failed", holders->failed()},
                      {"server_rss_kib_before", rss_before},
                      {"server_rss_kib_held", f.server_pid > 0 ? RssKiB(f.server_pid) : 0}};
    std::fprintf(stderr, "  [hold] %d open, %d failed\n", holders->open(), holders->failed());
    if (Has(f.scenarios, "ceiling")) {
      // The held connections cost the box too: the ratios of the phases that run while they
      // are held use a ceiling measured while they are held.
      ceilings.clear();
      measure_ceiling("ceiling, connections held");
    }
  }
  std::vector<std::pair<std::string, InvariantReport>> checks;
  int64_t purchase_sale = 0;
  ClientView purchase_view;
  purchase_view.complete = true;
  std::vector<int64_t> ids;  // user id of each rendered request
  for (const User& u : users) ids.push_back(u.id);
  purchase_view.request_user = ids;
  if (Has(f.scenarios, "purchase")) {
    const int64_t lead = 1500 + 1000 + f.connections / 4;
    const int64_t start = minishop::NowEpochMs() + lead;
    auto sale = api.CreateSale(f.stock, 1, start, start + 3'600'000, "stampede " + f.label);
    if (!sale.ok()) {
      std::fprintf(stderr, "stampede: %s\n", sale.error().message.c_str());
      return kExitFailed;
    }
    purchase_sale = *sale;
    StampedeInput in;
    in.sale_id = purchase_sale;
    in.starts_at_ms = start;
    in.purchases = RenderAll(purchase, run.host_header, users, purchase_sale);
    in.polls = RenderAll(poll, run.host_header, users, purchase_sale);
    in.poll_timeout_s = f.settle_timeout;
    std::fprintf(stderr, "  [purchase] sale %lld: %zu users, stock %lld, opens in %lld ms\n",
                 static_cast<long long>(purchase_sale), users.size(), static_cast<long long>(f.stock),
                 static_cast<long long>(lead));
    phases.push_back(RunStampede(run, f.connections, in, purchase_view));
    phases.back().extra["sale_id"] = purchase_sale;
  }
  if (Has(f.scenarios, "soldout") && purchase_sale > 0) {
    auto reqs = RenderAll(purchase, run.host_header, users, purchase_sale);
    ClientView extra;  // a 202 here would be a bug (oversell): counted into the view
    extra.request_user = ids;
    phases.push_back(RunSustained(run, "soldout", f.connections, f.duration, reqs, &extra));
    purchase_view.Merge(extra);
  }
  const bool open = Has(f.scenarios, "open");
  const double open_rate = f.rate > 0 ? f.rate : (ceiling > 0 ? 0.3 * ceiling : 5000);
  if (open && Has(f.scenarios, "soldout") && purchase_sale > 0) {
    auto reqs = RenderAll(purchase, run.host_header, users, purchase_sale);
    ClientView extra;
    extra.request_user = ids;
    phases.push_back(RunOpenLoop(run, "soldout open", f.connections, f.duration, open_rate, reqs, &extra));
    purchase_view.Merge(extra);
  }
  if (purchase_sale > 0) {
    auto inv = CheckInvariants(api, f.conninfo, purchase_sale, purchase_view, f.settle_timeout);
    for (Phase& p : phases) {
      if (p.name != "purchase") continue;
      // The sale sold out when its last unit was reserved (Redis's clock, inside the script),
      // not when the generator read that 202: a loaded server answers later than it decides.
      if (inv.last_order_epoch_ms > 0 && inv.last_reserved_epoch_ms > 0)
        p.extra["last_order_after_sellout_ms"] = inv.last_order_epoch_ms - inv.last_reserved_epoch_ms;
      if (inv.last_order_epoch_ms > 0)
        p.extra["last_order_after_last_202_ms"] = inv.last_order_epoch_ms - p.extra["sold_out_epoch_ms"].get<int64_t>();
    }
    checks.emplace_back("purchase sale " + std::to_string(purchase_sale), std::move(inv));
  }
  if (Has(f.scenarios, "instock")) {
    const int64_t now = minishop::NowEpochMs();
    auto sale = api.CreateSale(100'000'000, 1000, now - 1000, now + 3'600'000, "stampede instock " + f.label);
    if (!sale.ok()) {
      std::fprintf(stderr, "stampede: %s\n", sale.error().message.c_str());
      return kExitFailed;
    }
    auto reqs = RenderAll(purchase, run.host_header, users, *sale);
    ClientView view;
    view.complete = true;
    view.request_user = ids;
    phases.push_back(RunSustained(run, "instock", f.connections, f.duration, reqs, &view));
    phases.back().extra["sale_id"] = *sale;
    if (open) {
      // The closed loop leaves orders on their way to PostgreSQL; the open loop measures
      // purchases, not that catch-up.
      const double caught_up_s = WaitSettled(api, *sale, f.settle_timeout).wait_s;
      // The in-stock capacity end to end: what the closed loop served (503s shed work rather
      // than do it) over the time until its last order landed (the back half yields during a
      // burst and catches up after it). Probe the latency at half of that: an open loop above
      // capacity only measures queueing.
      const double sustained =
          ServedRate(phases.back()) * f.duration / (f.duration + caught_up_s);
      const double instock_rate = f.rate > 0 ? f.rate : std::max(100.0, 0.5 * sustained);
      phases.push_back(RunOpenLoop(run, "instock open", f.connections, f.duration, instock_rate, reqs, &view));
      phases.back().extra["sale_id"] = *sale;
      phases.back().extra["waited_for_orders_s"] = caught_up_s;
      phases.back().extra["sustained_rate"] = sustained;
    }
    int64_t ended = minishop::NowEpochMs();
    auto inv = CheckInvariants(api, f.conninfo, *sale, view, f.settle_timeout);
    if (inv.last_order_epoch_ms > 0) phases.back().extra["last_order_after_end_ms"] = inv.last_order_epoch_ms - ended;
    checks.emplace_back("instock sale " + std::to_string(*sale), std::move(inv));
  }

  const bool measured_more = std::any_of(phases.begin(), phases.end(),
                                         [](const Phase& p) { return !p.name.starts_with("ceiling"); });
  if (Has(f.scenarios, "ceiling") && measured_more) {
    measure_ceiling(holders ? "ceiling, connections held, again" : "ceiling GET /healthz, again");
  }
  if (holders) {
    result["hold"]["open_after_sales"] = holders->Count();
    result["hold"]["server_rss_kib_after"] = f.server_pid > 0 ? RssKiB(f.server_pid) : 0;
    holders->Stop();
    holders.reset();
  }
  PrintTable(phases, ceiling);
  nlohmann::json phase_json = nlohmann::json::array();
  for (const Phase& p : phases) phase_json.push_back(PhaseJson(p, ceiling));
  result["phases"] = phase_json;
  result["ceiling_rate"] = ceiling;
  result["ceiling_rates"] = ceilings;
  if (ceilings.size() > 1) {
    std::fprintf(stdout, "ceiling: mean of %.0f and %.0f req/s (after / before %.2f)\n", ceilings.front(),
                 ceilings.back(), ceilings.back() / ceilings.front());
  }
  bool all_ok = true;
  nlohmann::json inv_json = nlohmann::json::object();
  for (const auto& [what, inv] : checks) {
    PrintInvariants(what, inv);
    inv_json[what] = inv.ToJson();
    all_ok = all_ok && inv.ok();
  }
  result["invariants"] = inv_json;
  result["invariants_ok"] = all_ok;
  // Targets of docs/performance.md, judged on this run's numbers.
  std::vector<Target> targets;
  for (const Phase& p : phases) {
    const Histogram& h = p.rec->latency;
    if (p.name == "instock" && ceiling > 0) {
      // Judged on the attempts served (a final answer), not on 503s: shedding every request
      // would otherwise meet it.
      const double served = ServedRate(p);
      char detail[160];
      std::snprintf(detail, sizeof(detail), "%.2f x ceiling served as 202 (%.2f x all answers), sustained instock",
                    served / ceiling, p.rate / ceiling);
      targets.push_back({"purchase attempts/s while stock remains >= 0.5 x ceiling", served >= 0.5 * ceiling, detail});
    }
    if (p.name == "instock open" || p.name == "soldout open") {
      char detail[160];
      std::snprintf(detail, sizeof(detail), "open loop at %.0f req/s (%.2f x ceiling): p99 %.2f ms, p99.9 %.2f ms, %.2f %% wanted answers",
                    p.extra["open_loop_rate"].get<double>(), ceiling > 0 ? p.extra["open_loop_rate"].get<double>() / ceiling : 0.0,
                    h.Quantile(0.99) / 1000.0, h.Quantile(0.999) / 1000.0, 100.0 * WantedShare(p));
      targets.push_back({p.name + " p99 <= 10 ms, p99.9 <= 25 ms at " + std::to_string(p.connections) + " connections" +
                             (result.contains("hold") ? " + " + std::to_string(result["hold"]["open"].get<int>()) + " held" : ""),
                         p.requests > 0 && WantedShare(p) >= kLatencyWantedShare && h.Quantile(0.99) <= 10'000 &&
                             h.Quantile(0.999) <= 25'000,
                         detail});
    }
    if (p.name == "soldout" && ceiling > 0)
      targets.push_back({"after sell-out >= 0.9 x ceiling", ServedRate(p) >= 0.9 * ceiling,
                         fmt::format("{:.2f} x ceiling as 409/410", ServedRate(p) / ceiling)});
    if (p.name == "purchase") {
      targets.push_back({"purchase p99 <= 10 ms, p99.9 <= 25 ms at " + std::to_string(p.connections) + " connections" +
                             (result.contains("hold") ? " + " + std::to_string(result["hold"]["open"].get<int>()) + " held" : ""),
                         p.requests > 0 && WantedShare(p) >= kLatencyWantedShare && h.Quantile(0.99) <= 10'000 &&
                             h.Quantile(0.999) <= 25'000,
                         fmt::format("p99 {:.2f} ms, p99.9 {:.2f} ms", h.Quantile(0.99) / 1000.0,
                                     h.Quantile(0.999) / 1000.0)});
      if (p.extra.contains("last_order_after_sellout_ms")) {
        int64_t lag = p.extra["last_order_after_sellout_ms"].get<int64_t>();
        targets.push_back({"every reservation a PostgreSQL order within 2 s of the sale's end", lag <= 2000,
                           "last order " + std::to_string(lag) + " ms after the last unit was reserved"});
      }
    }
  }
  nlohmann::json target_json = nlohmann::json::array();
  std::printf("targets (this run):\n");
  for (const Target& t : targets) {
    std::printf("  %-8s %s: %s\n", t.met ? "met" : "NOT MET", t.name.c_str(), t.detail.c_str());
    target_json.push_back({{"target", t.name}, {"met", t.met}, {"detail", t.detail}});
  }
  result["targets"] = target_json;
  std::printf("results: %s (+ .svg)\n", WriteResults(f, result, phases).c_str());
  return all_ok ? 0 : kExitInvariant;
}

int Check(const Flags& f) {
  Url url;
  if (!ParseUrl(f.url, url)) return kExitUsage;
  Api api{url.host, url.port, ""};
  if (auto s = api.Login(f.admin_email, f.admin_password); !s.ok()) {
    std::fprintf(stderr, "stampede: %s\n", s.error().message.c_str());
    return kExitFailed;
  }
  ClientView view;  // unknown: only checks that need no client knowledge
  auto inv = CheckInvariants(api, f.conninfo, f.sale, view, f.settle_timeout);
  PrintInvariants("sale " + std::to_string(f.sale), inv);
  return inv.ok() ? 0 : kExitInvariant;
}

int Custom(const Flags& f) {
  RunSettings run;
  Url url;
  if (!Settings(f, f.url, run, url)) return kExitUsage;
  RaiseFileLimit();
  std::vector<User> users;
  if (!f.tokens.empty()) {
    auto loaded = LoadTokens(f.tokens);
    if (!loaded.ok()) {
      std::fprintf(stderr, "stampede: %s\n", loaded.error().message.c_str());
      return kExitUsage;
    }
    users = std::move(*loaded);
  }
  if (f.users > 0 && users.size() > static_cast<size_t>(f.users)) users.resize(static_cast<size_t>(f.users));
  for (int i = static_cast<int>(users.size()); i < std::max(1, f.users); ++i) users.push_back({i + 1, ""});
  RequestTemplate t{f.method, url.target, f.body, f.headers};
  std::vector<Phase> phases;
  double ceiling = 0;
  if (!f.ceiling_url.empty()) {
    Url c;
    if (!ParseUrl(f.ceiling_url, c)) return kExitUsage;
    std::vector<std::string> req = {RenderRequest("GET", c.target, run.host_header, {}, "")};
    phases.push_back(RunSustained(run, "ceiling GET " + c.target, f.connections, f.duration, req, nullptr));
    ceiling = phases.back().rate;
  }
  auto reqs = RenderAll(t, run.host_header, users, f.sale);
  phases.push_back(RunSustained(run, f.method + " " + url.target, f.connections, f.duration, reqs, nullptr));
  PrintTable(phases, ceiling);
  nlohmann::json result = {{"label", f.label}, {"url", f.url}, {"ceiling_rate", ceiling}};
  nlohmann::json pj = nlohmann::json::array();
  for (const Phase& p : phases) pj.push_back(PhaseJson(p, ceiling));
  result["phases"] = pj;
  std::printf("results: %s (+ .svg)\n", WriteResults(f, result, phases).c_str());
  return 0;
}

}  // namespace
}  // namespace stampede

int main(int argc, char** argv) {
  using stampede::Flags;
  signal(SIGPIPE, SIG_IGN);
  Flags f;
  CLI::App app{"stampede: flash-sale load generator and invariant checker (127.0.0.1 targets only)"};
  app.require_subcommand(1);
  auto common = [&f](CLI::App* c) {
    c->add_option("--url", f.url, "Server base URL (custom: the full endpoint URL)");
    c->add_option("--connections", f.connections, "Concurrent connections of the load phases");
    c->add_option("--duration", f.duration, "Seconds of each sustained phase");
    c->add_option("--threads", f.threads, "Load generator threads");
    c->add_option("--sources", f.sources,
                  "Source addresses 127.0.0.2.. to spread connections over (0: one per 4,000 connections, at least 4)");
    c->add_option("--tokens", f.tokens, "File of '<user_id> <token>' lines (minishop users provision)");
    c->add_option("--users", f.users, "Use only the first N users of the token file");
    c->add_option("--out", f.out, "Directory for the JSON and SVG results");
    c->add_option("--label", f.label, "Name of this run in the result file names");
    c->add_flag("--quiet", f.quiet, "No progress lines");
  };
  auto admin = [&f](CLI::App* c) {
    c->add_option("--admin-email", f.admin_email, "Admin account (creates sales, reads stats)");
    c->add_option("--admin-password", f.admin_password, "Admin password")->envname("STAMPEDE_ADMIN_PASSWORD");
    c->add_option("--pg", f.conninfo, "libpq conninfo for the direct-SQL invariant checks");
    c->add_option("--settle-timeout", f.settle_timeout, "Seconds to wait for orders to reach PostgreSQL");
  };
  auto* run = app.add_subcommand("run", "Run scenarios against MiniShop and check the invariants");
  common(run);
  admin(run);
  run->add_option("--scenarios", f.scenarios,
                  "Comma list of ceiling,purchase,soldout,instock,open,hold (open: open-loop twins of "
                  "soldout and instock at --rate)");
  run->add_option("--rate", f.rate,
                  "Open-loop request rate, req/s in total (0: soldout at 0.3 x this run's ceiling, "
                  "instock at 0.5 x its closed loop's end-to-end rate)");
  run->add_option("--stock", f.stock, "Units of the purchase scenario's sale");
  run->add_option("--hold", f.hold, "Idle keep-alive connections held during purchase and soldout");
  run->add_option("--server-pid", f.server_pid, "Server pid, to report its RSS");
  auto* check = app.add_subcommand("check", "Check invariants I1-I4 of one sale (stats endpoint + SQL)");
  check->add_option("--url", f.url, "Server base URL");
  admin(check);
  check->add_option("--sale", f.sale, "Sale id")->required();
  auto* custom = app.add_subcommand("custom", "Sustained load on any HTTP endpoint");
  common(custom);
  custom->add_option("--method", f.method, "HTTP method");
  custom->add_option("--body", f.body, "Body template ({user}, {token}, {sale})");
  custom->add_option("--header", f.headers, "Header template line, e.g. 'Authorization: Bearer {token}'");
  custom->add_option("--ceiling-url", f.ceiling_url, "GET this URL first as the ceiling of the ratios");
  custom->add_option("--sale", f.sale, "Value of {sale}");
  CLI11_PARSE(app, argc, argv);
  if (f.connections < 1 || f.threads < 1 || f.duration <= 0) {
    std::fprintf(stderr, "stampede: --connections, --threads and --duration must be positive\n");
    return stampede::kExitUsage;
  }
  if (run->parsed()) return stampede::Run(f);
  if (check->parsed()) return stampede::Check(f);
  return stampede::Custom(f);
}
