// Request body decoding: gzip (RFC 1952) with a hard limit on the decompressed size, so that a
// small compressed body cannot expand into gigabytes (a "zip bomb").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lachan::api {

// Inflates `compressed` (one or more concatenated gzip members). Errors: Errc::limit when the
// output would exceed `max_bytes` (decoding stops there); Errc::malformed for anything that is
// not valid gzip: bad header, corrupt data, CRC mismatch, truncated stream, trailing garbage.
Result<std::string> gunzip(std::string_view compressed, size_t max_bytes);

// Compresses `data` as one gzip member (used by tests and clients).
Result<std::string> gzip(std::string_view data);

}  // namespace lachan::api
