// Fuzzes the incoming-mail parser (`lachan mail-in` reads whatever an MTA pipes in): any bytes
// are parsed or rejected with malformed/limit and a message, never a crash or an exception
// (vmime throws; parse_mail must catch at its boundary). What parses respects the limits, has a
// From address, and its text and names are valid UTF-8. find_incident_ref on the subject
// returns a well-formed reference or nothing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "notify/mail_parse.h"

using lachan::Errc;
using lachan::notify::find_incident_ref;
using lachan::notify::MailParseLimits;
using lachan::notify::parse_mail;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  MailParseLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_attachments = 8;
  limits.max_depth = 6;
  auto r = parse_mail(bytes, limits);
  if (!r.ok()) {
    check(r.error().code == Errc::malformed || r.error().code == Errc::limit);
    check(!r.error().message.empty());
  } else {
    check(!r->from.address.empty());
    check(r->attachments.size() <= limits.max_attachments);
    check(valid_utf8(r->subject) && valid_utf8(r->text) && valid_utf8(r->from.name));
    for (const auto& a : r->attachments) check(valid_utf8(a.name));
    if (auto ref = find_incident_ref(r->subject)) check(ref->size() >= 14 && ref->compare(0, 3, "LC-") == 0);
  }
  if (auto ref = find_incident_ref(bytes)) check(ref->size() >= 14 && ref->compare(0, 3, "LC-") == 0);
  return 0;
}
