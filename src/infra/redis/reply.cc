#include "infra/redis/reply.h"

#include <hiredis/hiredis.h>

#include <charconv>
#include <new>

namespace minishop::redis {

namespace {

// Where the reader's current element goes: a new root, or its slot in the parent array
// (sized by CreateArray before any element is read).
Reply* Slot(const redisReadTask* task) {
  if (task->parent == nullptr) return new (std::nothrow) Reply;
  auto* parent = static_cast<Reply*>(task->parent->obj);
  return &parent->elements[static_cast<size_t>(task->idx)];
}

// hiredis is C: nothing may throw through it. A null return is its out-of-memory error.
template <typename Fill>
void* Build(const redisReadTask* task, Fill fill) noexcept {
  try {
    Reply* r = Slot(task);
    if (r != nullptr) fill(*r);
    return r;
  } catch (...) {
    return nullptr;
  }
}

void* CreateString(const redisReadTask* task, char* str, size_t len) {
  return Build(task, [&](Reply& r) {
    r.type = task->type == REDIS_REPLY_ERROR    ? Reply::Type::kError
             : task->type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                                : Reply::Type::kString;
    r.str.assign(str, len);
  });
}

void* CreateArray(const redisReadTask* task, int elements) {
  return Build(task, [&](Reply& r) {
    r.type = Reply::Type::kArray;
    r.elements.resize(static_cast<size_t>(elements));
  });
}

void* CreateInteger(const redisReadTask* task, long long value) {
  return Build(task, [&](Reply& r) {
    r.type = Reply::Type::kInteger;
    r.integer = value;
  });
}

void* CreateNil(const redisReadTask* task) {
  return Build(task, [](Reply& r) { r.type = Reply::Type::kNil; });
}

// Only ever called on a root (hiredis frees what it has not returned yet).
void FreeObject(void* reply) { delete static_cast<Reply*>(reply); }

redisReplyObjectFunctions kReplyBuilder = {CreateString, CreateArray, CreateInteger, CreateNil,
                                           FreeObject};

}  // namespace

redisReplyObjectFunctions* ReplyBuilder() { return &kReplyBuilder; }

namespace {

constexpr int kMaxDepth = 16;

// The integer on the line starting at `pos` (after the type byte); advances `pos` past
// its CRLF. kNeedMore if the line is incomplete.
ReplyParse LineInt(std::string_view data, size_t& pos, int64_t& value) {
  size_t cr = data.find('\r', pos);
  if (cr == std::string_view::npos || cr + 1 >= data.size()) return ReplyParse::kNeedMore;
  if (data[cr + 1] != '\n') return ReplyParse::kBad;
  auto [ptr, ec] = std::from_chars(data.data() + pos, data.data() + cr, value);
  if (ec != std::errc() || ptr != data.data() + cr) return ReplyParse::kBad;
  pos = cr + 2;
  return ReplyParse::kDone;
}

ReplyParse ParseAt(std::string_view data, size_t& pos, Reply& out, int depth) {
  if (pos >= data.size()) return ReplyParse::kNeedMore;
  const char kind = data[pos++];
  switch (kind) {
    case '+':
    case '-': {
      size_t cr = data.find('\r', pos);
      if (cr == std::string_view::npos || cr + 1 >= data.size()) return ReplyParse::kNeedMore;
      if (data[cr + 1] != '\n') return ReplyParse::kBad;
      out.type = kind == '+' ? Reply::Type::kStatus : Reply::Type::kError;
      out.str.assign(data.data() + pos, cr - pos);
      pos = cr + 2;
      return ReplyParse::kDone;
    }
    case ':': {
      out.type = Reply::Type::kInteger;
      return LineInt(data, pos, out.integer);
    }
    case '$': {
      int64_t len = 0;
      if (ReplyParse r = LineInt(data, pos, len); r != ReplyParse::kDone) return r;
      if (len < 0) {
        out.type = Reply::Type::kNil;
        return ReplyParse::kDone;
      }
      const auto n = static_cast<size_t>(len);
      if (data.size() - pos < n + 2) return ReplyParse::kNeedMore;
      if (data[pos + n] != '\r' || data[pos + n + 1] != '\n') return ReplyParse::kBad;
      out.type = Reply::Type::kString;
      out.str.assign(data.data() + pos, n);
      pos += n + 2;
      return ReplyParse::kDone;
    }
    case '*': {
      int64_t count = 0;
      if (ReplyParse r = LineInt(data, pos, count); r != ReplyParse::kDone) return r;
      if (count < 0) {
        out.type = Reply::Type::kNil;
        return ReplyParse::kDone;
      }
      if (depth >= kMaxDepth) return ReplyParse::kBad;
      // Each element takes at least 3 bytes: never reserve more than the input can hold.
      const auto n = static_cast<size_t>(count);
      if (n > (data.size() - pos) / 3) return ReplyParse::kNeedMore;
      out.type = Reply::Type::kArray;
      out.elements.resize(n);
      for (Reply& element : out.elements) {
        if (ReplyParse r = ParseAt(data, pos, element, depth + 1); r != ReplyParse::kDone) return r;
      }
      return ReplyParse::kDone;
    }
    default:
      return ReplyParse::kBad;
  }
}

}  // namespace

ReplyParse ParseReply(std::string_view data, Reply& out, size_t& consumed) {
  size_t pos = 0;
  ReplyParse r = ParseAt(data, pos, out, 0);
  if (r == ReplyParse::kDone) consumed = pos;
  return r;
}

std::vector<std::string> HashScanCommand(const std::string& key, const std::string& cursor) {
  return {"HSCAN", key, cursor, "COUNT", kHashScanCount};
}

Result<std::string> ReadHashScanPage(Reply&& reply, std::vector<HashField>& out) {
  if (reply.type != Reply::Type::kArray || reply.elements.size() != 2 ||
      reply.elements[0].type != Reply::Type::kString ||
      reply.elements[1].type != Reply::Type::kArray || reply.elements[1].elements.size() % 2 != 0) {
    return MakeError(Code::kInternal, "redis: unexpected HSCAN reply");
  }
  std::vector<Reply>& items = reply.elements[1].elements;
  for (size_t i = 0; i < items.size(); i += 2) {
    out.push_back({std::move(items[i].str), std::move(items[i + 1].str)});
  }
  return std::move(reply.elements[0].str);
}

}  // namespace minishop::redis
