#include "infra/redis/script_runner.h"

namespace minishop::redis {

namespace {
std::vector<std::string> EvalShaArgv(const Script& script, const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

bool IsNoScript(const Reply& reply) {
  return reply.is_error() && reply.str.rfind("NOSCRIPT", 0) == 0;
}

// The reply to an EVALSHA `argv` whose first answer was `reply`: re-sent as EVAL on
// NOSCRIPT; an error reply becomes kInternal.
Result<Reply> Settle(SyncClient& client, const Script& script, std::vector<std::string>& argv,
                     Result<Reply> reply) {
  if (reply.ok() && IsNoScript(*reply)) {
    argv[0] = "EVAL";
    argv[1] = script.source;
    reply = client.Command(argv);
  }
  if (!reply.ok()) return reply.error();
  if (reply->is_error()) return MakeError(Code::kInternal, "redis script: " + reply->str);
  return reply;
}
}  // namespace

Result<Reply> EvalScript(SyncClient& client, const Script& script,
                         const std::vector<std::string>& keys,
                         const std::vector<std::string>& args) {
  std::vector<std::string> argv = EvalShaArgv(script, keys, args);
  return Settle(client, script, argv, client.Command(argv));
}

Result<std::vector<Reply>> EvalScriptEach(SyncClient& client, const Script& script,
                                          const std::vector<ScriptCall>& calls) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const ScriptCall& c : calls) commands.push_back(EvalShaArgv(script, c.keys, c.args));
  Result<std::vector<Reply>> replies = client.Pipeline(commands);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < replies->size(); ++i) {
    Result<Reply> settled = Settle(client, script, commands[i], std::move((*replies)[i]));
    if (!settled.ok()) return settled.error();
    (*replies)[i] = std::move(settled).value();
  }
  return replies;
}

}  // namespace minishop::redis
