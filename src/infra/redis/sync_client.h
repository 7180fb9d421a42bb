// SyncClient: a blocking Redis connection for background threads (outbox relay, order
// worker); never use it on an event loop. One thread at a time. After an I/O error the
// connection is dropped and the next call reconnects.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"
#include "infra/redis/reply.h"

struct redisContext;

namespace minishop::redis {

class SyncClient {
 public:
  // What a Redis error reply (e.g. "BUSYGROUP …") becomes: a Reply of type kError, or a
  // kInternal Error carrying its text.
  enum class ErrorReplies { kReturn, kFail };

  // Does not connect yet. `timeout` bounds the connect and every socket read and write, so
  // it must exceed the BLOCK time of any blocking command sent through this client.
  SyncClient(std::string host, int port, std::chrono::milliseconds timeout);
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  // Connects now, if not connected. kUnavailable when Redis cannot be reached in time.
  Status Connect();
  bool connected() const { return ctx_ != nullptr; }
  // Drops the connection; the next call reconnects.
  void Disconnect();

  // Sends one command and waits for its reply. kUnavailable on connect or I/O errors
  // (including the timeout: the connection is then dropped).
  Result<Reply> Command(const std::vector<std::string>& argv,
                        ErrorReplies errors = ErrorReplies::kReturn);

  // Sends every command in one write, then reads their replies in order: one round trip.
  // Errors as Command; with kFail the first error reply fails the whole call (the other
  // commands have still run).
  Result<std::vector<Reply>> Pipeline(const std::vector<std::vector<std::string>>& commands,
                                      ErrorReplies errors = ErrorReplies::kReturn);

  // Every field of hash `key`, read in HSCAN pages (reply.h: never one blocking HGETALL).
  Result<std::vector<HashField>> HashEntries(const std::string& key);

 private:
  Error DropWith(const std::string& what);

  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_;
  redisContext* ctx_ = nullptr;
};

}  // namespace minishop::redis
