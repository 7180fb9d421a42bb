// HeldWork: whether a pipeline stage (the outbox relay, the order worker) holds work it took
// from its source and has not handed on yet, so that another thread can wait until nothing
// that was held at some instant is still held — without a fixed sleep (the inventory
// rebuild, docs/consistency.md). The stage's own thread calls Connected/Hold/Release/
// Abandon; any thread calls Look. Every call takes a short lock and never blocks otherwise.
#pragma once

#include <cstdint>
#include <mutex>

namespace minishop {

class HeldWork {
 public:
  struct Snapshot {
    bool connected = false;  // subscribed to its source (the worker's consumer is open)
    bool holding = false;    // holds work taken from the source and not finished
    uint64_t releases = 0;   // times it finished everything it held
    uint64_t abandons = 0;   // times it lost its connection (what it held went back)
  };

  // The stage is subscribed to its source again.
  void Connected() {
    std::lock_guard lock(mu_);
    now_.connected = true;
  }
  // The stage took work (idempotent until the next Release or Abandon).
  void Hold() {
    std::lock_guard lock(mu_);
    now_.holding = true;
  }
  // The stage finished everything it held: handed on and settled with its source.
  void Release() {
    std::lock_guard lock(mu_);
    if (!now_.holding) return;
    now_.holding = false;
    ++now_.releases;
  }
  // The stage lost its connection: what it held went back to the source unfinished.
  void Abandon() {
    std::lock_guard lock(mu_);
    now_.connected = false;
    now_.holding = false;
    ++now_.abandons;
  }

  Snapshot Look() const {
    std::lock_guard lock(mu_);
    return now_;
  }

  // True when everything held at `before` has been finished by `now`: nothing was held,
  // or a Release happened in between. An Abandon in between is not a finish: the caller
  // compares `abandons` itself.
  static bool FinishedSince(const Snapshot& before, const Snapshot& now) {
    return !before.holding || now.releases != before.releases;
  }

 private:
  mutable std::mutex mu_;
  Snapshot now_;
};

}  // namespace minishop
