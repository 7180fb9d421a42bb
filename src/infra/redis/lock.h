// DistributedLock: a lease on one Redis key that at most one holder owns at a time, for
// singleton jobs (expiry scanner, reconciliation) running in several processes.
//
// Acquire is `SET key token NX PX ttl` with a random token, done in a Lua script that also
// INCRs a fencing counter (`<key>:fence`) and returns it: every successful acquisition gets
// a strictly larger fence than all earlier ones. Extend and Release are Lua scripts that
// act only when the key still holds the caller's token, so a holder whose lease expired
// (and was taken by another) can neither extend nor delete the new holder's lease. A lease
// can still expire while its holder pauses; writers that must not act on a stale lease
// pass the fence to the store they write, which rejects fences older than one it has
// seen (see order::ClaimFence).
//
// Blocking (SyncClient); one thread at a time per DistributedLock object.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"
#include "infra/redis/sync_client.h"

namespace minishop::redis {

struct Lease {
  std::string token;  // random, unique to this acquisition
  int64_t fence = 0;  // strictly increasing per key across acquisitions
};

class DistributedLock {
 public:
  // `client` must outlive the lock. `key` is the Redis key of the lease.
  DistributedLock(SyncClient& client, std::string key);

  // Takes the lease for `ttl` if nobody holds it. Returns the lease, nullopt when another
  // holder has it, or kUnavailable/kInternal on Redis errors.
  Result<std::optional<Lease>> TryAcquire(std::chrono::milliseconds ttl);
  // Pushes the expiry of `lease` to now + ttl. false when the lease is no longer ours.
  Result<bool> Extend(const Lease& lease, std::chrono::milliseconds ttl);
  // Deletes the key if it still holds `lease`'s token. false when it did not (expired or
  // owned by someone else): nothing was deleted.
  Result<bool> Release(const Lease& lease);

  const std::string& key() const { return key_; }

 private:
  SyncClient& client_;
  std::string key_;
};

// A token of 32 random hex characters (from the OS random source).
std::string RandomToken();

}  // namespace minishop::redis
