// The load generator's HTTP/1.1 client: pre-rendered request bytes written as they are,
// responses parsed only as far as a load generator needs (status, Content-Length or
// chunked body, Connection: close). Far cheaper per request than a general client, so
// the generator is not what a measurement measures. One Connection per coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stampede {

// "http://127.0.0.1:8080/path?x" split into its parts. Only http and IPv4/IPv6 literals.
struct Url {
  std::string host;
  int port = 80;
  std::string target = "/";
};
bool ParseUrl(std::string_view text, Url& out);

// Incremental response parser over a byte buffer.
struct ParsedResponse {
  int status = 0;
  bool keep_alive = true;
  int retry_after_s = 0;  // Retry-After in seconds; 0 when absent or not a number
  std::string body;
};
enum class ParseState { kNeedMore, kDone, kBad };
// Parses one response from the front of `data`; on kDone sets `consumed` to its length.
ParseState ParseResponse(std::string_view data, ParsedResponse& out, size_t& consumed);

// Renders a request. `headers` are complete "Name: value" lines without CRLF.
std::string RenderRequest(std::string_view method, std::string_view target, std::string_view host,
                          const std::vector<std::string>& headers, std::string_view body);

class Connection {
 public:
  explicit Connection(boost::asio::any_io_executor executor) : socket_(executor) {}

  // Connects, binding `source` first when it is not empty. Returns false on failure with
  // the reason in `error`.
  boost::asio::awaitable<bool> Connect(const boost::asio::ip::tcp::endpoint& server,
                                       const boost::asio::ip::address* source, std::string& error);
  // Writes `request` and reads one response. False on an I/O or protocol error (the
  // connection is closed; Connect again).
  boost::asio::awaitable<bool> Exchange(std::string_view request, ParsedResponse& response,
                                        std::string& error);
  bool is_open() const { return socket_.is_open(); }
  void Close();

 private:
  boost::asio::ip::tcp::socket socket_;
  std::string in_;
  size_t in_used_ = 0;
};

}  // namespace stampede
