// Crash durability: a child process appends from several threads and reports every acknowledged
// batch through a pipe; the parent SIGKILLs it mid-stream, reopens the spool and checks that
// every acknowledged record is present, intact and at the offset the child was told.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "bus/local/local_spool.h"
#include "spool_test_util.h"

using namespace lachan;
using namespace lachan::bus;
using namespace lachan::bus::testing;

namespace {

struct Ack {
  uint64_t first, last, tag;  // records first..last carry payload_for(tag + i)
};

constexpr int kPerBatch = 25;

[[noreturn]] void child(const std::string& dir, int out_fd) {
  auto opened = open_local_spool(dir, LocalSpoolOptions{.segment_bytes = 128 << 10});
  if (!opened) _exit(2);
  std::unique_ptr<Spool> s = std::move(opened).value();
  std::vector<std::thread> ts;
  for (uint64_t t = 0; t < 3; ++t)
    ts.emplace_back([&, t] {
      for (uint64_t b = 0;; ++b) {
        const uint64_t tag = (b * 3 + t) * kPerBatch + 1000000;
        OwnedBatch batch;
        for (int i = 0; i < kPerBatch; ++i) batch.add(payload_for(tag + i, 200));
        auto r = s->append(batch.span());
        if (!r) _exit(3);
        Ack a{r->first_offset, r->last_offset, tag};
        if (::write(out_fd, &a, sizeof a) != sizeof a) _exit(4);  // < PIPE_BUF: atomic
      }
    });
  for (auto& t : ts) t.join();
  _exit(0);
}

}  // namespace

TEST(LocalSpoolCrash, AcknowledgedRecordsSurviveSigkill) {
  TempDir d;
  uint64_t acked_total = 0;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child(d.path(), fds[1]);
    }
    ::close(fds[1]);
    // Let it run for a different number of acknowledgements each round, then kill it mid-flight.
    const int kill_after = 7 + round * 41;
    std::vector<Ack> acks;
    Ack a;
    while (acks.size() < static_cast<size_t>(kill_after) && ::read(fds[0], &a, sizeof a) == sizeof a) acks.push_back(a);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    while (::read(fds[0], &a, sizeof a) == sizeof a) acks.push_back(a);  // sent before it died
    ::close(fds[0]);
    ASSERT_GE(acks.size(), static_cast<size_t>(kill_after));

    auto s = open_local_spool(d.path());
    ASSERT_TRUE(s) << s.error().message;
    const uint64_t last = (*s)->stats().last_offset;
    std::map<uint64_t, std::string> got;
    ReadBatch rb;
    for (uint64_t from = 1; from <= last; from = rb.next_offset) {
      ASSERT_TRUE((*s)->read(from, 500, 1 << 20, rb));
      EXPECT_TRUE(rb.corrupt.empty());
      for (const auto& r : rb.records) got.emplace(r.offset, std::string(r.record.payload));
    }
    // Dense: nothing missing below the newest record.
    ASSERT_EQ(got.size(), last);
    for (const Ack& k : acks) {
      ASSERT_EQ(k.last - k.first + 1, uint64_t{kPerBatch});
      ASSERT_LE(k.last, last) << "acknowledged record lost";
      for (uint64_t o = k.first; o <= k.last; ++o) ASSERT_EQ(got[o], payload_for(k.tag + (o - k.first), 200));
    }
    acked_total += acks.size();
    // The next writer continues right after the newest intact record.
    OwnedBatch b;
    b.add("after crash");
    auto r = (*s)->append(b.span());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first_offset, last + 1);
  }
  EXPECT_GT(acked_total, 0u);
}
