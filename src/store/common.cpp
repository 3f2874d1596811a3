#include "store/common.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <boost/json.hpp>
#include <charconv>

#include "core/strings.h"

namespace lachan::store {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

std::string to_hex(const unsigned char* p, std::size_t n) {
  std::string s(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = kHex[p[i] >> 4];
    s[2 * i + 1] = kHex[p[i] & 15];
  }
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (hex_value(c) < 0) return false;
  }
  return true;
}

Result<std::vector<unsigned char>> random_bytes(std::size_t n) {
  std::vector<unsigned char> b(n);
  if (n > 0 && RAND_bytes(b.data(), static_cast<int>(n)) != 1) {
    return make_error(Errc::internal, "RAND_bytes failed");
  }
  return b;
}

void append_field(std::string& out, std::string_view f) {
  out += std::to_string(f.size());
  out += ':';
  out += f;
  out += ';';
}

std::optional<boost::json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

}  // namespace

Result<std::string> random_hex(std::size_t bytes) {
  auto b = random_bytes(bytes);
  if (!b) return std::move(b).error();
  return to_hex(b->data(), b->size());
}

Result<std::string> random_base32(std::size_t chars) {
  auto b = random_bytes(chars);
  if (!b) return std::move(b).error();
  std::string s(chars, '\0');
  for (std::size_t i = 0; i < chars; ++i) s[i] = kBase32[(*b)[i] & 31];  // 256 % 32 == 0: uniform
  return s;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return to_hex(md, sizeof md);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<ApiKeyParts> parse_api_key(std::string_view s) {
  constexpr std::size_t kLen = 3 + kApiKeyIdChars + 1 + kApiKeySecretBytes * 2;
  if (s.size() != kLen || s.substr(0, 3) != "lk_" || s[3 + kApiKeyIdChars] != '_') return std::nullopt;
  std::string_view id = s.substr(3, kApiKeyIdChars);
  std::string_view secret = s.substr(4 + kApiKeyIdChars);
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return std::nullopt;
  }
  if (!is_lower_hex(secret)) return std::nullopt;
  return ApiKeyParts{std::string(id), std::string(secret)};
}

std::string format_api_key(std::string_view id, std::string_view secret) {
  std::string s = "lk_";
  s += id;
  s += '_';
  s += secret;
  return s;
}

namespace {
constexpr uint32_t kArgonT = 2;
constexpr uint32_t kArgonM = 19456;  // KiB
constexpr uint32_t kArgonP = 1;
constexpr std::size_t kSaltLen = 16;
constexpr std::size_t kHashLen = 32;
}  // namespace

Result<std::string> hash_password(std::string_view password) {
  auto salt = random_bytes(kSaltLen);
  if (!salt) return std::move(salt).error();
  std::size_t len = argon2_encodedlen(kArgonT, kArgonM, kArgonP, kSaltLen, kHashLen, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(kArgonT, kArgonM, kArgonP, password.data(), password.size(), salt->data(),
                                 salt->size(), kHashLen, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return make_error(Errc::internal, std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

bool verify_password(const std::string& encoded, std::string_view password) {
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& decoy_password_hash() {
  static const std::string decoy = [] {
    auto pw = random_hex(16);
    auto h = hash_password(pw ? *pw : std::string("decoy"));
    return h ? *h : std::string();
  }();
  return decoy;
}

std::string audit_chain_hash(std::string_view prev_hash, const AuditEntry& e) {
  std::string s;
  append_field(s, prev_hash);
  append_field(s, std::to_string(e.at));
  append_field(s, e.actor);
  append_field(s, e.org_id);
  append_field(s, e.action);
  append_field(s, e.target);
  append_field(s, e.detail);
  return sha256_hex(s);
}

std::string custody_chain_hash(std::string_view prev_hash, const CustodyEntry& e) {
  std::string s;
  append_field(s, prev_hash);
  append_field(s, std::to_string(e.evidence_id));
  append_field(s, e.sha256);
  append_field(s, to_string(e.action));
  append_field(s, e.actor);
  append_field(s, e.org_id);
  append_field(s, e.remote);
  append_field(s, std::to_string(e.at));
  return sha256_hex(s);
}

std::string encode_cursor(std::string_view tag, const std::vector<std::int64_t>& values) {
  std::string s(tag);
  for (auto v : values) {
    s += '|';
    s += std::to_string(v);
  }
  return to_hex(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

std::optional<std::vector<std::int64_t>> decode_cursor(std::string_view tag, std::string_view cursor, std::size_t n) {
  if (cursor.size() % 2 != 0 || cursor.size() > 512 || !is_lower_hex(cursor)) return std::nullopt;
  std::string s(cursor.size() / 2, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<char>(hex_value(cursor[2 * i]) * 16 + hex_value(cursor[2 * i + 1]));
  }
  std::string_view rest = s;
  if (rest.substr(0, tag.size()) != tag) return std::nullopt;
  rest.remove_prefix(tag.size());
  std::vector<std::int64_t> out;
  while (!rest.empty()) {
    if (rest[0] != '|') return std::nullopt;
    rest.remove_prefix(1);
    std::size_t end = rest.find('|');
    std::string_view num = rest.substr(0, end);
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || p != num.data() + num.size() || num.empty()) return std::nullopt;
    out.push_back(v);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (out.size() != n) return std::nullopt;
  return out;
}

std::string to_json(const std::vector<std::string>& v) {
  std::size_t n = 2;
  for (const auto& s : v) n += s.size() + 3;
  std::string out;
  out.reserve(n + n / 8);
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, v[i]);  // invalid UTF-8 becomes U+FFFD: what is stored parses back
  }
  out += ']';
  return out;
}

std::string to_json(const std::vector<Entity>& v) {
  boost::json::array a;
  a.reserve(v.size());
  for (const auto& e : v) a.emplace_back(boost::json::object{{"type", e.type}, {"value", e.value}});
  return boost::json::serialize(a);
}

std::string to_json(const std::vector<Contact>& v) {
  boost::json::array a;
  a.reserve(v.size());
  for (const auto& c : v) {
    a.emplace_back(boost::json::object{{"name", c.name}, {"email", c.email}, {"phone", c.phone}, {"role", c.role}});
  }
  return boost::json::serialize(a);
}

std::string to_json(const std::vector<std::uint32_t>& v) {
  boost::json::array a;
  a.reserve(v.size());
  for (auto n : v) a.emplace_back(n);
  return boost::json::serialize(a);
}

namespace {
template <typename T, typename F>
bool from_json_array(std::string_view text, std::vector<T>& out, F&& item) {
  auto v = parse_json(text);
  if (!v || !v->is_array()) return false;
  std::vector<T> r;
  r.reserve(v->as_array().size());
  for (const auto& e : v->as_array()) {
    T t{};
    if (!item(e, t)) return false;
    r.push_back(std::move(t));
  }
  out = std::move(r);
  return true;
}

bool get_string(const boost::json::object& o, std::string_view key, std::string& out) {
  const auto* p = o.if_contains(key);
  if (p == nullptr) return true;  // absent: empty
  if (!p->is_string()) return false;
  out = std::string(p->as_string());
  return true;
}
}  // namespace

bool from_json(std::string_view text, std::vector<std::string>& out) {
  return from_json_array(text, out, [](const boost::json::value& e, std::string& s) {
    if (!e.is_string()) return false;
    s = std::string(e.as_string());
    return true;
  });
}

bool from_json(std::string_view text, std::vector<Entity>& out) {
  return from_json_array(text, out, [](const boost::json::value& e, Entity& en) {
    if (!e.is_object()) return false;
    const auto& o = e.as_object();
    return get_string(o, "type", en.type) && get_string(o, "value", en.value);
  });
}

bool from_json(std::string_view text, std::vector<Contact>& out) {
  return from_json_array(text, out, [](const boost::json::value& e, Contact& c) {
    if (!e.is_object()) return false;
    const auto& o = e.as_object();
    return get_string(o, "name", c.name) && get_string(o, "email", c.email) && get_string(o, "phone", c.phone) &&
           get_string(o, "role", c.role);
  });
}

bool from_json(std::string_view text, std::vector<std::uint32_t>& out) {
  return from_json_array(text, out, [](const boost::json::value& e, std::uint32_t& n) {
    if (e.is_uint64() && e.as_uint64() <= 0xffffffffu) {
      n = static_cast<std::uint32_t>(e.as_uint64());
      return true;
    }
    if (e.is_int64() && e.as_int64() >= 0 && e.as_int64() <= 0xffffffff) {
      n = static_cast<std::uint32_t>(e.as_int64());
      return true;
    }
    return false;
  });
}

}  // namespace lachan::store
