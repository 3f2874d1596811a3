// MISP warning lists: values known to be benign or shared (public DNS resolvers, private
// networks, second-level TLDs, big providers' ranges, our own government portals) that an
// indicator should not raise on. Read in the misp-warninglists JSON format:
//   {"name": …, "version": …, "description": …, "type": "string|substring|hostname|cidr|regex",
//    "list": [ … ], "matching_attributes": [ "ip-src", … ], "category": "false-positive|known"}
//
// Matching, on values in intel::normalise form:
//   string    the value itself, compared in the normal form of its type (so domains, e-mail
//             addresses and hashes without regard to case)
//   hostname  a domain (or a URL's host, an e-mail's domain) that is the entry or a subdomain of it
//   cidr      an address (or a network) inside one of the networks
//   substring the entry anywhere in the value, without regard to case
//   regex     RE2 (a PCRE-style "/…/i" is unwrapped, its i flag kept), searched anywhere
// matching_attributes restricts a list to our value types (ip-src/ip-dst/…|port -> ip,
// domain/hostname -> domain, domain|ip -> both, url/uri/link -> url, email* -> email, md5/sha1/
// sha256 and filename|<hash> -> that hash, ja3-fingerprint-md5 -> ja3, ja4-fingerprint -> ja4,
// filename -> file_name); an empty or absent list applies to every type. A list whose attributes
// name none of our types matches nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "intel/indicator_index.h"

namespace lachan::intel {

struct WarningList {
  enum class Kind : uint8_t { string, substring, hostname, cidr, regex };
  std::string name;
  std::string description;
  std::string category;  // "false-positive" or "known", when given
  std::string origin;    // where it was read from (a path), for messages
  int64_t version = 0;
  Kind kind = Kind::string;
  std::vector<std::string> entries;
  uint16_t types = 0xffff;  // bit (1 << ValueType) for each value type the list applies to
  bool applies_to(ValueType t) const noexcept { return (types >> static_cast<unsigned>(t)) & 1u; }
};

// Malformed (naming `origin` and the field or entry) when the JSON is not a warning list: no
// name, an unknown type, list not an array of strings, a CIDR or regex entry that does not parse.
Result<WarningList> parse_warninglist(std::string_view json, std::string_view origin);

class WarningListSet {
 public:
  WarningListSet();
  ~WarningListSet();
  WarningListSet(WarningListSet&&) noexcept;
  WarningListSet& operator=(WarningListSet&&) noexcept;

  // Compiles the lists (malformed when an entry does not compile). Lookups report the first list,
  // in this order, that contains a value.
  static Result<WarningListSet> build(std::vector<WarningList> lists);

  // The name of the first list containing the value (in intel::normalise form), if any.
  // O(log n) per exact, hostname label and network prefix length; substring and regex lists
  // cost a scan of the value each.
  std::optional<std::string_view> listed(ValueType t, std::string_view normalised_value) const;

  size_t size() const noexcept;  // lists
  const std::vector<WarningList>& lists() const noexcept;

  struct Compiled;

 private:
  std::unique_ptr<Compiled> c_;
};

// Every *.json in `dir` and in its subfolders one level down (misp-warninglists ships
// lists/<name>/list.json), in path order. io when the folder cannot be read; the first bad list
// fails the whole load, naming its file.
Result<WarningListSet> load_warninglists(const std::filesystem::path& dir);

}  // namespace lachan::intel
