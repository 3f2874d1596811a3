// LiteralSet (the Vectorscan prefilter): every occurrence a naive search finds is reported.
// Vectorscan 5.4.9 misses matches of short literals near the end of some buffers; LiteralSet::scan
// pads the buffer to avoid it. The buffers here (one repeated character, a literal inserted at
// random places, lengths 0..400) reproduce those misses when the padding is removed.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "match/literal_set.h"

using lachan::match::LiteralSet;

namespace {

using Hit = std::pair<unsigned, size_t>;  // (literal id, end offset)

int collect(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  static_cast<std::set<Hit>*>(ctx)->insert({id, static_cast<size_t>(to)});
  return 0;
}

std::set<Hit> naive(const std::vector<std::string>& lits, std::string_view data, bool caseless) {
  std::set<Hit> out;
  std::string hay = caseless ? lachan::to_lower(data) : std::string(data);
  for (unsigned id = 0; id < lits.size(); ++id) {
    std::string needle = caseless ? lachan::to_lower(lits[id]) : lits[id];
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
      out.insert({id, p + needle.size()});
  }
  return out;
}

struct Fixture {
  std::shared_ptr<const LiteralSet> set;
  LiteralSet::Scratch scratch;
  explicit Fixture(const std::vector<std::string>& lits, bool caseless = true) {
    auto r = LiteralSet::build(lits, caseless);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    set = *r;
    EXPECT_TRUE(set->prepare(scratch).ok());
  }
  std::set<Hit> scan(std::string& data) {
    std::set<Hit> out;
    EXPECT_TRUE(set->scan(data, scratch, &collect, &out));
    return out;
  }
};

const std::vector<std::string> kLiterals = {".com", ".exe", ".dll", "\\cmd.exe", "powershell", "-enc", "http://",
                                            "/tmp/", "rundll32", "%temp%", "a.b", "xyz"};

}  // namespace

// Small sets ({".com", ".exe"}: Vectorscan's small-set engine) are where the misses were seen.
const std::vector<std::vector<std::string>> kSets = {
    {".com", ".exe"}, {".com", ".exe", ".dll"}, {".com", ".exe", ".dll", "\\cmd.exe"}, {".exe"}, kLiterals};

TEST(LiteralSet, FindsEveryOccurrenceOnRepeatedCharacterBuffers) {
  std::mt19937 rng(42);
  for (bool caseless : {true, false}) {
    for (const auto& lits : kSets) {
      Fixture f(lits, caseless);
      size_t total_hits = 0;
      for (char fill : {'a', 'x', ' ', '.', 'e'}) {
        for (size_t len = 0; len <= 400; ++len) {
          for (int rep = 0; rep < 3; ++rep) {
            std::string data(len, fill);
            // Insert one to three literals at random places (the first one at the very end).
            int n = len == 0 ? 1 : 1 + static_cast<int>(rng() % 3);
            for (int k = 0; k < n; ++k) {
              const std::string& lit = lits[rng() % lits.size()];
              size_t at = data.empty() ? 0 : rng() % (data.size() + 1);
              if (rep == 0 && k == 0) at = data.size();
              data.insert(at, lit);
            }
            const std::string before = data;
            auto want = naive(lits, data, caseless);
            auto got = f.scan(data);
            ASSERT_EQ(data, before) << "scan must restore the buffer";
            ASSERT_EQ(got, want) << lits.size() << " literals, caseless " << caseless << ", fill '" << fill
                                 << "', length " << data.size() << ": '" << data << "'";
            total_hits += got.size();
          }
        }
      }
      EXPECT_GT(total_hits, 5000u);
    }
  }
}

TEST(LiteralSet, LiteralAtEveryOffset) {
  for (const auto& lits : kSets) {
    Fixture f(lits);
    for (const auto& lit : lits)
      for (size_t len = 0; len <= 200; ++len)
        for (size_t tail : {0, 1, 5}) {
          std::string data(len, 'q');
          data += lit;
          data.append(tail, 'q');
          auto want = naive(lits, data, true);
          ASSERT_EQ(f.scan(data), want) << lit << " after " << len << " bytes, " << tail << " after it";
        }
  }
}

TEST(LiteralSet, CaselessAndCased) {
  Fixture caseless({"PowerShell"});
  std::string d = "xx POWERSHELL.exe yy";
  auto hits = caseless.scan(d);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits.begin()->second, 13u);

  Fixture cased({"powershell"}, false);
  std::string upper = "POWERSHELL";
  EXPECT_TRUE(cased.scan(upper).empty());
  std::string lower = "powershell";
  EXPECT_EQ(cased.scan(lower).size(), 1u);
}

TEST(LiteralSet, EmptySetAndEmptyBuffer) {
  Fixture none({});
  EXPECT_EQ(none.set->size(), 0u);
  std::string d = "anything .exe";
  EXPECT_TRUE(none.scan(d).empty());
  Fixture f(kLiterals);
  std::string empty;
  EXPECT_TRUE(f.scan(empty).empty());
  EXPECT_TRUE(empty.empty());
}

TEST(LiteralSet, OverlappingAndRepeatedOccurrences) {
  Fixture f({"aa", "aaa"});
  std::string d = "aaaa";
  auto got = f.scan(d);
  EXPECT_EQ(got, naive({"aa", "aaa"}, "aaaa", true));
  EXPECT_EQ(got.size(), 5u);  // aa at 2,3,4; aaa at 3,4
}

TEST(LiteralSet, RandomBuffersAgainstNaive) {
  Fixture f(kLiterals);
  std::mt19937 rng(7);
  const std::string chars = "abcdeABCDE.xyz\\/-:%lpmt ";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string data;
    size_t len = rng() % 300;
    for (size_t i = 0; i < len; ++i) data += chars[rng() % chars.size()];
    if (rng() % 2) data += kLiterals[rng() % kLiterals.size()];
    auto want = naive(kLiterals, data, true);
    ASSERT_EQ(f.scan(data), want) << data;
  }
}
