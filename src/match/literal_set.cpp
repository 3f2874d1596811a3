#include "match/literal_set.h"

#include "match/vectorscan.h"

#include <hs/hs.h>

#include <cstring>

#include <fmt/format.h>

namespace lachan::match {

LiteralSet::~LiteralSet() {
  if (db_) hs_free_database(db_);
}

LiteralSet::Scratch::~Scratch() {
  if (s_) hs_free_scratch(s_);
}

Result<std::shared_ptr<const LiteralSet>> LiteralSet::build(const std::vector<std::string>& literals, bool caseless) {
  std::shared_ptr<LiteralSet> set(new LiteralSet());
  set->count_ = literals.size();
  if (literals.empty()) return std::shared_ptr<const LiteralSet>(set);
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags, ids;
  ptrs.reserve(literals.size());
  for (size_t i = 0; i < literals.size(); ++i) {
    ptrs.push_back(literals[i].data());
    lens.push_back(literals[i].size());
    flags.push_back(caseless ? HS_FLAG_CASELESS : 0);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_compile_lit_multi(ptrs.data(), flags.data(), ids.data(), lens.data(),
                                       static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK, nullptr, &set->db_, &err);
  if (rc != HS_SUCCESS) return detail::compile_error(err, literals.size(), "literals", "literal");
  return std::shared_ptr<const LiteralSet>(set);
}

Result<void> LiteralSet::prepare(Scratch& scratch) const { return detail::alloc_scratch(db_, &scratch.s_); }

namespace detail {

Result<void> alloc_scratch(const hs_database* db, hs_scratch** scratch) {
  if (!db) return {};
  if (hs_alloc_scratch(db, scratch) != HS_SUCCESS)
    return make_error(Errc::internal, "vectorscan could not allocate scratch space");
  return {};
}

Error compile_error(hs_compile_error* err, size_t count, std::string_view what, std::string_view item) {
  std::string msg = err && err->message ? err->message : "unknown error";
  int expr = err ? err->expression : -1;
  if (err) hs_free_compile_error(err);
  return make_error(Errc::internal, fmt::format("vectorscan could not compile {} {} ({} {}): {}", count, what, item, expr, msg));
}

}  // namespace detail

bool LiteralSet::scan(std::string& data, Scratch& scratch, Callback cb, void* ctx) const {
  if (!db_ || data.empty()) return true;
  const size_t n = data.size();
  data.append(kScanPadding, '\0');
  bool ok = scan(data.data(), n, scratch, cb, ctx);
  data.resize(n);
  return ok;
}

bool LiteralSet::scan(char* data, size_t len, Scratch& scratch, Callback cb, void* ctx) const {
  if (!db_ || len == 0) return true;
  std::memset(data + len, 0, kScanPadding);
  hs_error_t rc = hs_scan(db_, data, static_cast<unsigned>(len + kScanPadding), 0, scratch.s_, cb, ctx);
  return rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED;
}

}  // namespace lachan::match
