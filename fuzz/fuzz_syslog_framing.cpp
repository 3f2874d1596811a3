// Fuzzes the TCP syslog framer (RFC 6587): the same bytes fed whole and in chunks chosen by
// the input must give the same messages and counters, whatever the chunking (and clearing the
// output between chunks must keep a message under construction). Every message is non-empty,
// within the limit, and has no trailing CR/LF/NUL.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/syslog_framer.h"

using lachan::api::FramedMessages;
using lachan::api::SyslogFramer;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<std::string> messages;
  uint64_t truncated = 0, malformed = 0;
  bool failed = false;
};

Outcome run(std::string_view data, size_t max, std::string_view chunking) {
  SyslogFramer f(max);
  FramedMessages out;
  Outcome o;
  auto collect = [&] {
    for (size_t i = 0; i < out.size(); ++i) {
      std::string_view m = out[i];
      check(!m.empty() && m.size() <= max);
      const char last = m.back();
      check(last != '\n' && last != '\r' && last != '\0');
      o.messages.emplace_back(m);
    }
    out.clear();
  };
  size_t pos = 0, k = 0;
  while (pos < data.size()) {
    size_t len = chunking.empty() ? data.size() : 1 + static_cast<unsigned char>(chunking[k++ % chunking.size()]) % 16;
    len = std::min(len, data.size() - pos);
    const bool ok = f.feed(data.substr(pos, len), out);
    check(ok == !f.failed());
    pos += len;
    if (k % 2 == 0) collect();  // sometimes clear mid-stream, sometimes let messages pile up
  }
  f.finish(out);
  collect();
  o.truncated = f.truncated();
  o.malformed = f.malformed();
  o.failed = f.failed();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // Byte 0: the message limit; the next up to 8 bytes: the chunk sizes; the rest: the stream.
  const size_t max = 1 + data[0] % 64;
  const size_t nchunk = std::min<size_t>(8, size - 1);
  std::string_view chunking(reinterpret_cast<const char*>(data + 1), nchunk);
  std::string_view stream(reinterpret_cast<const char*>(data + 1 + nchunk), size - 1 - nchunk);
  const Outcome whole = run(stream, max, {});
  const Outcome chunked = run(stream, max, chunking);
  check(whole.messages == chunked.messages);
  check(whole.truncated == chunked.truncated && whole.malformed == chunked.malformed && whole.failed == chunked.failed);
  return 0;
}
