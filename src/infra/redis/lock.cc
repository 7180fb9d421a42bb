#include "infra/redis/lock.h"

#include <random>

#include "infra/redis/script_runner.h"

namespace minishop::redis {
namespace {

// KEYS: lease, fence counter. ARGV: token, ttl ms. Reply: the new fence, or 0 when held.
const Script& AcquireScript() {
  static const Script script(R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
)lua");
  return script;
}

// KEYS: lease. ARGV: token, ttl ms. Reply: 1 extended, 0 not ours.
const Script& ExtendScript() {
  static const Script script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua");
  return script;
}

// KEYS: lease. ARGV: token. Reply: 1 released, 0 not ours.
const Script& ReleaseScript() {
  static const Script script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua");
  return script;
}

}  // namespace

std::string RandomToken() {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 4; ++j) {
      out += kHex[v & 0xf];
      v >>= 4;
    }
  }
  return out;
}

DistributedLock::DistributedLock(SyncClient& client, std::string key)
    : client_(client), key_(std::move(key)) {}

Result<std::optional<Lease>> DistributedLock::TryAcquire(std::chrono::milliseconds ttl) {
  Lease lease{RandomToken(), 0};
  Result<Reply> r = EvalScript(client_, AcquireScript(), {key_, key_ + ":fence"},
                               {lease.token, std::to_string(ttl.count())});
  if (!r.ok()) return r.error();
  if (r->type != Reply::Type::kInteger) return MakeError(Code::kInternal, "lock: odd reply");
  if (r->integer == 0) return std::optional<Lease>();
  lease.fence = r->integer;
  return std::optional<Lease>(std::move(lease));
}

Result<bool> DistributedLock::Extend(const Lease& lease, std::chrono::milliseconds ttl) {
  Result<Reply> r =
      EvalScript(client_, ExtendScript(), {key_}, {lease.token, std::to_string(ttl.count())});
  if (!r.ok()) return r.error();
  return r->integer == 1;
}

Result<bool> DistributedLock::Release(const Lease& lease) {
  Result<Reply> r = EvalScript(client_, ReleaseScript(), {key_}, {lease.token});
  if (!r.ok()) return r.error();
  return r->integer == 1;
}

}  // namespace minishop::redis
