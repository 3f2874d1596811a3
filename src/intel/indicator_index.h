// The matching side of the intelligence repository: an immutable index of indicator values
// (addresses and networks, domains, URLs, e-mail addresses, file hashes, JA3/JA4, file names)
// that the pipeline asks, for each observable of an event, "which indicator is this?".
//
// Built once per indicator snapshot (IndexBuilder), then shared read-only by every thread and
// swapped whole when indicators change, so an update never pauses matching. Values are kept as
// 64-bit hashes of their normalised form in open-addressing tables (12 bytes a slot, at most half
// full): about 25 bytes per indicator, with a Bloom filter in front (1.5 bytes per value) so that
// a value that is not listed (nearly all of them) is answered from cache. A lookup is one probe,
// plus for an address inside some listed network one probe per prefix length that has networks,
// in a separate (small) table of networks. The indicator's own
// record (source, TLP, confidence, …) lives in the repository, found by the IndicatorId returned.
// A 64-bit hash collision makes a false match possible with probability ~ n / 2^64 per lookup
// (5e-14 for a million indicators); callers that raise a warning confirm the value against the
// repository record.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "match/cidr.h"

namespace lachan::intel {

using IndicatorId = uint32_t;

enum class ValueType : uint8_t { ip, domain, url, email, md5, sha1, sha256, ja3, ja4, file_name };
const char* value_type_name(ValueType t) noexcept;
std::optional<ValueType> parse_value_type(std::string_view s) noexcept;

// Normal forms, shared by the index and by whoever stores or exports indicators:
//  domain: lowercase, without a trailing dot or a leading "*."; must have a dot-separated label.
//  url: scheme and host lowercased, default port (80/443) and fragment dropped, empty path "/".
//  email: lowercase. hashes: lowercase hex of the right length. ja3: lowercase 32 hex.
//  file_name: lowercase, without a directory.
// nullopt (with nothing normalised) when the value is not of the type.
std::optional<std::string> normalise(ValueType t, std::string_view value);

class IndicatorIndex {
 public:
  // The most specific indicator covering the address: an exact address before the longest
  // network that contains it.
  std::optional<IndicatorId> match_ip(const match::IpAddress& a) const noexcept;
  std::optional<IndicatorId> match_ip(std::string_view text) const noexcept;
  // The domain itself, else its nearest listed parent ("a.b.evil.example" matches "evil.example").
  std::optional<IndicatorId> match_domain(std::string_view domain) const;
  // Any other type, the value normalised as above (a URL also matches its host's domain
  // indicators only through match_domain: callers ask for both).
  std::optional<IndicatorId> match(ValueType t, std::string_view value) const;

  size_t size() const noexcept { return count_; }
  // Bytes held by the index (tables and bookkeeping).
  size_t memory_bytes() const noexcept;

  ~IndicatorIndex();

  struct Table;   // open addressing: 64-bit key -> id
  struct Filter;  // Bloom filter in front of the table

 private:
  friend class IndexBuilder;
  IndicatorIndex();
  std::optional<IndicatorId> find(uint64_t key) const noexcept;

  std::unique_ptr<Table> table_;     // every value, exact addresses included
  std::unique_ptr<Filter> filter_;   // which keys table_ may hold, answered from cache
  std::unique_ptr<Table> networks_;  // networks: small, so their probes stay in cache
  // IPv4: a bit for each /24 (or /16, for few networks) that some listed network overlaps, so
  // that an address outside every network skips the probes per prefix length. Unused when a
  // network shorter than /96 covers the whole IPv4-mapped space.
  std::vector<uint64_t> v4_networks_;
  uint8_t v4_shift_ = 8;  // 32 - the bits the bitmap is indexed by
  bool v4_any_network_ = false;
  // Prefix lengths (over the 128-bit form) that have at least one network, longest first.
  std::vector<uint8_t> prefix_lengths_;
  size_t count_ = 0;
};

class IndexBuilder {
 public:
  IndexBuilder();
  ~IndexBuilder();
  // Adds a value; malformed (naming the value and type) when it is not of the type. An IP
  // value may be an address or a network ("198.51.100.0/24"). A value added twice keeps the
  // first id.
  Result<void> add(ValueType t, std::string_view value, IndicatorId id);
  size_t size() const noexcept { return keys_.size() + networks_.size(); }
  std::shared_ptr<const IndicatorIndex> build();

 private:
  static std::string fmt_invalid(ValueType t, std::string_view value);
  std::vector<std::pair<uint64_t, IndicatorId>> keys_, networks_;
  std::vector<bool> lengths_;  // [0..127]: prefix lengths of networks
  std::vector<std::pair<uint32_t, uint8_t>> v4_networks_;  // IPv4 networks: address, prefix length
  bool v4_any_network_ = false;
};

}  // namespace lachan::intel
