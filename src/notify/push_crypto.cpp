#include "notify/push_crypto.h"

#include <memory>

#include <openssl/evp.h>

#include "notify/base64url.h"
#include "notify/ossl.h"

namespace lachan::notify {
namespace {

constexpr size_t kSaltBytes = 16, kAuthBytes = 16, kPointBytes = 65, kTagBytes = 16;
constexpr size_t kHeaderBytes = kSaltBytes + 4 + 1 + kPointBytes;

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};

struct ContentKeys {
  std::string cek;    // 16 bytes
  std::string nonce;  // 12 bytes
};

// RFC 8291 §3.4 and RFC 8188 §2.2: each HKDF here has one output block, so HKDF-Expand is one
// HMAC of info | 0x01, truncated.
Result<ContentKeys> derive(std::string_view ecdh_secret, std::string_view auth, std::string_view ua_public,
                           std::string_view as_public, std::string_view salt) {
  auto prk_key = ossl::hmac_sha256(auth, ecdh_secret);
  if (!prk_key) return prk_key.error();
  std::string key_info = std::string("WebPush: info", 13) + '\0';
  key_info.append(ua_public).append(as_public) += '\x01';
  auto ikm = ossl::hmac_sha256(*prk_key, key_info);
  if (!ikm) return ikm.error();
  auto prk = ossl::hmac_sha256(salt, *ikm);
  if (!prk) return prk.error();
  auto cek = ossl::hmac_sha256(*prk, std::string_view("Content-Encoding: aes128gcm\0\x01", 29));
  auto nonce = ossl::hmac_sha256(*prk, std::string_view("Content-Encoding: nonce\0\x01", 25));
  if (!cek || !nonce) return make_error(Errc::internal, "HKDF failed");
  return ContentKeys{cek->substr(0, 16), nonce->substr(0, 12)};
}

unsigned char* u8(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}
const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Result<std::string> decode(std::string_view b64, size_t size, const char* what) {
  auto raw = base64url_decode(b64);
  if (!raw || raw->size() != size)
    return make_error(Errc::malformed, std::string(what) + " is not " + std::to_string(size) + " bytes of base64url");
  return std::move(*raw);
}

}  // namespace

Result<std::string> encrypt_push(std::string_view payload, std::string_view p256dh, std::string_view auth,
                                 const std::optional<PushEncryptionSeed>& seed) {
  if (payload.size() > kMaxPushPayload)
    return make_error(Errc::limit, "a push payload is at most " + std::to_string(kMaxPushPayload) + " bytes");
  auto ua_public = decode(p256dh, kPointBytes, "the subscription's p256dh");
  if (!ua_public) return ua_public.error();
  auto auth_secret = decode(auth, kAuthBytes, "the subscription's auth secret");
  if (!auth_secret) return auth_secret.error();
  auto ua_key = ossl::p256_public_from_point(*ua_public);
  if (!ua_key) return ua_key.error();

  auto as_key = seed ? ossl::p256_from_private(seed->sender_private) : ossl::generate_p256();
  if (!as_key) return as_key.error();
  auto salt = seed ? Result<std::string>(seed->salt) : ossl::random_bytes(kSaltBytes);
  if (!salt) return salt.error();
  if (salt->size() != kSaltBytes) return make_error(Errc::malformed, "the salt is not 16 bytes");
  auto as_public = ossl::p256_point(as_key->get());
  if (!as_public) return as_public.error();
  auto secret = ossl::ecdh(as_key->get(), ua_key->get());
  if (!secret) return secret.error();
  auto keys = derive(*secret, *auth_secret, *ua_public, *as_public, *salt);
  if (!keys) return keys.error();

  std::string body = *salt;
  body += static_cast<char>(kPushRecordSize >> 24 & 0xff);
  body += static_cast<char>(kPushRecordSize >> 16 & 0xff);
  body += static_cast<char>(kPushRecordSize >> 8 & 0xff);
  body += static_cast<char>(kPushRecordSize & 0xff);
  body += static_cast<char>(kPointBytes);
  body += *as_public;

  // One record, so it is the last: delimiter 0x02 and no padding.
  std::string plain(payload);
  plain += '\x02';
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(plain.size() + kTagBytes, '\0');
  int len = 0, fin = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, u8(std::string_view(keys->cek)),
                         u8(std::string_view(keys->nonce))) != 1 ||
      EVP_EncryptUpdate(ctx.get(), u8(out), &len, u8(std::string_view(plain)), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), u8(out) + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, u8(out) + plain.size()) != 1)
    return make_error(Errc::internal, "AES-128-GCM: " + ossl::last_error());
  body += out;
  return body;
}

Result<std::string> decrypt_push(std::string_view body, std::string_view receiver_private, std::string_view auth) {
  auto scalar = decode(receiver_private, 32, "the receiver's private key");
  if (!scalar) return scalar.error();
  auto auth_secret = decode(auth, kAuthBytes, "the auth secret");
  if (!auth_secret) return auth_secret.error();
  if (body.size() < kHeaderBytes + kTagBytes + 1)
    return make_error(Errc::malformed, "the body is shorter than a header and one record");
  const auto b = u8(body);
  std::string_view salt = body.substr(0, kSaltBytes);
  const uint32_t rs = uint32_t(b[16]) << 24 | uint32_t(b[17]) << 16 | uint32_t(b[18]) << 8 | b[19];
  if (b[20] != kPointBytes) return make_error(Errc::malformed, "the key id is not a 65-byte P-256 point");
  std::string_view as_public = body.substr(21, kPointBytes);
  std::string_view record = body.substr(kHeaderBytes);
  // RFC 8188: rs is at least 18; RFC 8291 §4: a push message is one record, so the ciphertext
  // must fit in rs.
  if (rs < 18) return make_error(Errc::malformed, "the record size is under 18");
  if (record.size() > rs) return make_error(Errc::malformed, "more than one record");

  auto ua_key = ossl::p256_from_private(*scalar);
  if (!ua_key) return ua_key.error();
  auto ua_public = ossl::p256_point(ua_key->get());
  if (!ua_public) return ua_public.error();
  auto as_key = ossl::p256_public_from_point(as_public);
  if (!as_key) return as_key.error();
  auto secret = ossl::ecdh(ua_key->get(), as_key->get());
  if (!secret) return secret.error();
  auto keys = derive(*secret, *auth_secret, *ua_public, as_public, salt);
  if (!keys) return keys.error();

  std::string_view cipher = record.substr(0, record.size() - kTagBytes);
  std::string tag(record.substr(cipher.size()));
  std::string plain(cipher.size(), '\0');
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0, fin = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, u8(std::string_view(keys->cek)),
                         u8(std::string_view(keys->nonce))) != 1 ||
      EVP_DecryptUpdate(ctx.get(), u8(plain), &len, u8(cipher), static_cast<int>(cipher.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, u8(tag)) != 1)
    return make_error(Errc::internal, "AES-128-GCM: " + ossl::last_error());
  if (EVP_DecryptFinal_ex(ctx.get(), u8(plain) + len, &fin) != 1) {
    ossl::last_error();  // clear the queue: a failed tag is the sender's fault, not ours
    return make_error(Errc::malformed, "the record does not authenticate");
  }
  // RFC 8188 §2: padding is zeros after the delimiter; the only record is the last, so 0x02.
  size_t end = plain.find_last_not_of('\0');
  if (end == std::string::npos || plain[end] != '\x02')
    return make_error(Errc::malformed, "the record has no last-record delimiter");
  plain.resize(end);
  return plain;
}

Result<PushKeys> generate_push_keys() {
  auto key = ossl::generate_p256();
  if (!key) return key.error();
  auto scalar = ossl::p256_scalar(key->get());
  auto point = ossl::p256_point(key->get());
  auto auth = ossl::random_bytes(kAuthBytes);
  if (!scalar || !point || !auth) return make_error(Errc::internal, "exporting a fresh key pair");
  return PushKeys{base64url_encode(*scalar), base64url_encode(*point), base64url_encode(*auth)};
}

}  // namespace lachan::notify
