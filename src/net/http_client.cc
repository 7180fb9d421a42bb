#include "net/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace minishop::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
}

HttpClientConnection::HttpClientConnection(asio::any_io_executor executor) : socket_(executor) {}

void HttpClientConnection::Close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  buffer_.clear();
}

asio::awaitable<Status> HttpClientConnection::Connect(const std::string& host, int port,
                                                      const std::string& source_address) {
  Close();
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) co_return MakeError(Code::kInvalidArgument, "not an IP address: " + host);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  socket_.open(endpoint.protocol(), ec);
  if (!ec && !source_address.empty()) {
    auto source = asio::ip::make_address(source_address, ec);
    if (!ec) socket_.bind(tcp::endpoint(source, 0), ec);
  }
  if (ec) co_return MakeError(Code::kUnavailable, "socket: " + ec.message());
  auto [cec] = co_await socket_.async_connect(endpoint, kAwait);
  if (cec) {
    Close();
    co_return MakeError(Code::kUnavailable,
                        "connect " + host + ":" + std::to_string(port) + ": " + cec.message());
  }
  socket_.set_option(tcp::no_delay(true), ec);
  co_return OkStatus();
}

asio::awaitable<Result<Response>> HttpClientConnection::Send(ClientRequest& request) {
  request.prepare_payload();
  auto [wec, wn] = co_await http::async_write(socket_, request, kAwait);
  if (wec) {
    Close();
    co_return MakeError(Code::kUnavailable, "write: " + wec.message());
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [rec, rn] = co_await http::async_read(socket_, buffer_, parser, kAwait);
  if (rec) {
    Close();
    co_return MakeError(Code::kUnavailable, "read: " + rec.message());
  }
  Response response = parser.release();
  if (!response.keep_alive()) Close();
  co_return response;
}

Result<Response> Fetch(const std::string& host, int port, const BlockingRequest& request,
                       std::chrono::milliseconds timeout) {
  asio::io_context io;
  std::optional<Result<Response>> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        HttpClientConnection conn(io.get_executor());
        Status s = co_await conn.Connect(host, port);
        if (!s.ok()) {
          result.emplace(s.error());
          co_return;
        }
        ClientRequest req{request.method, request.target, 11};
        req.set(http::field::host, host);
        req.keep_alive(false);
        for (const auto& [k, v] : request.headers) req.set(k, v);
        if (!request.body.empty() && req.find(http::field::content_type) == req.end())
          req.set(http::field::content_type, "application/json");
        req.body() = request.body;
        result.emplace(co_await conn.Send(req));
      },
      [](std::exception_ptr) {});
  io.run_for(timeout);
  if (!result.has_value()) return MakeError(Code::kUnavailable, "request timed out");
  return std::move(*result);
}

}  // namespace minishop::net
