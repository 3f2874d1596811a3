#include "match/regex_set.h"

#include "match/vectorscan.h"

#include <hs/hs.h>

#include <cstdlib>


namespace lachan::match {

namespace {
constexpr unsigned kFlags = HS_FLAG_PREFILTER | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
}

RegexSet::~RegexSet() {
  if (db_) hs_free_database(db_);
}

bool RegexSet::supported(const std::string& pattern) {
  for (unsigned char ch : pattern)
    if (ch >= 0x80 || ch == 0) return false;
  // Characters outside ASCII named by escape (\x{e4}, \p{Lu}) in a pattern with inline flags,
  // which may make it case-insensitive: RE2 folds their case, Vectorscan does not.
  const bool escapes = pattern.find("\\x") != std::string::npos || pattern.find("\\p") != std::string::npos ||
                       pattern.find("\\P") != std::string::npos;
  if (escapes && pattern.find("(?") != std::string::npos) return false;
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(pattern.c_str(), kFlags, &info, &err) != HS_SUCCESS) {
    if (err) hs_free_compile_error(err);
    return false;
  }
  const bool ok = info && info->min_width > 0;
  std::free(info);
  return ok;
}

Result<std::shared_ptr<const RegexSet>> RegexSet::build(const std::vector<std::string>& patterns) {
  std::shared_ptr<RegexSet> set(new RegexSet());
  set->count_ = patterns.size();
  if (patterns.empty()) return std::shared_ptr<const RegexSet>(set);
  std::vector<const char*> ptrs;
  std::vector<unsigned> flags, ids;
  for (size_t i = 0; i < patterns.size(); ++i) {
    ptrs.push_back(patterns[i].c_str());
    flags.push_back(kFlags);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                                   HS_MODE_BLOCK, nullptr, &set->db_, &err);
  if (rc != HS_SUCCESS) return detail::compile_error(err, patterns.size(), "regular expressions", "expression");
  return std::shared_ptr<const RegexSet>(set);
}

Result<void> RegexSet::prepare(LiteralSet::Scratch& scratch) const { return detail::alloc_scratch(db_, &scratch.s_); }

bool RegexSet::scan(std::string_view text, LiteralSet::Scratch& scratch, LiteralSet::Callback cb, void* ctx) const {
  if (!db_ || text.empty()) return true;
  hs_error_t rc = hs_scan(db_, text.data(), static_cast<unsigned>(text.size()), 0, scratch.s_, cb, ctx);
  return rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED;
}

}  // namespace lachan::match
