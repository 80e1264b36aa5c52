#pragma once
// Reading a request body within a size limit, whatever its framing: Content-Length, chunked, or
// compressed (Content-Encoding gzip, deflate or br, which cpp-httplib inflates as it reads). The
// limit applies to the bytes the route gets, i.e. after un-chunking and inflating, so a small gzip
// bomb stops at the limit instead of inflating to gigabytes.
#include <httplib.h>

#include <cstdint>

#include "tlab/serve/request_parsing.h"

namespace tlab::serve {

// Reads the body of `req` through `reader` (a content-reader route). Throws RequestError 413 past
// `limit` bytes (a Content-Length over it is refused before reading), 415 for a Content-Encoding
// other than gzip, deflate, br or identity, 400 for a body that does not read (malformed chunks,
// compressed data or multipart, or the client stopped sending). After a refusal the connection is
// marked to close: the rest of the body was not read.
RequestBody read_body(const httplib::Request& req, const httplib::ContentReader& reader, int64_t limit);

// True when a request carries a Content-Encoding other than identity (routes that do not read their
// body through read_body refuse those: httplib would inflate them without a limit).
bool has_content_encoding(const httplib::Request& req);

}  // namespace tlab::serve
