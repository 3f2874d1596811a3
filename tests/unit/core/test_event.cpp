// FieldRegistry and Arena: the lookups and allocations behind every flattened leaf.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/event.h"

using namespace lachan;

// Names of every length up to 40 (whole 8-byte words, short tails and overlapping last words):
// each is found as itself, and a name differing in one byte or in length is not.
TEST(FieldRegistry, FindsNamesOfEveryLengthExactly) {
  const std::string text = "Microsoft-Windows-Security-Auditing_Provider";
  FieldRegistry reg;
  std::vector<FieldId> ids;
  for (size_t n = 0; n <= 40; ++n) ids.push_back(reg.intern(text.substr(0, n)));
  for (size_t n = 0; n <= 40; ++n) {
    const std::string name = text.substr(0, n);
    EXPECT_EQ(reg.find(name), ids[n]) << n;
    EXPECT_EQ(reg.intern(name), ids[n]) << n;
    EXPECT_EQ(reg.name(ids[n]), name);
    for (size_t i = 0; i < n; ++i) {
      std::string other = name;
      other[i] ^= 0x01;
      EXPECT_EQ(reg.find(other), kNoField) << n << " " << i;
    }
  }
  EXPECT_EQ(reg.find(text), kNoField);  // longer than every interned name
}

TEST(FieldRegistry, HashTellsWhetherANameHasASpace) {
  for (size_t n = 1; n <= 24; ++n) {
    std::string name(n, 'x');
    bool spaced = true;
    EXPECT_EQ(FieldRegistry::hash(name, spaced), FieldRegistry::hash(name));
    EXPECT_FALSE(spaced) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string with = name;
      with[i] = ' ';
      EXPECT_EQ(FieldRegistry::hash(with, spaced), FieldRegistry::hash(with));
      EXPECT_TRUE(spaced) << n << " " << i;
    }
  }
}

// Allocations never overlap, across chunks and larger than one; reset() reuses the memory.
TEST(Arena, AllocationsAreDisjointAndReusedAfterReset) {
  Arena arena;
  std::vector<std::pair<char*, size_t>> blocks;
  for (size_t i = 0; i < 3000; ++i) {
    const size_t n = i == 1500 ? 200 * 1024 : 1 + i % 97;
    char* p = arena.alloc(n);
    std::memset(p, static_cast<int>(i % 251), n);
    blocks.emplace_back(p, n);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto [p, n] = blocks[i];
    for (size_t k = 0; k < n; ++k) ASSERT_EQ(static_cast<unsigned char>(p[k]), i % 251) << i;
  }
  arena.reset();
  EXPECT_EQ(arena.alloc(1), blocks[0].first);
  EXPECT_EQ(arena.copy("abc"), "abc");
}
