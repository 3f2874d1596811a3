#include "notify/vapid.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/strings.h"
#include "notify/base64url.h"
#include "notify/ossl.h"

namespace lachan::notify {
namespace {

namespace json = boost::json;

struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct MdFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};

constexpr std::string_view kJwtHeader = R"({"typ":"JWT","alg":"ES256"})";
constexpr size_t kMaxPemBytes = size_t{64} * 1024;

// Never prompt on a terminal for an encrypted PEM: a server has no one to type the password.
int no_password(char*, int, int, void*) {
  return 0;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ES256 signatures in a JWS are r||s, 32 bytes each (RFC 7518 §3.4); OpenSSL speaks DER.
Result<std::string> der_to_raw(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return make_error(Errc::internal, "decoding an ECDSA signature: " + ossl::last_error());
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32)
    return make_error(Errc::internal, "encoding an ECDSA signature");
  return raw;
}

std::optional<std::string> raw_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(in, 32, nullptr);
  BIGNUM* s = BN_bin2bn(in + 32, 32, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

Result<VapidKey> VapidKey::wrap(evp_pkey_st* raw) {
  std::shared_ptr<evp_pkey_st> key(raw, [](evp_pkey_st* p) { EVP_PKEY_free(p); });
  if (!ossl::is_p256(key.get())) return make_error(Errc::invalid_config, "the VAPID key is not a P-256 key");
  auto point = ossl::p256_point(key.get());
  if (!point) return point.error();
  return VapidKey(std::move(key), base64url_encode(*point));
}

Result<VapidKey> VapidKey::generate() {
  auto key = ossl::generate_p256();
  if (!key) return key.error();
  return wrap(key->release());
}

Result<VapidKey> VapidKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr) : nullptr;
  if (!key) return make_error(Errc::invalid_config, "not a PEM private key: " + ossl::last_error());
  auto out = wrap(key);
  if (out && !ossl::p256_scalar(out->key_.get()))
    return make_error(Errc::invalid_config, "the VAPID PEM holds no private key");
  return out;
}

Result<std::string> VapidKey::to_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr))
    return make_error(Errc::internal, "writing the VAPID key as PEM: " + ossl::last_error());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<VapidKey> VapidKey::load_or_create(const std::filesystem::path& path) {
  const std::string p = path.string();
  for (int tries = 0; tries < 2; ++tries) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      auto size = std::filesystem::file_size(path, ec);
      if (ec) return make_error(Errc::io, p + ": cannot be read: " + ec.message());
      if (size > kMaxPemBytes) return make_error(Errc::invalid_config, p + ": too large for a PEM key");
      std::ifstream in(path, std::ios::binary);
      std::string pem(size, '\0');
      if (!in.read(pem.data(), static_cast<std::streamsize>(size))) return make_error(Errc::io, p + ": cannot be read");
      auto key = from_pem(pem);
      if (!key) return make_error(key.error().code, p + ": " + key.error().message);
      return key;
    }
    auto key = generate();
    if (!key) return key;
    auto pem = key->to_pem();
    if (!pem) return pem.error();
    // O_EXCL: if another process created the file meanwhile, use its key rather than overwrite it.
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return make_error(Errc::io, p + ": cannot be created: " + std::strerror(errno));
    size_t done = 0;
    while (done < pem->size()) {
      ssize_t n = ::write(fd, pem->data() + done, pem->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    bool ok = done == pem->size() && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      std::filesystem::remove(path, ec);  // a half-written key would fail every later start
      return make_error(Errc::io, p + ": cannot be written");
    }
    return key;
  }
  return make_error(Errc::io, p + ": appeared and vanished while being created");
}

Result<std::string> VapidKey::token(std::string_view audience, std::string_view subject, int64_t exp_unix_s) const {
  json::object claims;
  claims["aud"] = audience;
  claims["exp"] = exp_unix_s;
  claims["sub"] = subject;
  std::string signing_input = base64url_encode(kJwtHeader) + "." + base64url_encode(json::serialize(claims));

  std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, signing_input.size()) != 1)
    return make_error(Errc::internal, "ES256: " + ossl::last_error());
  std::string der(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len, in, signing_input.size()) != 1)
    return make_error(Errc::internal, "ES256: " + ossl::last_error());
  der.resize(len);
  auto raw = der_to_raw(der);
  if (!raw) return raw.error();
  return signing_input + "." + base64url_encode(*raw);
}

Result<std::string> VapidKey::authorization(std::string_view endpoint, std::string_view subject, int64_t now_unix_s,
                                            std::chrono::seconds lifetime) const {
  auto aud = push_audience(endpoint);
  if (!aud) return aud.error();
  if (!starts_with(subject, "mailto:") && !starts_with(subject, "https://"))
    return make_error(Errc::invalid_config, "the VAPID subject must be a mailto: or https: contact");
  if (lifetime.count() <= 0) return make_error(Errc::invalid_config, "the VAPID token lifetime must be positive");
  auto jwt = token(*aud, subject, now_unix_s + std::min(lifetime, kMaxVapidLifetime).count());
  if (!jwt) return jwt.error();
  return "vapid t=" + *jwt + ", k=" + public_key_;
}

Result<std::string> push_audience(std::string_view endpoint) {
  auto parsed = boost::urls::parse_uri(endpoint);
  if (!parsed) return make_error(Errc::invalid_config, "the push endpoint is not an absolute URL");
  const boost::urls::url_view& u = *parsed;
  const bool https = u.scheme_id() == boost::urls::scheme::https;
  if (!https && u.scheme_id() != boost::urls::scheme::http)
    return make_error(Errc::invalid_config, "the push endpoint is not http(s)");
  if (!u.has_authority() || u.encoded_host().empty())
    return make_error(Errc::invalid_config, "the push endpoint has no host");
  std::string origin = https ? "https://" : "http://";
  // encoded_host keeps the brackets of an IPv6 literal, as an origin needs them.
  origin += to_lower(u.encoded_host());
  if (u.has_port() && !u.port().empty() && u.port_number() != (https ? 443 : 80)) {
    origin += ':';
    origin += std::to_string(u.port_number());
  }
  return origin;
}

Result<VapidClaims> verify_vapid_token(std::string_view jwt, std::string_view public_key, int64_t now_unix_s) {
  auto parts = split(jwt, '.');
  if (parts.size() != 3) return make_error(Errc::malformed, "a JWT has three parts");
  auto header = base64url_decode(parts[0]);
  auto claims_text = base64url_decode(parts[1]);
  auto signature = base64url_decode(parts[2]);
  if (!header || !claims_text || !signature) return make_error(Errc::malformed, "a JWT part is not base64url");
  boost::system::error_code ec;
  json::value h = json::parse(*header, ec);
  const json::value* alg = !ec && h.is_object() ? h.as_object().if_contains("alg") : nullptr;
  if (!alg || !alg->is_string() || alg->as_string() != "ES256")
    return make_error(Errc::malformed, "the JWT header does not say ES256");
  json::value c = json::parse(*claims_text, ec);
  if (ec || !c.is_object()) return make_error(Errc::malformed, "the JWT claims are not a JSON object");
  const json::object& o = c.as_object();
  VapidClaims out;
  const json::value* aud = o.if_contains("aud");
  const json::value* exp = o.if_contains("exp");
  const json::value* sub = o.if_contains("sub");
  if (!aud || !aud->is_string() || !exp || !exp->is_int64() || (sub && !sub->is_string()))
    return make_error(Errc::malformed, "the JWT needs a string aud and an integer exp");
  out.aud = std::string(aud->as_string());
  out.exp = exp->as_int64();
  if (sub) out.sub = std::string(sub->as_string());

  auto point = base64url_decode(public_key);
  if (!point) return make_error(Errc::malformed, "the VAPID public key is not base64url");
  auto key = ossl::p256_public_from_point(*point);
  if (!key) return key.error();
  auto der = raw_to_der(*signature);
  if (!der) return make_error(Errc::malformed, "an ES256 signature is 64 bytes");
  std::string_view signed_part = jwt.substr(0, parts[0].size() + 1 + parts[1].size());
  std::unique_ptr<EVP_MD_CTX, MdFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->get()) != 1)
    return make_error(Errc::internal, "ES256: " + ossl::last_error());
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der->data()), der->size(),
                       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) != 1) {
    ossl::last_error();
    return make_error(Errc::denied, "the JWT signature does not verify");
  }
  if (out.exp <= now_unix_s) return make_error(Errc::denied, "the JWT has expired");
  if (out.exp > now_unix_s + kMaxVapidLifetime.count())
    return make_error(Errc::denied, "the JWT expires more than 24 hours ahead");
  return out;
}

Result<VapidClaims> verify_vapid_authorization(std::string_view header, int64_t now_unix_s, std::string* public_key) {
  header = trim(header);
  if (header.size() < 6 || !iequals(header.substr(0, 6), "vapid "))
    return make_error(Errc::malformed, "not a vapid header");
  std::string_view t, k;
  for (std::string_view param : split(header.substr(6), ',')) {
    param = trim(param);
    if (starts_with(param, "t="))
      t = param.substr(2);
    else if (starts_with(param, "k="))
      k = param.substr(2);
  }
  if (t.empty() || k.empty()) return make_error(Errc::malformed, "a vapid header needs t= and k=");
  if (public_key) *public_key = std::string(k);
  return verify_vapid_token(t, k, now_unix_s);
}

}  // namespace lachan::notify
