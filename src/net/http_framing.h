// The message-framing rules of RFC 9112 §6 that Boost.Beast 1.81 leaves to the application,
// checked on a request's header before its body is read. Beast itself refuses malformed
// chunk sizes and chunk framing, conflicting Content-Length values and a Content-Length that
// is not a number; it accepts, and this module refuses:
//   - Transfer-Encoding in an HTTP/1.0 request (§6.1: faulty framing)          → 400
//   - Transfer-Encoding together with Content-Length (§6.1, §6.3: smuggling)   → 400
//   - a Transfer-Encoding whose final coding is not chunked (§6.3 rule 4), or
//     chunked applied more than once (§7)                                       → 400
//   - a transfer coding other than chunked before the final chunked (§6.1)     → 501
// Each answer closes the connection, as §6.3 requires after faulty framing. Pure: any thread.
#pragma once

#include <optional>

#include "common/result.h"
#include "net/http_types.h"

namespace minishop::net {

// nullopt when the request's framing is acceptable; otherwise the error to answer with.
std::optional<Error> FramingError(const http::request_header<>& header);

}  // namespace minishop::net
