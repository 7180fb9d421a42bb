// Reading a request's JSON body as the public API accepts it.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"
#include "net/http_types.h"

namespace minishop::gateway {

// Parses JSON as I-JSON (RFC 7493) requires of what a client sends: kInvalidJson for text
// that is not JSON, an object with a duplicate key (RFC 8259 §4 leaves its meaning open, so a
// proxy or a log may read another value than the server), or a string holding U+0000.
Result<nlohmann::json> ParseStrictJson(std::string_view text);

// Whether a Content-Type value names JSON: media type application/json (any case), with or
// without parameters such as charset.
bool IsJsonMediaType(std::string_view content_type);

// Parses a JSON request body with ParseStrictJson: kUnsupportedMediaType for a non-JSON
// content type, kInvalidJson for a body that ParseStrictJson refuses or that is not an
// object. An empty body is an empty object.
Result<nlohmann::json> ParseJsonBody(const net::Request& request);

}  // namespace minishop::gateway
