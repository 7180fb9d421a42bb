// HTTP/1.1 clients for tools and tests: a keep-alive connection for coroutines (one
// loop), and a blocking one-shot request. Neither is used on the server's request path.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <map>
#include <string>

#include "common/result.h"
#include "net/http_types.h"

namespace minishop::net {

using ClientRequest = http::request<http::string_body>;

// One keep-alive connection; use from one coroutine at a time.
class HttpClientConnection {
 public:
  explicit HttpClientConnection(boost::asio::any_io_executor executor);

  // Connects to host:port, optionally from a given local address (many 127.0.0.x sources
  // let a load generator open more connections than one address pair's ephemeral ports).
  boost::asio::awaitable<Status> Connect(const std::string& host, int port,
                                         const std::string& source_address = "");
  // Sends `request` and reads the response. kUnavailable on any I/O error (the connection
  // is then closed; Connect again to reuse the object).
  boost::asio::awaitable<Result<Response>> Send(ClientRequest& request);
  bool is_open() const { return socket_.is_open(); }
  void Close();

 private:
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

struct BlockingRequest {
  http::verb method = http::verb::get;
  std::string target = "/";
  std::string body;
  std::map<std::string, std::string> headers;  // e.g. Authorization
};

// Opens a connection, sends one request with Connection: close, returns the response.
// kUnavailable if the server cannot be reached or does not answer within `timeout`.
Result<Response> Fetch(const std::string& host, int port, const BlockingRequest& request,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace minishop::net
