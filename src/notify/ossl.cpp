#include "notify/ossl.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

namespace lachan::notify::ossl {
namespace {

struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct GroupFree {
  void operator()(EC_GROUP* p) const noexcept { EC_GROUP_free(p); }
};
struct PointFree {
  void operator()(EC_POINT* p) const noexcept { EC_POINT_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};

constexpr char kGroup[] = "prime256v1";

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Result<Pkey> from_params(OSSL_PARAM* params, int selection) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 || EVP_PKEY_fromdata(ctx.get(), &key, selection, params) <= 0)
    return make_error(Errc::malformed, "not a P-256 key: " + last_error());
  return Pkey(key);
}

}  // namespace

std::string last_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return make_error(Errc::internal, "RAND_bytes: " + last_error());
  return out;
}

Result<std::string> hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  size_t len = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), bytes(data), data.size(),
                 reinterpret_cast<unsigned char*>(out.data()), out.size(), &len) ||
      len != 32)
    return make_error(Errc::internal, "HMAC-SHA-256: " + last_error());
  return out;
}

Result<Pkey> generate_p256() {
  EVP_PKEY* key = EVP_EC_gen(kGroup);
  if (!key) return make_error(Errc::internal, "generating a P-256 key: " + last_error());
  return Pkey(key);
}

Result<Pkey> p256_public_from_point(std::string_view point) {
  // Only the uncompressed form is allowed by RFC 8291 and the Push API.
  if (point.size() != 65 || point[0] != 0x04) return make_error(Errc::malformed, "not an uncompressed P-256 point");
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
    return make_error(Errc::internal, "building key parameters: " + last_error());
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return make_error(Errc::internal, "building key parameters: " + last_error());
  auto key = from_params(params.get(), EVP_PKEY_PUBLIC_KEY);
  if (!key) return key;
  // fromdata does not always check that the point is on the curve; a point off the curve would
  // make ECDH leak bits of our private key (invalid-curve attack).
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return make_error(Errc::malformed, "the point is not on P-256: " + last_error());
  return key;
}

Result<Pkey> p256_from_private(std::string_view scalar) {
  if (scalar.size() != 32) return make_error(Errc::malformed, "a P-256 private key is 32 bytes");
  std::unique_ptr<BIGNUM, BnFree> d(BN_bin2bn(bytes(scalar), 32, nullptr));
  std::unique_ptr<EC_GROUP, GroupFree> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!d || !group) return make_error(Errc::internal, "P-256: " + last_error());
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0)
    return make_error(Errc::malformed, "the private key is out of range for P-256");
  std::unique_ptr<EC_POINT, PointFree> pub(EC_POINT_new(group.get()));
  unsigned char point[65];
  if (!pub || !EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr, nullptr) ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, nullptr) != 65)
    return make_error(Errc::internal, "computing the public key: " + last_error());
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()))
    return make_error(Errc::internal, "building key parameters: " + last_error());
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return make_error(Errc::internal, "building key parameters: " + last_error());
  return from_params(params.get(), EVP_PKEY_KEYPAIR);
}

bool is_p256(EVP_PKEY* key) {
  if (!key || !EVP_PKEY_is_a(key, "EC")) return false;
  char name[64];
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len)) return false;
  std::string_view n(name, len);
  return n == "prime256v1" || n == "P-256";
}

Result<std::string> p256_point(EVP_PKEY* key) {
  std::string out(65, '\0');
  size_t len = 0;
  if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                       reinterpret_cast<unsigned char*>(out.data()), out.size(), &len) ||
      len != 65 || out[0] != 0x04)
    return make_error(Errc::internal, "exporting the public key: " + last_error());
  return out;
}

Result<std::string> p256_scalar(EVP_PKEY* key) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw))
    return make_error(Errc::internal, "exporting the private key: " + last_error());
  std::unique_ptr<BIGNUM, BnFree> d(raw);
  std::string out(32, '\0');
  if (BN_bn2binpad(d.get(), reinterpret_cast<unsigned char*>(out.data()), 32) != 32)
    return make_error(Errc::internal, "exporting the private key: " + last_error());
  return out;
}

Result<std::string> ecdh(EVP_PKEY* own_private, EVP_PKEY* peer_public) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own_private, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 || EVP_PKEY_derive_set_peer(ctx.get(), peer_public) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) <= 0)
    return make_error(Errc::malformed, "ECDH: " + last_error());
  std::string out(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) <= 0 || len != 32)
    return make_error(Errc::internal, "ECDH: " + last_error());
  return out;
}

}  // namespace lachan::notify::ossl
