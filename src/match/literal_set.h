// A set of literals searched all at once (Vectorscan), case-insensitively: the prefilter that
// picks which rules can possibly match an event before any rule is evaluated.
// The compiled database is immutable and shared by threads; each thread owns a Scratch.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct hs_database;
struct hs_scratch;

namespace lachan::match {

class RegexSet;

class LiteralSet {
 public:
  ~LiteralSet();
  LiteralSet(const LiteralSet&) = delete;
  LiteralSet& operator=(const LiteralSet&) = delete;

  // Compiles the literals (ids are their positions). An empty list gives a set that never matches.
  // caseless: ASCII case-insensitive; otherwise exact bytes (callers then scan lowercased text
  // with lowercase literals, which Vectorscan handles faster).
  static Result<std::shared_ptr<const LiteralSet>> build(const std::vector<std::string>& literals, bool caseless = true);

  class Scratch {
   public:
    Scratch() = default;
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

   private:
    friend class LiteralSet;
    friend class RegexSet;
    hs_scratch* s_ = nullptr;
  };
  // Makes `scratch` usable with this set (allocates or grows it); call once per thread per set.
  Result<void> prepare(Scratch& scratch) const;

  using Callback = int (*)(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void* ctx);
  // Reports every occurrence (id, end offset) in `data` to `cb`; returns false if the scan failed.
  // `data` must not contain NUL bytes that a literal could span. The buffer is padded with NUL
  // bytes for the scan and restored afterwards: Vectorscan 5.4.9 (Debian 12) misses some
  // matches of short literals that end near the end of a buffer (seen with ".com"/".exe" on
  // buffers of 70-98 bytes); 64 bytes of padding avoid it (tests/unit/match/test_literal_set.cpp
  // checks this against a naive search).
  bool scan(std::string& data, Scratch& scratch, Callback cb, void* ctx) const;
  // The same over data[0, len), without a copy: data[len, len + kScanPadding) must be writable
  // and is overwritten with the padding.
  bool scan(char* data, size_t len, Scratch& scratch, Callback cb, void* ctx) const;
  static constexpr size_t kScanPadding = 64;
  size_t size() const noexcept { return count_; }

 private:
  LiteralSet() = default;
  hs_database* db_ = nullptr;
  size_t count_ = 0;
};

}  // namespace lachan::match
