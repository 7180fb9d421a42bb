#include "infra/redis/sync_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <memory>

#include "common/clock.h"

namespace minishop::redis {
SyncClient::SyncClient(std::string host, int port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

SyncClient::~SyncClient() { Disconnect(); }

void SyncClient::Disconnect() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

Status SyncClient::Connect() {
  if (ctx_ != nullptr) return OkStatus();
  timeval tv = ToTimeval(timeout_);
  redisContext* ctx = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (ctx == nullptr) return MakeError(Code::kUnavailable, "redis: out of memory");
  if (ctx->err != 0 || redisSetTimeout(ctx, tv) != REDIS_OK) {
    std::string message =
        "redis: connect " + host_ + ":" + std::to_string(port_) + ": " + ctx->errstr;
    redisFree(ctx);
    return MakeError(Code::kUnavailable, std::move(message));
  }
  ctx->reader->fn = ReplyBuilder();
  ctx_ = ctx;
  return OkStatus();
}

Error SyncClient::DropWith(const std::string& what) {
  std::string message = "redis: " + what + ": " + (ctx_ ? ctx_->errstr : "not connected");
  Disconnect();
  return MakeError(Code::kUnavailable, std::move(message));
}

Result<Reply> SyncClient::Command(const std::vector<std::string>& argv, ErrorReplies errors) {
  Result<std::vector<Reply>> replies = Pipeline({argv}, errors);
  if (!replies.ok()) return replies.error();
  return std::move(replies->front());
}

Result<std::vector<Reply>> SyncClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands, ErrorReplies errors) {
  if (Status s = Connect(); !s.ok()) return s.error();
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& argv : commands) {
    args.clear();
    lengths.clear();
    for (const auto& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lengths.data()) !=
        REDIS_OK) {
      return DropWith("append");
    }
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  std::string first_error;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return DropWith("read");
    std::unique_ptr<Reply> owned(static_cast<Reply*>(raw));
    replies.push_back(std::move(*owned));
    if (replies.back().is_error() && first_error.empty()) first_error = replies.back().str;
  }
  if (errors == ErrorReplies::kFail && !first_error.empty()) {
    return MakeError(Code::kInternal, "redis: " + first_error);
  }
  return replies;
}

Result<std::vector<HashField>> SyncClient::HashEntries(const std::string& key) {
  std::vector<HashField> out;
  std::string cursor = "0";
  do {
    Result<Reply> page = Command(HashScanCommand(key, cursor), ErrorReplies::kFail);
    if (!page.ok()) return page.error();
    Result<std::string> next = ReadHashScanPage(std::move(page).value(), out);
    if (!next.ok()) return next.error();
    cursor = std::move(next).value();
  } while (cursor != "0");
  return out;
}

}  // namespace minishop::redis
