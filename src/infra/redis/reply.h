// Reply: an owned copy of one Redis reply, shared by the async (event-loop) client and the
// blocking client. Plain value type: copy/move freely across threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace minishop::redis {

struct Reply {
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

// Deep-copies a hiredis reply tree.
Reply FromHiredis(const redisReply* r);

}  // namespace minishop::redis
