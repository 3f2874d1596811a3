#include "api/body_decode.h"

#include <zlib.h>

#include <climits>

namespace lachan::api {

namespace {

struct Inflater {
  z_stream zs{};
  bool open = false;
  ~Inflater() {
    if (open) inflateEnd(&zs);
  }
};

}  // namespace

Result<std::string> gunzip(std::string_view compressed, size_t max_bytes) {
  Inflater inf;
  if (inflateInit2(&inf.zs, 16 + MAX_WBITS) != Z_OK) return make_error(Errc::internal, "zlib inflateInit2 failed");
  inf.open = true;
  std::string out;
  char buf[64 * 1024];
  const auto* next = reinterpret_cast<const Bytef*>(compressed.data());
  size_t left = compressed.size();
  if (left == 0) return make_error(Errc::malformed, "empty gzip body");
  while (true) {
    // zlib counts in uInt; feed at most UINT_MAX at a time.
    const uInt chunk = left > UINT_MAX ? UINT_MAX : static_cast<uInt>(left);
    inf.zs.next_in = const_cast<Bytef*>(next);
    inf.zs.avail_in = chunk;
    inf.zs.next_out = reinterpret_cast<Bytef*>(buf);
    inf.zs.avail_out = sizeof buf;
    int rc = inflate(&inf.zs, Z_NO_FLUSH);
    const size_t consumed = chunk - inf.zs.avail_in;
    next += consumed;
    left -= consumed;
    const size_t produced = sizeof buf - inf.zs.avail_out;
    if (produced > max_bytes - out.size())
      return make_error(Errc::limit, "decompressed body exceeds " + std::to_string(max_bytes) + " bytes");
    out.append(buf, produced);
    if (rc == Z_STREAM_END) {
      if (left == 0) return out;
      // Another gzip member follows (RFC 1952 allows several); anything else is garbage.
      if (left < 2 || static_cast<unsigned char>(next[0]) != 0x1f || static_cast<unsigned char>(next[1]) != 0x8b)
        return make_error(Errc::malformed, "trailing bytes after the gzip stream");
      if (inflateReset(&inf.zs) != Z_OK) return make_error(Errc::internal, "zlib inflateReset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either the input ended mid-stream or the output buffer was full.
      if (produced == 0 && consumed == 0) return make_error(Errc::malformed, "truncated gzip stream");
      continue;
    }
    if (rc != Z_OK) {
      return make_error(Errc::malformed, std::string("invalid gzip data: ") +
                                             (inf.zs.msg ? inf.zs.msg : "zlib error " + std::to_string(rc)));
    }
  }
}

Result<std::string> gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return make_error(Errc::internal, "zlib deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  const size_t n = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return make_error(Errc::internal, "zlib deflate failed");
  out.resize(n);
  return out;
}

}  // namespace lachan::api
