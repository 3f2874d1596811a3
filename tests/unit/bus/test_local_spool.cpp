// The local segment-log spool: offsets, durability across reopen, torn tails, damage, group
// commit under concurrency, backpressure, consumers, retention, wait/close.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "bus/local/local_spool.h"
#include "bus/local/segment_format.h"
#include "spool_test_util.h"

using namespace lachan;
using namespace lachan::bus;
using namespace lachan::bus::testing;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Spool> must_open(const std::string& dir, const LocalSpoolOptions& o = {}) {
  auto s = open_local_spool(dir, o);
  if (!s) ADD_FAILURE() << "open: " << s.error().message;
  return s ? std::move(s).value() : nullptr;
}

AppendResult append_tags(Spool& s, uint64_t first_tag, int n, size_t pad = 40) {
  OwnedBatch b;
  for (int i = 0; i < n; ++i) b.add(payload_for(first_tag + i, pad), "suricata", "org-" + std::to_string(i % 3));
  auto r = s.append(b.span());
  if (!r) ADD_FAILURE() << "append: " << r.error().message;
  return r ? *r : AppendResult{};
}

// Reads everything from `from`, in small batches, into offset -> payload.
std::map<uint64_t, std::string> read_all(Spool& s, uint64_t from = 1, std::vector<Error>* corrupt = nullptr) {
  std::map<uint64_t, std::string> out;
  ReadBatch b;
  for (;;) {
    auto r = s.read(from, 37, 1 << 20, b);
    if (!r) {
      ADD_FAILURE() << "read: " << r.error().message;
      break;
    }
    for (const auto& rec : b.records) out.emplace(rec.offset, std::string(rec.record.payload));
    if (corrupt) corrupt->insert(corrupt->end(), b.corrupt.begin(), b.corrupt.end());
    if (b.next_offset == from) break;
    from = b.next_offset;
  }
  return out;
}

std::vector<fs::path> segment_files(const std::string& dir) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".seg") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST(LocalSpool, RoundTrip) {
  TempDir d;
  auto s = must_open(d.path());
  ASSERT_TRUE(s);
  OwnedBatch b;
  b.add("first", "suricata", "org-a", 111);
  b.add(std::string("bin\0ary", 7), "zeek", "org-b", 222);
  b.add("", "cef", "", 333);
  auto r = s->append(b.span());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first_offset, 1u);
  EXPECT_EQ(r->last_offset, 3u);

  ReadBatch rb;
  ASSERT_TRUE(s->read(1, 100, 1 << 20, rb));
  ASSERT_EQ(rb.records.size(), 3u);
  EXPECT_EQ(rb.next_offset, 4u);
  EXPECT_EQ(rb.records[1].offset, 2u);
  EXPECT_EQ(rb.records[1].record.source_type, "zeek");
  EXPECT_EQ(rb.records[1].record.org_id, "org-b");
  EXPECT_EQ(rb.records[1].record.received_at_ms, 222);
  EXPECT_EQ(rb.records[1].record.payload, std::string("bin\0ary", 7));
  EXPECT_EQ(rb.records[2].record.payload, "");
  EXPECT_EQ(rb.records[2].record.org_id, "");

  // From the middle, with a record limit, and past the end.
  ASSERT_TRUE(s->read(2, 1, 1 << 20, rb));
  ASSERT_EQ(rb.records.size(), 1u);
  EXPECT_EQ(rb.records[0].offset, 2u);
  EXPECT_EQ(rb.next_offset, 3u);
  ASSERT_TRUE(s->read(4, 100, 1 << 20, rb));
  EXPECT_TRUE(rb.records.empty());
  EXPECT_EQ(rb.next_offset, 4u);

  // The byte limit still returns at least one record.
  ASSERT_TRUE(s->read(1, 100, 1, rb));
  EXPECT_EQ(rb.records.size(), 1u);
  EXPECT_EQ(rb.next_offset, 2u);

  auto st = s->stats();
  EXPECT_EQ(st.first_offset, 1u);
  EXPECT_EQ(st.last_offset, 3u);
  EXPECT_EQ(st.appended_records, 3u);
}

TEST(LocalSpool, RejectsOversizedRecordsAndEmptyBatchIsNoop) {
  TempDir d;
  LocalSpoolOptions o;
  o.max_record_bytes = 100;
  auto s = must_open(d.path(), o);
  OwnedBatch b;
  b.add(std::string(101, 'x'));
  auto r = s->append(b.span());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::limit);
  OwnedBatch long_name;
  long_name.add("x", std::string(300, 's'));
  EXPECT_EQ(s->append(long_name.span()).error().code, Errc::limit);
  auto e = s->append({});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->last_offset, 0u);
  EXPECT_EQ(append_tags(*s, 1, 1).first_offset, 1u);  // nothing was consumed by the failures
}

TEST(LocalSpool, ConcurrentAppendersGetDenseUniqueOffsets) {
  TempDir d;
  auto s = must_open(d.path(), LocalSpoolOptions{.segment_bytes = 64 << 10});
  constexpr int kThreads = 8, kBatches = 25, kPerBatch = 20;
  std::vector<std::vector<AppendResult>> acks(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b)
        acks[t].push_back(append_tags(*s, (uint64_t(t) * kBatches + b) * kPerBatch, kPerBatch));
    });
  for (auto& t : ts) t.join();

  // Each batch got a contiguous range; together they tile 1..N exactly once.
  std::set<uint64_t> seen;
  auto all = read_all(*s);
  const uint64_t n = uint64_t{kThreads} * kBatches * kPerBatch;
  ASSERT_EQ(all.size(), n);
  for (int t = 0; t < kThreads; ++t)
    for (int b = 0; b < kBatches; ++b) {
      const AppendResult& a = acks[t][b];
      ASSERT_EQ(a.last_offset - a.first_offset + 1, uint64_t{kPerBatch});
      for (uint64_t o = a.first_offset; o <= a.last_offset; ++o) {
        EXPECT_TRUE(seen.insert(o).second) << "offset twice: " << o;
        const uint64_t tag = (uint64_t(t) * kBatches + b) * kPerBatch + (o - a.first_offset);
        EXPECT_EQ(all[o], payload_for(tag)) << "offset " << o;
      }
    }
  EXPECT_EQ(*seen.begin(), 1u);
  EXPECT_EQ(*seen.rbegin(), n);
  EXPECT_GT(segment_files(d.path()).size(), 3u);  // the test crossed segment boundaries
}

TEST(LocalSpool, RollsSegmentsAndReadsAcrossThem) {
  TempDir d;
  auto s = must_open(d.path(), LocalSpoolOptions{.segment_bytes = 4096});
  for (int i = 0; i < 20; ++i) append_tags(*s, uint64_t(i) * 10 + 1, 10, 100);
  auto files = segment_files(d.path());
  ASSERT_GT(files.size(), 5u);
  // Files are named by their first offset, and no file passes segment_bytes.
  uint64_t prev = 0;
  for (const auto& f : files) {
    uint64_t first = 0;
    ASSERT_TRUE(local::parse_segment_file_name(f.filename().string(), first));
    EXPECT_GT(first, prev);
    prev = first;
    EXPECT_LE(fs::file_size(f), 4096u);
  }
  // One read spanning several segments, from an offset in the middle of one.
  ReadBatch rb;
  ASSERT_TRUE(s->read(15, 150, 1 << 20, rb));
  ASSERT_EQ(rb.records.size(), 150u);
  for (size_t i = 0; i < rb.records.size(); ++i) {
    EXPECT_EQ(rb.records[i].offset, 15 + i);
    EXPECT_EQ(rb.records[i].record.payload, payload_for(15 + i, 100));
  }
  EXPECT_EQ(read_all(*s, 1).size(), 200u);
}

TEST(LocalSpool, ReopenContinuesOffsetsAndKeepsData) {
  TempDir d;
  LocalSpoolOptions o{.segment_bytes = 2048};
  {
    auto s = must_open(d.path(), o);
    append_tags(*s, 1, 30);
    ASSERT_TRUE(s->commit("pipeline", 12));
  }
  auto s = must_open(d.path(), o);
  auto r = append_tags(*s, 31, 5);
  EXPECT_EQ(r.first_offset, 31u);
  EXPECT_EQ(r.last_offset, 35u);
  auto all = read_all(*s);
  ASSERT_EQ(all.size(), 35u);
  for (uint64_t i = 1; i <= 35; ++i) EXPECT_EQ(all[i], payload_for(i));
  auto c = s->committed("pipeline");
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, 12u);
  EXPECT_EQ(s->lag_records(), 35u - 12u);
}

TEST(LocalSpool, SecondOpenOfTheSameDirIsBusy) {
  TempDir d;
  auto s = must_open(d.path());
  auto again = open_local_spool(d.path());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::busy);
}

TEST(LocalSpool, TornTailIsTruncatedAndAppendsContinue) {
  for (int mode = 0; mode < 3; ++mode) {
    SCOPED_TRACE(mode);
    TempDir d;
    {
      auto s = must_open(d.path());
      append_tags(*s, 1, 10);
    }
    const fs::path seg = segment_files(d.path()).back();
    const auto size = fs::file_size(seg);
    if (mode == 0) {
      fs::resize_file(seg, size - 7);  // the last record cut mid-payload: 9 remain
    } else {
      std::ofstream f(seg, std::ios::binary | std::ios::app);
      if (mode == 1)
        f << "\x4cPSL garbage that is not a frame";  // starts like a frame
      else
        f << std::string(5000, '\0');  // zero-filled blocks
    }
    const uint64_t survivors = mode == 0 ? 9 : 10;
    auto s = must_open(d.path());
    auto all = read_all(*s);
    ASSERT_EQ(all.size(), survivors);
    for (uint64_t i = 1; i <= survivors; ++i) EXPECT_EQ(all[i], payload_for(i));
    auto r = append_tags(*s, 100, 3);
    EXPECT_EQ(r.first_offset, survivors + 1);
    all = read_all(*s);
    ASSERT_EQ(all.size(), survivors + 3);
    EXPECT_EQ(all[survivors + 3], payload_for(102));
    EXPECT_EQ(s->stats().corrupt_regions, 0u);  // a torn tail is not damage
  }
}

TEST(LocalSpool, DamageInAnOlderSegmentIsReportedAndSkipped) {
  TempDir d;
  LocalSpoolOptions o{.segment_bytes = 4096};
  {
    auto s = must_open(d.path(), o);
    for (int i = 0; i < 10; ++i) append_tags(*s, uint64_t(i) * 10 + 1, 10);
  }
  auto files = segment_files(d.path());
  ASSERT_GT(files.size(), 2u);
  // Flip a byte in the middle of the first segment.
  const auto size = fs::file_size(files[0]);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    char c;
    f.read(&c, 1);
    c ^= 0x20;
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.write(&c, 1);
  }
  auto s = must_open(d.path(), o);
  std::vector<Error> corrupt;
  auto all = read_all(*s, 1, &corrupt);
  EXPECT_EQ(all.size(), 99u);  // exactly the damaged record is missing
  for (const auto& [off, p] : all) EXPECT_EQ(p, payload_for(off));
  ASSERT_EQ(corrupt.size(), 1u);
  EXPECT_EQ(corrupt[0].code, Errc::malformed);
  EXPECT_NE(corrupt[0].message.find(files[0].filename().string()), std::string::npos);
  EXPECT_EQ(s->stats().corrupt_regions, 1u);
  // Appends still continue after the newest record.
  EXPECT_EQ(append_tags(*s, 101, 1).first_offset, 101u);
}

TEST(LocalSpool, BackpressureOnLagRecoversAfterCommit) {
  TempDir d;
  auto s = must_open(d.path(), LocalSpoolOptions{.max_lag_bytes = 20000});
  ASSERT_TRUE(s->commit("pipeline", 0));  // registers the consumer
  uint64_t last = 0;
  Result<AppendResult> r = AppendResult{};
  int accepted = 0;
  for (; accepted < 1000; ++accepted) {
    OwnedBatch b;
    for (int i = 0; i < 10; ++i) b.add(payload_for(uint64_t(accepted) * 10 + i, 100));
    r = s->append(b.span());
    if (!r) break;
    last = r->last_offset;
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::busy);
  EXPECT_GT(accepted, 0);
  EXPECT_LE(s->lag_bytes(), 20000u);
  EXPECT_EQ(s->lag_records(), last);
  EXPECT_EQ(s->stats().rejected_busy, 1u);

  ASSERT_TRUE(s->commit("pipeline", last));
  EXPECT_EQ(s->lag_records(), 0u);
  EXPECT_EQ(s->lag_bytes(), 0u);
  EXPECT_EQ(append_tags(*s, 1, 10).first_offset, last + 1);
  // The slowest consumer decides.
  ASSERT_TRUE(s->commit("hunter", 5));
  EXPECT_EQ(s->lag_records(), last + 10 - 5);
}

TEST(LocalSpool, CommitValidatesNamesAndOffsets) {
  TempDir d;
  auto s = must_open(d.path());
  append_tags(*s, 1, 5);
  EXPECT_EQ(s->commit("../etc", 1).error().code, Errc::invalid_config);
  EXPECT_EQ(s->commit("", 1).error().code, Errc::invalid_config);
  EXPECT_EQ(s->commit("pipeline", 6).error().code, Errc::conflict);
  EXPECT_EQ(s->committed("pipeline").error().code, Errc::not_found);
  ASSERT_TRUE(s->commit("pipeline", 5));
  EXPECT_EQ(*s->committed("pipeline"), 5u);
  // Atomic replace: no temporary file left behind.
  for (const auto& e : fs::directory_iterator(d.path() + "/consumers"))
    EXPECT_EQ(e.path().extension(), ".commit") << e.path();
}

TEST(LocalSpool, RetentionNeverDeletesUncommittedRecords) {
  TempDir d;
  LocalSpoolOptions o{.segment_bytes = 2048};
  auto s = must_open(d.path(), o);
  for (int i = 0; i < 10; ++i) append_tags(*s, uint64_t(i) * 10 + 1, 10);
  const size_t nfiles = segment_files(d.path()).size();
  ASSERT_GT(nfiles, 4u);
  RetentionPolicy everything{.max_age = std::chrono::milliseconds(0),
                             .now = std::chrono::system_clock::now() + std::chrono::hours(24)};

  // No consumer yet: nothing goes, however old.
  auto r = s->retain(everything);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->segments_deleted, 0u);

  ASSERT_TRUE(s->commit("pipeline", 45));
  ASSERT_TRUE(s->commit("hunter", 100));
  r = s->retain(everything);
  ASSERT_TRUE(r);
  EXPECT_GT(r->segments_deleted, 0u);
  // Every record from 46 on is still there; the oldest kept one is at or below 46.
  auto all = read_all(*s);
  for (uint64_t i = 46; i <= 100; ++i) EXPECT_EQ(all[i], payload_for(i)) << i;
  EXPECT_LE(s->stats().first_offset, 46u);
  EXPECT_GT(s->stats().first_offset, 1u);
  EXPECT_EQ(all.begin()->first, s->stats().first_offset);

  // Not old enough: nothing more goes even when committed.
  ASSERT_TRUE(s->commit("pipeline", 100));
  RetentionPolicy young{.max_age = std::chrono::hours(1)};
  EXPECT_EQ(s->retain(young)->segments_deleted, 0u);
  // Over a byte cap: goes down to the cap, but the segment being written stays.
  r = s->retain(RetentionPolicy{.max_total_bytes = 0});
  ASSERT_TRUE(r);
  EXPECT_GT(r->segments_deleted, 0u);
  EXPECT_EQ(segment_files(d.path()).size(), 1u);
  EXPECT_EQ(s->stats().segments, 1u);
  EXPECT_EQ(append_tags(*s, 101, 1).first_offset, 101u);
  // Reading from a deleted offset starts at the oldest kept record.
  ReadBatch rb;
  ASSERT_TRUE(s->read(1, 1000, 1 << 20, rb));
  ASSERT_FALSE(rb.records.empty());
  EXPECT_EQ(rb.records.back().offset, 101u);
}

TEST(LocalSpool, WaitWakesOnAppendAndOnClose) {
  TempDir d;
  auto s = must_open(d.path());
  EXPECT_EQ(s->wait(0, std::chrono::milliseconds(1)), WaitStatus::timeout);

  std::atomic<int> state{0};
  std::thread waiter([&] { state = s->wait(0, std::chrono::hours(1)) == WaitStatus::ready ? 1 : 2; });
  append_tags(*s, 1, 1);
  waiter.join();  // would hang for an hour if append did not wake it
  EXPECT_EQ(state.load(), 1);
  EXPECT_EQ(s->wait(0, std::chrono::hours(1)), WaitStatus::ready);  // already there

  std::thread closer_waiter([&] { state = s->wait(1, std::chrono::hours(1)) == WaitStatus::closed ? 3 : 4; });
  s->close();
  closer_waiter.join();
  EXPECT_EQ(state.load(), 3);
  // After close: appends are refused, reads still work.
  OwnedBatch b;
  b.add("late");
  EXPECT_EQ(s->append(b.span()).error().code, Errc::busy);
  EXPECT_EQ(read_all(*s).size(), 1u);
}

TEST(LocalSpool, CloseDrainsQueuedAppends) {
  TempDir d;
  auto s = must_open(d.path());
  std::vector<std::thread> ts;
  std::atomic<int> ok{0}, busy{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        OwnedBatch b;
        b.add(payload_for(uint64_t(t) * 1000 + i));
        auto r = s->append(b.span());
        (r ? ok : busy)++;
        if (!r) {
          EXPECT_EQ(r.error().code, Errc::busy);
        }
      }
    });
  s->close();
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok + busy, 200);
  s.reset();
  // Every acknowledged append is on disk.
  auto again = must_open(d.path());
  EXPECT_EQ(read_all(*again).size(), static_cast<size_t>(ok.load()));
}

TEST(LocalSpool, TailingReaderSeesEveryRecordOnceInOrder) {
  TempDir d;
  auto s = must_open(d.path(), LocalSpoolOptions{.segment_bytes = 8192});
  constexpr int kWriters = 3, kBatches = 40, kPerBatch = 5;
  constexpr uint64_t kTotal = uint64_t{kWriters} * kBatches * kPerBatch;
  std::vector<uint64_t> seen;
  std::thread reader([&] {
    ReadBatch rb;
    uint64_t next = 1;
    while (next <= kTotal) {
      if (s->wait(next - 1, std::chrono::hours(1)) != WaitStatus::ready) break;
      if (!s->read(next, 7, 1 << 20, rb)) break;
      for (const auto& r : rb.records) {
        seen.push_back(r.offset);
        if (r.record.payload.substr(0, 7) != "{\"tag\":") seen.push_back(0);  // torn or foreign bytes
      }
      next = rb.next_offset;
    }
  });
  std::vector<std::thread> ws;
  for (int t = 0; t < kWriters; ++t)
    ws.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) append_tags(*s, uint64_t(t) * 100000 + uint64_t(b) * kPerBatch, kPerBatch);
    });
  for (auto& w : ws) w.join();
  reader.join();
  ASSERT_EQ(seen.size(), kTotal);
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_EQ(seen[i], i + 1);
}
