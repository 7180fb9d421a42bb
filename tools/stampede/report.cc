#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace stampede {

bool Wanted(const std::string& phase, int status) {
  if (phase.starts_with("instock")) return status == 202;
  if (phase.starts_with("soldout")) return status == 409 || status == 410;
  if (phase.starts_with("purchase")) return status == 202 || status == 409 || status == 410;
  if (phase.starts_with("ceiling")) return status == 200;
  return status != 503;
}

double WantedShare(const Phase& p) {
  uint64_t all = 0, wanted = 0;
  for (const auto& [status, n] : p.rec->by_status) {
    all += n;
    if (Wanted(p.name, status)) wanted += n;
  }
  return all > 0 ? static_cast<double>(wanted) / static_cast<double>(all) : 0;
}

double ServedRate(const Phase& p) { return p.rate * WantedShare(p); }

uint64_t CountInWindow(const Recorder& rec, double seconds) {
  uint64_t n = 0;
  const double slot_s = rec.slot_ms / 1000.0;
  for (size_t i = 0; i < rec.slots.size(); ++i) {
    if ((i + 1) * slot_s <= seconds + 1e-9) n += rec.slots[i]->count;
  }
  return n;
}

namespace {
std::string Ms(uint64_t us) {
  char buf[32];
  if (us < 10'000) std::snprintf(buf, sizeof(buf), "%.2f", us / 1000.0);
  else std::snprintf(buf, sizeof(buf), "%.1f", us / 1000.0);
  return buf;
}

std::string Statuses(const Recorder& rec) {
  std::string out;
  for (const auto& [status, n] : rec.by_status) {
    if (!out.empty()) out += " ";
    out += std::to_string(status) + ":" + std::to_string(n);
  }
  return out.empty() ? "-" : out;
}
}  // namespace

void PrintTable(const std::vector<Phase>& phases, double ceiling_rate) {
  int name_width = 22;
  for (const Phase& p : phases) name_width = std::max(name_width, static_cast<int>(p.name.size()));
  std::printf("\n%-*s %7s %7s %10s %7s %8s %8s %8s %8s %8s %8s %7s  %s\n", name_width, "scenario", "conns",
              "secs", "req/s", "ratio", "p50 ms", "p90 ms", "p99 ms", "p99.9", "max ms", "requests",
              "errors", "status counts");
  for (const Phase& p : phases) {
    const Histogram& h = p.rec->latency;
    uint64_t errors = 0;
    for (const auto& [k, v] : p.rec->errors) errors += v;
    char ratio[16] = "-";
    if (ceiling_rate > 0 && p.rate > 0) std::snprintf(ratio, sizeof(ratio), "%.2f", p.rate / ceiling_rate);
    std::printf("%-*s %7d %7.2f %10.0f %7s %8s %8s %8s %8s %8s %8llu %7llu  %s\n", name_width, p.name.c_str(),
                p.connections, p.seconds, p.rate, ratio, Ms(h.Quantile(0.5)).c_str(),
                Ms(h.Quantile(0.9)).c_str(), Ms(h.Quantile(0.99)).c_str(),
                Ms(h.Quantile(0.999)).c_str(), Ms(h.max()).c_str(),
                static_cast<unsigned long long>(p.requests), static_cast<unsigned long long>(errors),
                Statuses(*p.rec).c_str());
  }
  std::printf("\n");
}

nlohmann::json PhaseJson(const Phase& p, double ceiling_rate) {
  const Histogram& h = p.rec->latency;
  nlohmann::json statuses = nlohmann::json::object();
  for (const auto& [k, v] : p.rec->by_status) statuses[std::to_string(k)] = v;
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [k, v] : p.rec->errors) errors[k] = v;
  nlohmann::json timeline = nlohmann::json::array();
  for (size_t i = 0; i < p.rec->slots.size(); ++i) {
    const auto& s = *p.rec->slots[i];
    timeline.push_back({{"t_ms", i * p.rec->slot_ms}, {"count", s.count}, {"errors", s.errors},
                        {"p50_us", s.latency.Quantile(0.5)}, {"p99_us", s.latency.Quantile(0.99)},
                        {"max_us", s.latency.max()}});
  }
  nlohmann::json j = {{"name", p.name},
                      {"connections", p.connections},
                      {"seconds", p.seconds},
                      {"requests", p.requests},
                      {"rate", p.rate},
                      {"ratio_to_ceiling", ceiling_rate > 0 ? p.rate / ceiling_rate : 0.0},
                      {"latency_us",
                       {{"p50", h.Quantile(0.5)}, {"p90", h.Quantile(0.9)}, {"p99", h.Quantile(0.99)},
                        {"p999", h.Quantile(0.999)}, {"max", h.max()}, {"mean", h.mean()},
                        {"count", h.count()}}},
                      {"status", statuses},
                      {"errors", errors},
                      {"slot_ms", p.rec->slot_ms},
                      {"timeline", timeline}};
  if (p.rec->order_visible.count() > 0 || p.rec->orders_not_seen > 0) {
    const Histogram& o = p.rec->order_visible;
    j["order_visible_us"] = {{"p50", o.Quantile(0.5)}, {"p99", o.Quantile(0.99)}, {"max", o.max()},
                             {"seen", p.rec->orders_seen}, {"not_seen", p.rec->orders_not_seen}};
  }
  for (const auto& [k, v] : p.extra.items()) j[k] = v;
  return j;
}

std::string RenderSvg(const std::vector<Phase>& phases) {
  const int width = 900, panel = 220, margin = 60;
  const int height = static_cast<int>(phases.size()) * (panel + 40) + 40;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  int top = 30;
  for (const Phase& p : phases) {
    const auto& slots = p.rec->slots;
    const double plot_w = width - 2 * margin;
    const size_t n = std::max<size_t>(1, slots.size());
    uint64_t max_us = 1000, max_count = 1;
    for (const auto& s : slots) {
      max_us = std::max(max_us, s->latency.max());
      max_count = std::max(max_count, s->count);
    }
    // Log scale from 10 µs to the largest value (rounded up to a decade).
    const double lo = 1.0, hi = std::ceil(std::log10(static_cast<double>(max_us)));
    auto y_of = [&](uint64_t us) {
      double v = std::log10(std::max<double>(10.0, static_cast<double>(us)));
      return top + panel - (v - lo) / (hi - lo) * panel;
    };
    auto x_of = [&](size_t i) { return margin + (i + 0.5) * plot_w / n; };
    svg << "<text x=\"" << margin << "\" y=\"" << top - 8 << "\" font-weight=\"bold\">" << p.name
        << " — latency per " << p.rec->slot_ms << " ms (log scale; p50 blue, p99 orange, max red) and "
        << "responses per slot (grey bars, right scale up to " << max_count << ")</text>\n";
    svg << "<rect x=\"" << margin << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\"" << panel
        << "\" fill=\"none\" stroke=\"#999\"/>\n";
    for (int d = static_cast<int>(lo); d <= static_cast<int>(hi); ++d) {
      double y = y_of(static_cast<uint64_t>(std::pow(10, d)));
      const char* label[] = {"1 µs", "10 µs", "100 µs", "1 ms", "10 ms", "100 ms", "1 s", "10 s", "100 s"};
      svg << "<line x1=\"" << margin << "\" x2=\"" << margin + plot_w << "\" y1=\"" << y << "\" y2=\"" << y
          << "\" stroke=\"#eee\"/><text x=\"4\" y=\"" << y + 4 << "\">" << label[std::min(d, 8)] << "</text>\n";
    }
    for (size_t i = 0; i < slots.size(); ++i) {
      double h = static_cast<double>(slots[i]->count) / max_count * panel;
      svg << "<rect x=\"" << x_of(i) - plot_w / n / 2 << "\" y=\"" << top + panel - h << "\" width=\""
          << std::max(1.0, plot_w / n - 1) << "\" height=\"" << h << "\" fill=\"#ddd\"/>\n";
    }
    const std::pair<double, const char*> series[] = {{0.5, "#1f77b4"}, {0.99, "#ff7f0e"}, {1.0, "#d62728"}};
    for (const auto& [q, color] : series) {
      svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.5\" points=\"";
      for (size_t i = 0; i < slots.size(); ++i) {
        if (slots[i]->count == 0) continue;
        uint64_t v = q >= 1.0 ? slots[i]->latency.max() : slots[i]->latency.Quantile(q);
        svg << x_of(i) << "," << y_of(v) << " ";
      }
      svg << "\"/>\n";
    }
    svg << "<text x=\"" << margin << "\" y=\"" << top + panel + 14 << "\">0 s</text><text x=\""
        << margin + plot_w - 40 << "\" y=\"" << top + panel + 14 << "\">"
        << slots.size() * p.rec->slot_ms / 1000.0 << " s</text>\n";
    top += panel + 40;
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace stampede
