// Results of a run: one Phase per scenario, printed as a table with ratios to the ceiling
// of the same run, written as JSON and drawn as an SVG latency-over-time plot.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "load.h"

namespace stampede {

struct Phase {
  std::string name;
  int connections = 0;
  double seconds = 0;     // the measured window
  uint64_t requests = 0;  // responses inside the window
  double rate = 0;        // requests / seconds
  std::shared_ptr<Recorder> rec;
  nlohmann::json extra = nlohmann::json::object();  // scenario-specific figures
};

// The answers a phase is there to measure: a purchase that reserved (202) while stock
// remains, a sold-out or limit answer (410/409) after it, 200 from the health check.
// Anything else (401 from a stale token file, 404, 5xx, 503 shedding) is work not done.
bool Wanted(const std::string& phase, int status);

// The share of a phase's answers that are the ones it measures (0 without answers).
double WantedShare(const Phase& p);

// Wanted answers per second, from the phase's rate and its status counts.
double ServedRate(const Phase& p);

// Requests completed within [0, seconds) of the recorder's origin, from its slots.
uint64_t CountInWindow(const Recorder& rec, double seconds);

// The terminal table. `ceiling_rate` 0: no ratio column values.
void PrintTable(const std::vector<Phase>& phases, double ceiling_rate);

nlohmann::json PhaseJson(const Phase& phase, double ceiling_rate);

// Latency (p50, p99, max per slot, log scale) and throughput over time, one panel per phase.
std::string RenderSvg(const std::vector<Phase>& phases);

}  // namespace stampede
