// Fuzzes gzip request-body decoding with a size limit: never more output than the limit; a
// body that decodes does so identically at exactly its size and is refused (Errc::limit) one
// byte below it; errors are limit or malformed only; gzip(x) always decodes back to x.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/body_decode.h"

using lachan::Errc;
using lachan::api::gunzip;
using lachan::api::gzip;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t limit = (size_t{data[0]} << 8 | data[1]) * 16;  // 0 .. ~1 MiB
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);

  auto out = gunzip(body, limit);
  if (out) {
    check(out->size() <= limit);
    auto again = gunzip(body, out->size());
    check(again && *again == *out);
    if (!out->empty()) {
      auto below = gunzip(body, out->size() - 1);
      check(!below && below.error().code == Errc::limit);
    }
  } else {
    check(out.error().code == Errc::limit || out.error().code == Errc::malformed);
  }

  auto packed = gzip(body);
  check(packed.ok());
  auto round = gunzip(*packed, body.size());
  check(round && *round == body);
  return 0;
}
