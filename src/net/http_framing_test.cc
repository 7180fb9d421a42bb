#include "net/http_framing.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>

namespace minishop::net {
namespace {

// The header of `raw` (a request line and fields, ending in an empty line), as the server
// sees it after async_read_header.
http::request_header<> Header(const std::string& raw) {
  http::request_parser<http::string_body> parser;
  boost::system::error_code ec;
  parser.eager(false);
  parser.put(boost::asio::buffer(raw), ec);
  EXPECT_FALSE(ec && ec != http::error::need_more) << raw << ": " << ec.message();
  EXPECT_TRUE(parser.is_header_done()) << raw;
  return parser.get().base();
}

std::optional<Code> CodeOf(const std::string& raw) {
  std::optional<Error> e = FramingError(Header(raw));
  if (!e) return std::nullopt;
  return e->code;
}

TEST(HttpFramingTest, AcceptsChunkedAndContentLengthOnTheirOwn) {
  EXPECT_EQ(CodeOf("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
            std::nullopt);
  EXPECT_EQ(CodeOf("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"),
            std::nullopt);
  EXPECT_EQ(CodeOf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"), std::nullopt);
  EXPECT_EQ(CodeOf("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n"), std::nullopt);
  EXPECT_EQ(CodeOf("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), std::nullopt);
}

// RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing.
TEST(HttpFramingTest, RefusesTransferEncodingInHttp10) {
  EXPECT_EQ(CodeOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf("POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n"), Code::kInvalidArgument);
}

// RFC 9112 §6.3: both length fields is how requests are smuggled past a proxy.
TEST(HttpFramingTest, RefusesTransferEncodingWithContentLength) {
  // Beast refuses the pair when Content-Length comes first or the coding is chunked; this is
  // the order it lets through.
  EXPECT_EQ(CodeOf("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                   "Content-Length: 5\r\n\r\n"),
            Code::kInvalidArgument);
}

// RFC 9112 §6.3 rule 4 and §7: chunked last and once; other codings are not implemented.
TEST(HttpFramingTest, RefusesCodingsOtherThanAFinalChunked) {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(CodeOf(head + "Transfer-Encoding: gzip\r\n\r\n"), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf(head + "Transfer-Encoding: chunked, gzip\r\n\r\n"), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf(head + "Transfer-Encoding: chunked, chunked\r\n\r\n"), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf(head + "Transfer-Encoding: ,\r\n\r\n"), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf(head + "Transfer-Encoding: gzip, chunked\r\n\r\n"), Code::kUnimplemented);
  EXPECT_EQ(CodeOf(head + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Code::kUnimplemented);
  EXPECT_EQ(CodeOf(head + "Transfer-Encoding: identity, chunked\r\n\r\n"), Code::kUnimplemented);
}

}  // namespace
}  // namespace minishop::net
