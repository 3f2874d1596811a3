#include "intel/indicator_index.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstring>

#include "core/strings.h"

namespace lachan::intel {
namespace {

bool is_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }  // std::isspace in "C"

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// ::ffff:a.b.c.d, the form every IPv4 address takes here.
bool is_v4_mapped(const std::array<uint8_t, 16>& b) noexcept {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b.data(), kPrefix, 12) == 0;
}

constexpr std::array<const char*, 10> kTypeNames{"ip",     "domain", "url", "email", "md5",
                                                 "sha1",   "sha256", "ja3", "ja4",   "file_name"};

uint64_t mix(uint64_t x) noexcept {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A 64-bit hash of (tag, bytes), 8 bytes a step.
uint64_t hash(char tag, std::string_view s) noexcept {
  uint64_t h = mix(static_cast<uint64_t>(static_cast<unsigned char>(tag)) * 0x9e3779b97f4a7c15ULL ^ s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * 0xc2b2ae3d27d4eb4fULL;
  }
  return mix(h) | 1;  // 0 marks an empty slot
}

// The key of the network of `bits` leading bits (over the 128-bit form) that contains `a`.
uint64_t network_key(const match::IpAddress& a, unsigned bits) noexcept {
  uint64_t hi, lo;
  std::memcpy(&hi, a.bytes.data(), 8);
  std::memcpy(&lo, a.bytes.data() + 8, 8);
  hi = __builtin_bswap64(hi);
  lo = __builtin_bswap64(lo);
  if (bits <= 64) {
    hi = bits == 0 ? 0 : hi & (~uint64_t{0} << (64 - bits));
    lo = 0;
  } else if (bits < 128) {
    lo &= ~uint64_t{0} << (128 - bits);
  }
  return mix(mix(hi ^ 0x9e3779b97f4a7c15ULL * (bits + 1)) ^ lo) | 1;
}

bool is_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// Checks that 8 bytes are hex digits and lowercases them, 8 at a time (hashes are in every
// process event). For bytes below 0x80, v + (0x80 - lo) has its top bit set iff v >= lo and
// v + (0x7f - hi) iff v > hi, with no carry between bytes.
static_assert(std::endian::native == std::endian::little, "the hex and filter word tricks read bytes little-endian");

bool hex_lower8(uint64_t& w) noexcept {
  constexpr uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
  auto in_range = [&](unsigned char lo, unsigned char hi) {
    return (w + k01 * (0x80u - lo)) & ~(w + k01 * (0x7fu - hi)) & k80;
  };
  if (w & k80) return false;
  uint64_t upper = in_range('A', 'F');
  if ((in_range('0', '9') | in_range('a', 'f') | upper) != k80) return false;
  w |= upper >> 2;  // 0x80 >> 2 = 0x20: 'A' -> 'a'
  return true;
}

char tag_of(ValueType t) noexcept { return static_cast<char>('a' + static_cast<int>(t)); }

std::optional<std::string> normalise_domain(std::string_view v) {
  if (v.size() > 2 && v.substr(0, 2) == "*.") v.remove_prefix(2);
  while (!v.empty() && v.back() == '.') v.remove_suffix(1);
  if (v.empty() || v.size() > 253 || v.find('.') == std::string_view::npos || v.front() == '.') return std::nullopt;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
          static_cast<unsigned char>(c) >= 0x80))
      return std::nullopt;
  if (v.find("..") != std::string_view::npos) return std::nullopt;
  return to_lower(v);
}

std::optional<std::string> normalise_url(std::string_view v) {
  // A URL has no raw spaces or control characters (RFC 3986: they are percent-encoded).
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  auto sep = v.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  std::string scheme = to_lower(v.substr(0, sep));
  for (char c : scheme)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return std::nullopt;
  std::string_view rest = v.substr(sep + 3);
  if (auto hash_at = rest.find('#'); hash_at != std::string_view::npos) rest = rest.substr(0, hash_at);
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);  // no userinfo
  if (authority.empty()) return std::nullopt;
  std::string host = to_lower(authority);
  std::string port;
  if (host.front() == '[') {  // [IPv6]:port
    auto rb = host.find(']');
    if (rb == std::string::npos || rb == 1) return std::nullopt;
    std::string after = host.substr(rb + 1);
    host.resize(rb + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    if (auto colon = host.find(':'); colon != std::string::npos) {
      port = host.substr(colon + 1);
      host.resize(colon);
    }
    for (char c : host)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
            static_cast<unsigned char>(c) >= 0x80))
        return std::nullopt;
  }
  if (host.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  if (!port.empty() && !((scheme == "http" && port == "80") || (scheme == "https" && port == "443"))) host += ":" + port;
  std::string out = scheme + "://" + host;
  if (path.empty() || path.front() == '?') out += '/';
  out.append(path);
  return out;
}

}  // namespace

const char* value_type_name(ValueType t) noexcept { return kTypeNames[static_cast<size_t>(t)]; }

std::optional<ValueType> parse_value_type(std::string_view s) noexcept {
  for (size_t i = 0; i < kTypeNames.size(); ++i)
    if (s == kTypeNames[i]) return static_cast<ValueType>(i);
  return std::nullopt;
}

std::optional<std::string> normalise(ValueType t, std::string_view v) {
  v = trim(v);
  if (v.empty()) return std::nullopt;
  switch (t) {
    case ValueType::ip: {
      auto c = match::Cidr::parse(v);
      if (!c) return std::nullopt;
      return std::string(v);
    }
    case ValueType::domain: return normalise_domain(v);
    case ValueType::url: return normalise_url(v);
    case ValueType::email: {
      auto at = v.find('@');
      if (at == 0 || at == std::string_view::npos || at + 1 == v.size() || v.find('@', at + 1) != std::string_view::npos)
        return std::nullopt;
      return to_lower(v);
    }
    case ValueType::md5:
    case ValueType::ja3:
      if (v.size() != 32 || !is_hex(v)) return std::nullopt;
      return to_lower(v);
    case ValueType::sha1:
      if (v.size() != 40 || !is_hex(v)) return std::nullopt;
      return to_lower(v);
    case ValueType::sha256:
      if (v.size() != 64 || !is_hex(v)) return std::nullopt;
      return to_lower(v);
    case ValueType::ja4:
      if (v.size() > 64 || v.find('_') == std::string_view::npos) return std::nullopt;
      return to_lower(v);
    case ValueType::file_name: {
      auto slash = v.find_last_of("/\\");
      if (slash != std::string_view::npos) v = trim(v.substr(slash + 1));
      if (v.empty()) return std::nullopt;
      return to_lower(v);
    }
  }
  return std::nullopt;
}

// ---- the table ------------------------------------------------------------------------------

// A split-block Bloom filter (as Parquet's) over the table's keys: 12 bits a key in 32-byte
// blocks, one bit in each of a block's eight words, ~0.3% false positives; one cache line per
// question. Most values an event carries are not listed, and the filter answers those from
// cache where the table (24 bytes a value) would cost a miss to memory each. Keys are already
// mixed hashes: the block comes from their high half, the eight bit positions from 5-bit slices
// of one more multiply.
struct IndicatorIndex::Filter {
  std::vector<uint32_t> words;
  uint64_t blocks = 1;

  explicit Filter(size_t n) : blocks(std::max<uint64_t>(1, (n * 12 + 255) / 256)) { words.assign(blocks * 8, 0); }
  size_t block(uint64_t k) const noexcept { return (((k >> 32) * blocks) >> 32) * 8; }
  static uint64_t positions(uint64_t k) noexcept { return (k * 0x9e3779b97f4a7c15ULL) >> 24; }  // 40 bits
  void insert(uint64_t k) noexcept {
    uint32_t* b = words.data() + block(k);
    uint64_t p = positions(k);
    for (size_t i = 0; i < 8; ++i, p >>= 5) b[i] |= 1u << (p & 31);
  }
  bool may_contain(uint64_t k) const noexcept {
    // The eight 32-bit words read as four 64-bit ones (little-endian: word 2j is the low half).
    const uint32_t* b = words.data() + block(k);
    uint64_t p = positions(k), miss = 0;
    for (size_t j = 0; j < 4; ++j, p >>= 10) {
      uint64_t w;
      std::memcpy(&w, b + 2 * j, 8);
      miss |= ~w & ((uint64_t{1} << (p & 31)) | (uint64_t{1} << (32 + ((p >> 5) & 31))));
    }
    return miss == 0;
  }
};

struct IndicatorIndex::Table {
  std::vector<uint64_t> keys;  // 0: empty
  std::vector<IndicatorId> ids;
  uint64_t mask = 0;

  explicit Table(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    keys.assign(cap, 0);
    ids.assign(cap, 0);
    mask = cap - 1;
  }
  bool insert(uint64_t k, IndicatorId id) {
    for (uint64_t i = k & mask;; i = (i + 1) & mask) {
      if (keys[i] == k) return false;
      if (keys[i] == 0) {
        keys[i] = k;
        ids[i] = id;
        return true;
      }
    }
  }
  std::optional<IndicatorId> find(uint64_t k) const noexcept {
    for (uint64_t i = k & mask;; i = (i + 1) & mask) {
      if (keys[i] == k) return ids[i];
      if (keys[i] == 0) return std::nullopt;
    }
  }
};

IndicatorIndex::IndicatorIndex()
    : table_(std::make_unique<Table>(0)), filter_(std::make_unique<Filter>(0)), networks_(std::make_unique<Table>(0)) {}
IndicatorIndex::~IndicatorIndex() = default;

std::optional<IndicatorId> IndicatorIndex::find(uint64_t key) const noexcept {
  return filter_->may_contain(key) ? table_->find(key) : std::nullopt;
}

std::optional<IndicatorId> IndicatorIndex::match_ip(const match::IpAddress& a) const noexcept {
  if (auto id = find(network_key(a, 128))) return id;  // exact addresses are in the main table
  if (prefix_lengths_.empty()) return std::nullopt;
  if (!v4_any_network_ && is_v4_mapped(a.bytes)) {
    uint32_t v4 = uint32_t{a.bytes[12]} << 24 | uint32_t{a.bytes[13]} << 16 | uint32_t{a.bytes[14]} << 8 | a.bytes[15];
    uint32_t b = v4 >> v4_shift_;
    if (v4_networks_.empty() || !((v4_networks_[b >> 6] >> (b & 63)) & 1)) return std::nullopt;
  }
  for (uint8_t bits : prefix_lengths_)
    if (auto id = networks_->find(network_key(a, bits))) return id;
  return std::nullopt;
}

std::optional<IndicatorId> IndicatorIndex::match_ip(std::string_view text) const noexcept {
  auto a = match::parse_ip(trim(text));
  return a ? match_ip(*a) : std::nullopt;
}

std::optional<IndicatorId> IndicatorIndex::match_domain(std::string_view domain) const {
  domain = trim(domain);
  if (domain.size() > 2 && domain.substr(0, 2) == "*.") domain.remove_prefix(2);
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > 253) return std::nullopt;
  // Lowercased, and where each label starts, in one pass.
  const size_t n = domain.size();
  char buf[256];
  uint8_t starts[256];
  size_t nstarts = 1;
  starts[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = domain[i];
    buf[i] = ascii_lower(c);
    if (c == '.') starts[nstarts++] = static_cast<uint8_t>(i + 1);
  }
  // The domain, then each parent that still has a dot ("example" alone is a TLD, not listed).
  for (size_t k = 0; k + 1 < nstarts; ++k)
    if (auto id = find(hash(tag_of(ValueType::domain), std::string_view(buf + starts[k], n - starts[k])))) return id;
  return std::nullopt;
}

std::optional<IndicatorId> IndicatorIndex::match(ValueType t, std::string_view value) const {
  if (t == ValueType::ip) return match_ip(value);
  if (t == ValueType::domain) return match_domain(value);
  if (t == ValueType::md5 || t == ValueType::sha1 || t == ValueType::sha256 || t == ValueType::ja3) {
    // The hot case (hashes in every process event): no allocation.
    value = trim(value);
    size_t want = t == ValueType::sha1 ? 40 : t == ValueType::sha256 ? 64 : 32;
    if (value.size() != want) return std::nullopt;
    char buf[64];
    for (size_t i = 0; i < want; i += 8) {  // every length is a multiple of 8
      uint64_t w;
      std::memcpy(&w, value.data() + i, 8);
      if (!hex_lower8(w)) return std::nullopt;
      std::memcpy(buf + i, &w, 8);
    }
    return find(hash(tag_of(t), std::string_view(buf, want)));
  }
  auto n = normalise(t, value);
  return n ? find(hash(tag_of(t), *n)) : std::nullopt;
}

size_t IndicatorIndex::memory_bytes() const noexcept {
  size_t n = sizeof(*this) + prefix_lengths_.capacity() + sizeof(Filter) + filter_->words.capacity() * 4 +
             v4_networks_.capacity() * sizeof(uint64_t);
  for (const Table* t : {table_.get(), networks_.get()})
    n += sizeof(Table) + t->keys.capacity() * sizeof(uint64_t) + t->ids.capacity() * sizeof(IndicatorId);
  return n;
}

// ---- building -------------------------------------------------------------------------------

IndexBuilder::IndexBuilder() : lengths_(129, false) {}
IndexBuilder::~IndexBuilder() = default;

Result<void> IndexBuilder::add(ValueType t, std::string_view value, IndicatorId id) {
  if (t == ValueType::ip) {
    auto c = match::Cidr::parse(trim(value));
    auto a = match::parse_ip(trim(value.substr(0, value.find('/'))));
    if (!c || !a) return make_error(Errc::malformed, "not an IP address or network: '" + std::string(value) + "'");
    unsigned bits = c->prefix_bits();
    if (bits == 128) {
      keys_.emplace_back(network_key(*a, bits), id);
    } else {
      networks_.emplace_back(network_key(*a, bits), id);
      lengths_[bits] = true;
      if (bits >= 96 && is_v4_mapped(a->bytes)) {
        uint32_t addr = uint32_t{a->bytes[12]} << 24 | uint32_t{a->bytes[13]} << 16 | uint32_t{a->bytes[14]} << 8 |
                        a->bytes[15];
        v4_networks_.emplace_back(addr, static_cast<uint8_t>(bits - 96));
      } else if (bits < 96) {  // does it cover ::ffff:0:0/96, all of IPv4?
        match::IpAddress v4{};
        v4.bytes[10] = v4.bytes[11] = 0xff;
        if (network_key(v4, bits) == network_key(*a, bits)) v4_any_network_ = true;
      }
    }
    return {};
  }
  auto n = normalise(t, value);
  if (!n) return make_error(Errc::malformed, fmt_invalid(t, value));
  keys_.emplace_back(hash(tag_of(t), *n), id);
  return {};
}

std::string IndexBuilder::fmt_invalid(ValueType t, std::string_view value) {
  std::string v(value.substr(0, 200));
  return std::string("not a valid ") + value_type_name(t) + " value: '" + v + "'";
}

std::shared_ptr<const IndicatorIndex> IndexBuilder::build() {
  std::shared_ptr<IndicatorIndex> idx(new IndicatorIndex());
  idx->table_ = std::make_unique<IndicatorIndex::Table>(keys_.size());
  idx->filter_ = std::make_unique<IndicatorIndex::Filter>(keys_.size());
  for (const auto& [k, id] : keys_)
    if (idx->table_->insert(k, id)) {
      idx->filter_->insert(k);
      ++idx->count_;
    }
  idx->v4_any_network_ = v4_any_network_;
  if (!v4_networks_.empty() && !v4_any_network_) {
    // A bit per /24 (2 MiB) for block lists of many networks, per /16 (8 KiB) for a few.
    unsigned g = v4_networks_.size() >= 16384 ? 24 : 16;
    idx->v4_shift_ = static_cast<uint8_t>(32 - g);
    idx->v4_networks_.assign((size_t{1} << g) / 64, 0);
    for (auto [addr, bits] : v4_networks_) {
      uint32_t count = bits >= g ? 1u : 1u << (g - bits);
      uint32_t first = (addr >> (32 - g)) & ~(count - 1);
      for (uint32_t b = first; b < first + count; ++b) idx->v4_networks_[b >> 6] |= uint64_t{1} << (b & 63);
    }
  }
  idx->networks_ = std::make_unique<IndicatorIndex::Table>(networks_.size());
  for (const auto& [k, id] : networks_)
    if (idx->networks_->insert(k, id)) ++idx->count_;
  for (int bits = 127; bits >= 0; --bits)
    if (lengths_[static_cast<size_t>(bits)]) idx->prefix_lengths_.push_back(static_cast<uint8_t>(bits));
  keys_.clear();
  keys_.shrink_to_fit();
  networks_.clear();
  networks_.shrink_to_fit();
  lengths_.assign(129, false);
  v4_networks_.clear();
  v4_networks_.shrink_to_fit();
  v4_any_network_ = false;
  return idx;
}

}  // namespace lachan::intel
