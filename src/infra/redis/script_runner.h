// EvalScript: runs a Lua script through a blocking SyncClient with EVALSHA, re-sending it
// with EVAL when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH). For background
// threads only, like SyncClient itself.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "infra/redis/async_client.h"
#include "infra/redis/reply.h"
#include "infra/redis/sync_client.h"

namespace minishop::redis {

// Blocks for one or two round trips. Returns the script's reply; a Redis error reply
// (a failing script) is kInternal with its text; connection problems as SyncClient.
Result<Reply> EvalScript(SyncClient& client, const Script& script,
                         const std::vector<std::string>& keys,
                         const std::vector<std::string>& args);

struct ScriptCall {
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Runs `script` once per call in one pipelined round trip (plus one EVAL round trip for
// each call Redis answered NOSCRIPT). Replies in call order; fails as EvalScript on the
// first failing call.
Result<std::vector<Reply>> EvalScriptEach(SyncClient& client, const Script& script,
                                          const std::vector<ScriptCall>& calls);

}  // namespace minishop::redis
