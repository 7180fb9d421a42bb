#include "infra/redis/script_runner.h"

namespace minishop::redis {

Result<Reply> EvalScript(SyncClient& client, const Script& script,
                         const std::vector<std::string>& keys,
                         const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  Result<Reply> reply = client.Command(argv);
  if (reply.ok() && reply->is_error() && reply->str.rfind("NOSCRIPT", 0) == 0) {
    argv[0] = "EVAL";
    argv[1] = script.source;
    reply = client.Command(argv);
  }
  if (!reply.ok()) return reply.error();
  if (reply->is_error()) return MakeError(Code::kInternal, "redis script: " + reply->str);
  return reply;
}

}  // namespace minishop::redis
