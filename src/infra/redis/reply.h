// Reply: an owned copy of one Redis reply, shared by the async (event-loop) client and the
// blocking client. Plain value type: copy/move freely across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct redisReplyObjectFunctions;

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

// hiredis reader callbacks that build a Reply tree in place: one allocation for the root,
// one per array and per long string, instead of hiredis's own tree (an object and a buffer
// per element) and a deep copy of it. Install them as `reader->fn` before the first reply
// is read; every reply the reader returns is then a `Reply*` the caller deletes.
redisReplyObjectFunctions* ReplyBuilder();

// Parses one RESP2 reply from the front of `data` into `out` (one allocation per array,
// none for short strings). kDone sets `consumed` to the reply's length; kNeedMore: the
// reply is not complete yet (call again with more bytes); kBad: not RESP, or nested
// deeper than 16 arrays.
enum class ReplyParse { kDone, kNeedMore, kBad };
ReplyParse ParseReply(std::string_view data, Reply& out, size_t& consumed);

// Reading a whole hash without blocking Redis: HGETALL of a sale's status hash (a field per
// reservation and per buyer) holds every other client until the whole hash is written out;
// HSCAN pages of kHashScanCount fields each hold them briefly. A field may come twice (the
// hash was resized between pages): callers keep the last value.
inline constexpr const char* kHashScanCount = "1000";
// The HSCAN command for the page at `cursor` ("0" first).
std::vector<std::string> HashScanCommand(const std::string& key, const std::string& cursor);
// One HSCAN reply: appends its field/value pairs to `out` and returns the next cursor ("0":
// done). kInternal for a reply that is not HSCAN's shape.
struct HashField {
  std::string field;
  std::string value;
};
Result<std::string> ReadHashScanPage(Reply&& reply, std::vector<HashField>& out);

}  // namespace minishop::redis
