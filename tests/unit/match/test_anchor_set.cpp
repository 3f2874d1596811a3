// AnchorSet against a naive check: random literals (mixed case, bytes outside ASCII, lengths
// around the 8-byte word and the 64-bit length bitset) looked up in random values made to start,
// end or be one of them, in several groups; find() must report exactly the literals the naive
// comparison of the lowercased value's ends finds.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "match/anchor_set.h"

using lachan::match::AnchorSet;

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  return s;
}

struct Lit {
  uint32_t group;
  AnchorSet::Kind kind;
  std::string text;  // as added (before the cut to kMaxAffix)
  uint32_t id;
};

bool naive(const Lit& l, std::string_view value) {
  std::string v = lower(std::string(value)), t = lower(l.text);
  switch (l.kind) {
    case AnchorSet::whole: return v == t;
    case AnchorSet::prefix:
      if (t.size() > AnchorSet::kMaxAffix) t.resize(AnchorSet::kMaxAffix);
      return v.starts_with(t);
    case AnchorSet::suffix:
      if (t.size() > AnchorSet::kMaxAffix) t = t.substr(t.size() - AnchorSet::kMaxAffix);
      return v.ends_with(t);
  }
  return false;
}

}  // namespace

TEST(AnchorSet, MatchesNaiveEnds) {
  std::mt19937 rng(7);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::string alphabet = "abcXYZ.\\ -:\x01\xC3\xA9\x80\xFF";
  auto text = [&](size_t len) {
    std::string s;
    for (size_t i = 0; i < len; ++i) s.push_back(alphabet[pick(alphabet.size())]);
    return s;
  };
  const size_t lens[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 130};
  AnchorSet set;
  std::vector<Lit> lits;
  for (int i = 0; i < 400; ++i) {
    Lit l{static_cast<uint32_t>(pick(3)), static_cast<AnchorSet::Kind>(pick(3)), text(lens[pick(std::size(lens))]), 0};
    ASSERT_TRUE(set.add(l.group, l.kind, l.text, l.id));
    lits.push_back(l);
  }
  // The same literal again, in another case, gets the same id; an empty one is refused.
  uint32_t again;
  std::string upper = lits[0].text;
  for (auto& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  ASSERT_TRUE(set.add(lits[0].group, lits[0].kind, upper, again));
  EXPECT_EQ(again, lits[0].id);
  uint32_t none;
  EXPECT_FALSE(set.add(0, AnchorSet::whole, "", none));

  size_t reported = 0;
  for (int i = 0; i < 4000; ++i) {
    const Lit& base = lits[pick(lits.size())];
    std::string v;
    switch (pick(5)) {
      case 0: v = base.text; break;
      case 1: v = base.text + text(pick(12)); break;
      case 2: v = text(pick(12)) + base.text; break;
      case 3: v = text(pick(20)); break;
      default: v = text(pick(3)) + base.text + text(pick(3));
    }
    if (pick(3) == 0)  // another case
      for (auto& c : v)
        if (c >= 'a' && c <= 'z' && pick(2)) c = static_cast<char>(c - 32);
    for (uint32_t g = 0; g < 4; ++g) {  // group 3 holds no literal
      std::set<uint32_t> got, want;
      set.find(g, v, [&](uint32_t id) { got.insert(id); });
      for (const Lit& l : lits)
        if (l.group == g && naive(l, v)) want.insert(l.id);
      ASSERT_EQ(got, want) << "group " << g << " value '" << v << "'";
      reported += got.size();
    }
  }
  EXPECT_GT(reported, 2000u) << "too few hits for the comparison to mean much";
}

// The values are read at their ends only, up to their size: a value at the very end of a buffer
// (as the flattener's strings may be) is read without a byte past it (ASan checks).
TEST(AnchorSet, ReadsNoBytePastTheValue) {
  AnchorSet set;
  uint32_t id;
  ASSERT_TRUE(set.add(0, AnchorSet::suffix, ".exe", id));
  ASSERT_TRUE(set.add(0, AnchorSet::prefix, "c:", id));
  ASSERT_TRUE(set.add(0, AnchorSet::whole, "a", id));
  for (size_t n = 0; n <= 20; ++n) {
    std::vector<char> buf(n);  // exactly n bytes on the heap
    for (size_t i = 0; i < n; ++i) buf[i] = "C:\\x.EXE"[i % 8];
    size_t hits = 0;
    set.find(0, std::string_view(buf.data(), n), [&](uint32_t) { ++hits; });
    EXPECT_EQ(hits, size_t{n >= 2} + size_t{n >= 8 && n % 8 == 0}) << n;
  }
}
