#include "http_wire.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <strings.h>

namespace stampede {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

bool HeaderIs(std::string_view line, std::string_view name, std::string_view& value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  if (strncasecmp(line.data(), name.data(), name.size()) != 0) return false;
  value = line.substr(name.size() + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return true;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (strncasecmp(hay.data() + i, needle.data(), needle.size()) == 0) return true;
  return false;
}

// Decodes a chunked body starting at data[pos]; kDone sets `end` past the final CRLF.
ParseState ParseChunked(std::string_view data, size_t pos, std::string& body, size_t& end) {
  body.clear();
  for (;;) {
    size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return ParseState::kNeedMore;
    size_t size = 0;
    auto [p, ec] = std::from_chars(data.data() + pos, data.data() + eol, size, 16);
    if (ec != std::errc() || p == data.data() + pos) return ParseState::kBad;
    pos = eol + 2;
    if (size == 0) {
      // Trailers (normally none) end with an empty line.
      size_t trailer_end = data.find("\r\n", pos);
      while (trailer_end != std::string_view::npos && trailer_end != pos) {
        pos = trailer_end + 2;
        trailer_end = data.find("\r\n", pos);
      }
      if (trailer_end == std::string_view::npos) return ParseState::kNeedMore;
      end = trailer_end + 2;
      return ParseState::kDone;
    }
    if (data.size() < pos + size + 2) return ParseState::kNeedMore;
    body.append(data.substr(pos, size));
    pos += size + 2;
  }
}
}  // namespace

bool ParseUrl(std::string_view text, Url& out) {
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) return false;
  text.remove_prefix(kScheme.size());
  size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    out.host = std::string(authority.substr(1, close - 1));
    colon = authority.find(':', close);
  } else {
    out.host = std::string(authority.substr(0, colon));
  }
  out.port = 80;
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc() || p != port.data() + port.size() || out.port <= 0 || out.port > 65535)
      return false;
  }
  return !out.host.empty();
}

ParseState ParseResponse(std::string_view data, ParsedResponse& out, size_t& consumed) {
  size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return data.size() > 64 * 1024 ? ParseState::kBad : ParseState::kNeedMore;
  std::string_view head = data.substr(0, head_end + 2);
  // "HTTP/1.1 200 OK"
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return ParseState::kBad;
  size_t sp = head.find(' ');
  if (sp == std::string_view::npos || sp + 4 > head.size()) return ParseState::kBad;
  int status = 0;
  auto [p, ec] = std::from_chars(head.data() + sp + 1, head.data() + sp + 4, status);
  if (ec != std::errc() || p != head.data() + sp + 4) return ParseState::kBad;
  out.status = status;
  out.keep_alive = head.substr(5, 3) == "1.1";
  out.retry_after_s = 0;
  int64_t content_length = -1;
  bool chunked = false;
  size_t pos = head.find("\r\n") + 2;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol - pos);
    std::string_view value;
    if (HeaderIs(line, "content-length", value)) {
      auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), content_length);
      if (e != std::errc() || q != value.data() + value.size() || content_length < 0) return ParseState::kBad;
    } else if (HeaderIs(line, "transfer-encoding", value)) {
      chunked = ContainsNoCase(value, "chunked");
    } else if (HeaderIs(line, "retry-after", value)) {
      int seconds = 0;
      auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      out.retry_after_s = e == std::errc() && q == value.data() + value.size() ? seconds : 0;
    } else if (HeaderIs(line, "connection", value)) {
      if (ContainsNoCase(value, "close")) out.keep_alive = false;
      if (ContainsNoCase(value, "keep-alive")) out.keep_alive = true;
    }
    pos = eol + 2;
  }
  const size_t body_start = head_end + 4;
  if (chunked) return ParseChunked(data, body_start, out.body, consumed);
  if (status / 100 == 1 || status == 204 || status == 304) content_length = 0;
  if (content_length < 0) return ParseState::kBad;  // read-until-close bodies: not supported
  if (data.size() < body_start + static_cast<size_t>(content_length)) return ParseState::kNeedMore;
  out.body.assign(data.substr(body_start, static_cast<size_t>(content_length)));
  consumed = body_start + static_cast<size_t>(content_length);
  return ParseState::kDone;
}

std::string RenderRequest(std::string_view method, std::string_view target, std::string_view host,
                          const std::vector<std::string>& headers, std::string_view body) {
  std::string out;
  out.reserve(128 + target.size() + body.size() + 64 * headers.size());
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  for (const std::string& h : headers) out.append(h).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  if (!body.empty()) out.append("Content-Type: application/json\r\n");
  out.append("\r\n").append(body);
  return out;
}

void Connection::Close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  in_used_ = 0;
}

asio::awaitable<bool> Connection::Connect(const tcp::endpoint& server, const asio::ip::address* source,
                                          std::string& error) {
  Close();
  boost::system::error_code ec;
  socket_.open(server.protocol(), ec);
  if (!ec && source != nullptr) {
    // Let connect() pick the port for the whole 4-tuple: a port bound before connect must
    // be free of every socket on the source address, TIME_WAIT ones of earlier phases
    // included, and tens of thousands of those make each bind a long search, then fail.
    const int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
    socket_.bind(tcp::endpoint(*source, 0), ec);
  }
  if (ec) {
    error = "socket: " + ec.message();
    Close();
    co_return false;
  }
  auto [cec] = co_await socket_.async_connect(server, kAwait);
  if (cec) {
    error = "connect: " + cec.message();
    Close();
    co_return false;
  }
  socket_.set_option(tcp::no_delay(true), ec);
  co_return true;
}

asio::awaitable<bool> Connection::Exchange(std::string_view request, ParsedResponse& response,
                                           std::string& error) {
  auto [wec, wn] = co_await asio::async_write(socket_, asio::buffer(request), kAwait);
  if (wec) {
    error = "write: " + wec.message();
    Close();
    co_return false;
  }
  // Small to start with (answers here are well under 1 KB; it doubles when one is not): a
  // phase opens thousands of connections at once, and every byte of their buffers is
  // memory to fault in and zero during its first requests.
  if (in_.size() < 2048) in_.resize(2048);
  for (;;) {
    size_t consumed = 0;
    ParseState state = in_used_ == 0 ? ParseState::kNeedMore
                                     : ParseResponse(std::string_view(in_.data(), in_used_), response, consumed);
    if (state == ParseState::kBad) {
      error = "malformed response";
      Close();
      co_return false;
    }
    if (state == ParseState::kDone) {
      std::memmove(in_.data(), in_.data() + consumed, in_used_ - consumed);
      in_used_ -= consumed;
      if (!response.keep_alive) Close();
      co_return true;
    }
    if (in_used_ == in_.size()) in_.resize(in_.size() * 2);
    auto [rec, n] = co_await socket_.async_read_some(asio::buffer(in_.data() + in_used_, in_.size() - in_used_), kAwait);
    if (rec) {
      error = rec == asio::error::eof ? "closed by server" : "read: " + rec.message();
      Close();
      co_return false;
    }
    in_used_ += n;
  }
}

}  // namespace stampede
