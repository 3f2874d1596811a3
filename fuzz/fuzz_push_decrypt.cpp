// Fuzzes Web Push decryption (RFC 8291), which the test push endpoint runs on bytes from the
// network, with a fixed receiver key (RFC 8291 Appendix A's). First byte odd: the rest is a body
// to decrypt: it fails with malformed, or gives a payload that fits in the body. First byte
// even: the rest is a payload, encrypted with the RFC's sender key and salt and decrypted back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "notify/base64url.h"
#include "notify/push_crypto.h"

using lachan::Errc;
using namespace lachan::notify;

namespace {

constexpr std::string_view kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr std::string_view kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr std::string_view kAuth = "BTBZMqHH6r4Tts7J_aSIgg";

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    auto plain = decrypt_push(rest, kUaPrivate, kAuth);
    if (plain)
      check(plain->size() + 86 + 16 + 1 <= rest.size());
    else
      check(plain.error().code == Errc::malformed);
    return 0;
  }
  static const PushEncryptionSeed seed{*base64url_decode("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"),
                                       *base64url_decode("DGv6ra1nlYgDCS1FRnbzlw")};
  auto body = encrypt_push(rest, kUaPublic, kAuth, seed);
  if (!body) {
    check(body.error().code == Errc::limit && rest.size() > kMaxPushPayload);
    return 0;
  }
  check(body->size() == 86 + rest.size() + 1 + 16);
  auto back = decrypt_push(*body, kUaPrivate, kAuth);
  check(back && *back == rest);
  return 0;
}
