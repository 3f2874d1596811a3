// Regular expressions searched all at once (Vectorscan, prefilter mode): which of them may
// match a value. Prefilter mode may report a regex that does not match (Vectorscan relaxes what
// it cannot build exactly), never leaves out one that does; the caller confirms with RE2.
// The compiled database is immutable and shared by threads; each thread owns a Scratch
// (LiteralSet's: one scratch serves every database prepared for it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "match/literal_set.h"

struct hs_database;

namespace lachan::match {

class RegexSet {
 public:
  ~RegexSet();
  RegexSet(const RegexSet&) = delete;
  RegexSet& operator=(const RegexSet&) = delete;

  // Whether `pattern` (RE2 syntax, as Sigma's `re` gives it, flags inline) can join a set with
  // the same answers as RE2 for every match: ASCII only (RE2 folds case by Unicode rules), it
  // cannot match the empty string, and Vectorscan accepts it in UTF-8 prefilter mode.
  static bool supported(const std::string& pattern);

  // Compiles the patterns (ids are their positions), each of which supported() accepts.
  static Result<std::shared_ptr<const RegexSet>> build(const std::vector<std::string>& patterns);

  Result<void> prepare(LiteralSet::Scratch& scratch) const;

  // Reports each regex that may match `text` once (id, end offset). `text` must be valid UTF-8
  // without vertical tabs (RE2's \S takes \v, Vectorscan's does not): callers check first.
  bool scan(std::string_view text, LiteralSet::Scratch& scratch, LiteralSet::Callback cb, void* ctx) const;
  size_t size() const noexcept { return count_; }

 private:
  RegexSet() = default;
  hs_database* db_ = nullptr;
  size_t count_ = 0;
};

}  // namespace lachan::match
