// LocalSpool: segment files + one writer thread doing group commit.
//
// Locking: `mu_` guards the segment list, the queue, consumers and totals; each Segment's own
// `mu` guards its size, index and mapping. Order: mu_ before a Segment's mu, never the reverse.
// Readers copy out of a read-only MAP_SHARED mapping and only up to the segment's published
// (fsynced) size, so they never see a half-written frame; a Segment kept alive by a reader stays
// readable even after retention unlinks its file.
#include "bus/local/local_spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "bus/local/segment_format.h"

namespace lachan::bus {
namespace {

namespace fs = std::filesystem;
using local::FrameStatus;
using local::FrameView;

constexpr uint64_t kIndexStride = 64;     // one index entry per this many records
constexpr size_t kFlushChunk = 8u << 20;  // write the encode buffer out at this size (one sync per batch still)

std::string sys_error(const std::string& what, int err) {
  return what + ": " + std::error_code(err, std::generic_category()).message();
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

Result<void> write_all(int fd, const char* p, size_t n, uint64_t pos, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(pos));
    if (w < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, sys_error("write " + path, errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
    pos += static_cast<uint64_t>(w);
  }
  return {};
}

Result<void> sync_dir(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) return make_error(Errc::io, sys_error("open " + dir, errno));
  if (::fsync(d.get()) != 0) return make_error(Errc::io, sys_error("fsync " + dir, errno));
  return {};
}

struct Mapping {
  const char* data = nullptr;
  size_t len = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data) ::munmap(const_cast<char*>(data), len);
  }
};

struct IndexEntry {
  uint64_t offset;
  uint64_t pos;
};

struct Segment {
  uint64_t first = 0;  // from the file name
  std::string path;
  uint64_t base = 0;  // position of byte 0 in the spool's byte stream (counted since open)

  std::mutex mu;
  uint64_t size = 0;  // published (durable) bytes; readers never look past this
  uint64_t last = 0;  // last offset in it; first - 1 when empty
  bool indexed = false;
  std::vector<IndexEntry> index;  // ascending; every kIndexStride-th intact record
  std::shared_ptr<Mapping> map;
};

// File names in `dir` (no exceptions, unlike directory_iterator's increment).
Result<std::vector<std::string>> list_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return make_error(Errc::io, sys_error("list " + dir, errno));
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  const int err = errno;
  ::closedir(d);
  if (err) return make_error(Errc::io, sys_error("list " + dir, err));
  return names;
}

bool valid_consumer_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                              c == '_' || c == '-';
                     }) &&
         n != "." && n != "..";
}

class LocalSpool final : public Spool {
 public:
  LocalSpool(std::string dir, LocalSpoolOptions opt) : dir_(std::move(dir)), opt_(opt) {}
  ~LocalSpool() override { close(); }

  Result<void> open();

  Result<AppendResult> append(std::span<const Record> records) override;
  Result<void> read(uint64_t from_offset, size_t max_records, size_t max_bytes, ReadBatch& out) override;
  WaitStatus wait(uint64_t after_offset, std::chrono::milliseconds timeout) override;
  Result<void> commit(std::string_view consumer, uint64_t offset) override;
  Result<uint64_t> committed(std::string_view consumer) override;
  Result<RetentionResult> retain(const RetentionPolicy& policy) override;
  uint64_t lag_records() override {
    std::lock_guard lk(mu_);
    return lag_records_locked();
  }
  uint64_t lag_bytes() override {
    std::lock_guard lk(mu_);
    return lag_bytes_locked();
  }
  SpoolStats stats() override;
  void close() override;

 private:
  struct Pending {
    std::span<const Record> records;
    uint64_t bytes = 0;
    uint64_t first = 0, last = 0;  // assigned by the writer
    bool complete = false;         // every record encoded
    bool done = false;             // resolved: the appender may return
    std::optional<Error> error;
  };
  struct Consumer {
    uint64_t offset = 0;
    uint64_t pos = 0;  // byte position just after its last committed record
  };

  // --- writer thread ---
  void writer_loop();
  void write_batch(std::vector<Pending*>& batch);
  Result<void> flush_buffer();
  Result<void> sync_and_publish();
  Result<void> roll();
  void discard_unsynced();

  // --- helpers ---
  Result<void> ensure_indexed(Segment& s);                                 // s.mu held
  Result<std::shared_ptr<Mapping>> mapping(Segment& s, uint64_t reserve);  // s.mu held
  Result<uint64_t> locate(Segment& s, uint64_t offset);                    // s.mu not held
  Result<uint64_t> position_after(uint64_t offset);                        // mu_ not held
  Error damage(const Segment& s, size_t pos, size_t len) const;
  std::string consumer_path(std::string_view name) const {
    return dir_ + "/consumers/" + std::string(name) + ".commit";
  }
  Result<void> load_consumers();
  uint64_t front_base_locked() const { return segments_.front()->base; }
  uint64_t min_committed_locked() const;  // first_offset - 1 without consumers
  uint64_t lag_records_locked() const;
  uint64_t lag_bytes_locked() const;

  const std::string dir_;
  const LocalSpoolOptions opt_;
  Fd lock_fd_;

  std::mutex mu_;
  std::condition_variable work_cv_;                // writer: something queued or closing
  std::condition_variable done_cv_;                // appenders: their batch is resolved
  std::condition_variable data_cv_;                // wait(): new durable records or closing
  std::deque<std::shared_ptr<Segment>> segments_;  // ascending; back() is written to
  std::vector<Pending*> queue_;
  uint64_t queued_bytes_ = 0;
  uint64_t queued_records_ = 0;
  uint64_t durable_last_ = 0;
  uint64_t end_pos_ = 0;  // byte position after the last durable byte
  std::map<std::string, Consumer, std::less<>> consumers_;
  bool closing_ = false;
  std::optional<Error> poisoned_;  // a failed fsync: the file state is unknown, stop appending
  uint64_t appended_records_ = 0, appended_bytes_ = 0, rejected_busy_ = 0;
  mutable std::atomic<uint64_t> corrupt_regions_{0};

  std::mutex close_mu_;
  bool closed_ = false;
  std::thread writer_;
  std::mutex commit_mu_;

  // Writer-thread state (also set up by open() before the thread starts).
  std::shared_ptr<Segment> active_;
  Fd active_fd_;
  uint64_t next_offset_ = 1;
  uint64_t written_ = 0;        // bytes of active_ written (synced or not)
  uint64_t unsynced_last_ = 0;  // last offset written but not yet synced
  uint64_t since_index_ = 0;    // records since the last index entry of active_
  std::vector<IndexEntry> unsynced_index_;
  std::string buf_;
};

Error LocalSpool::damage(const Segment& s, size_t pos, size_t len) const {
  corrupt_regions_.fetch_add(1, std::memory_order_relaxed);
  return make_error(Errc::malformed, s.path + ": damaged record(s) at byte " + std::to_string(pos) + ", " +
                                         std::to_string(len) + " bytes skipped");
}

Result<std::shared_ptr<Mapping>> LocalSpool::mapping(Segment& s, uint64_t reserve) {
  if (s.map && s.map->len >= s.size) return s.map;
  auto m = std::make_shared<Mapping>();
  const uint64_t len = std::max(s.size, reserve);
  if (len == 0) return m;
  Fd fd(::open(s.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return make_error(errno == ENOENT ? Errc::not_found : Errc::io, sys_error("open " + s.path, errno));
  void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) return make_error(Errc::io, sys_error("mmap " + s.path, errno));
  m->data = static_cast<const char*>(p);
  m->len = len;
  s.map = m;
  return m;
}

Result<void> LocalSpool::ensure_indexed(Segment& s) {
  if (s.indexed) return {};
  auto m = mapping(s, 0);
  if (!m) return std::move(m).error();
  std::string_view bytes((*m)->data, s.size);
  uint64_t n = 0;
  s.index.clear();
  local::scan_segment(bytes, s.first, [&](size_t pos, const FrameView& f) {
    if (n++ % kIndexStride == 0) s.index.push_back({f.offset, pos});
  });
  s.indexed = true;
  return {};
}

// Byte position in `s` of the first intact record with offset >= `offset` (s.size if none).
Result<uint64_t> LocalSpool::locate(Segment& s, uint64_t offset) {
  std::shared_ptr<Mapping> m;
  uint64_t pos = 0, size = 0;
  {
    std::lock_guard lk(s.mu);
    if (auto r = ensure_indexed(s); !r) return r.error();
    auto mr = mapping(s, 0);
    if (!mr) return std::move(mr).error();
    m = *mr;
    size = s.size;
    auto it = std::upper_bound(s.index.begin(), s.index.end(), offset,
                               [](uint64_t o, const IndexEntry& e) { return o < e.offset; });
    if (it != s.index.begin()) pos = std::prev(it)->pos;
  }
  std::string_view bytes(m->data, size);
  FrameView f;
  while (pos < size) {
    if (local::parse_frame(bytes, pos, f) != FrameStatus::ok) {
      pos = local::find_next_frame(bytes, pos + 1);
      continue;
    }
    if (f.offset >= offset) return pos;
    pos += f.size;
  }
  return size;
}

Result<uint64_t> LocalSpool::position_after(uint64_t offset) {
  std::shared_ptr<Segment> seg;
  {
    std::lock_guard lk(mu_);
    if (offset >= durable_last_) return end_pos_;
    if (offset + 1 <= segments_.front()->first) return front_base_locked();
    auto it = std::upper_bound(segments_.begin(), segments_.end(), offset + 1,
                               [](uint64_t o, const std::shared_ptr<Segment>& s) { return o < s->first; });
    seg = *std::prev(it);
  }
  auto pos = locate(*seg, offset + 1);
  if (!pos) return pos;
  return seg->base + *pos;
}

uint64_t LocalSpool::min_committed_locked() const {
  const uint64_t floor = segments_.front()->first - 1;
  if (consumers_.empty()) return floor;
  uint64_t m = UINT64_MAX;
  for (const auto& [name, c] : consumers_) m = std::min(m, c.offset);
  return std::max(m, floor);
}

uint64_t LocalSpool::lag_records_locked() const {
  const uint64_t end = durable_last_ + queued_records_;
  const uint64_t m = min_committed_locked();
  return end > m ? end - m : 0;
}

uint64_t LocalSpool::lag_bytes_locked() const {
  uint64_t pos = front_base_locked();
  if (!consumers_.empty()) {
    uint64_t m = UINT64_MAX;
    for (const auto& [name, c] : consumers_) m = std::min(m, c.pos);
    pos = std::max(pos, m);
  }
  return (end_pos_ > pos ? end_pos_ - pos : 0) + queued_bytes_;
}

Result<void> LocalSpool::load_consumers() {
  const std::string cdir = dir_ + "/consumers";
  std::error_code ec;
  fs::create_directories(cdir, ec);
  if (ec) return make_error(Errc::io, "create " + cdir + ": " + ec.message());
  auto names = list_dir(cdir);
  if (!names) return names.error();
  for (const std::string& name : *names) {
    const std::string path = cdir + "/" + name;
    if (name.ends_with(".tmp")) {
      ::unlink(path.c_str());  // a commit interrupted before its rename
      continue;
    }
    if (!name.ends_with(".commit")) continue;
    const std::string consumer = name.substr(0, name.size() - 7);
    if (!valid_consumer_name(consumer)) continue;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    char b[13];
    const ssize_t n = fd.get() < 0 ? -1 : ::pread(fd.get(), b, sizeof b, 0);
    uint64_t off = 0;
    uint32_t crc = 0;
    if (n == 12) {
      std::memcpy(&off, b, 8);
      std::memcpy(&crc, b + 8, 4);
    }
    if (n != 12 || local::crc32c(0, b, 8) != crc)
      return make_error(Errc::malformed, path + ": damaged consumer position");
    consumers_[consumer] = Consumer{std::min(off, durable_last_), 0};
  }
  for (auto& [name, c] : consumers_) {
    auto pos = position_after(c.offset);
    if (!pos) return pos.error();
    c.pos = *pos;
  }
  return {};
}

Result<void> LocalSpool::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return make_error(Errc::io, "create " + dir_ + ": " + ec.message());
  lock_fd_ = Fd(::open((dir_ + "/LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock_fd_.get() < 0) return make_error(Errc::io, sys_error("open " + dir_ + "/LOCK", errno));
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0)
    return make_error(Errc::busy, dir_ + ": spool is open in another process");

  std::vector<uint64_t> firsts;
  auto names = list_dir(dir_);
  if (!names) return names.error();
  for (const std::string& name : *names) {
    uint64_t first;
    if (local::parse_segment_file_name(name, first)) firsts.push_back(first);
  }
  std::sort(firsts.begin(), firsts.end());

  uint64_t base = 0;
  for (size_t i = 0; i < firsts.size(); ++i) {
    auto s = std::make_shared<Segment>();
    s->first = firsts[i];
    s->path = dir_ + "/" + local::segment_file_name(firsts[i]);
    s->base = base;
    struct stat st {};
    if (::stat(s->path.c_str(), &st) != 0) return make_error(Errc::io, sys_error("stat " + s->path, errno));
    s->size = static_cast<uint64_t>(st.st_size);
    s->last = i + 1 < firsts.size() ? firsts[i + 1] - 1 : s->first - 1;
    base += s->size;
    segments_.push_back(std::move(s));
  }

  if (segments_.empty()) {
    auto s = std::make_shared<Segment>();
    s->first = 1;
    s->path = dir_ + "/" + local::segment_file_name(1);
    s->indexed = true;
    Fd fd(::open(s->path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (fd.get() < 0) return make_error(Errc::io, sys_error("create " + s->path, errno));
    if (auto r = sync_dir(dir_); !r) return r;
    segments_.push_back(std::move(s));
  }

  // The newest segment: keep every intact record, cut a torn tail, continue after the last one.
  active_ = segments_.back();
  Segment& a = *active_;
  active_fd_ = Fd(::open(a.path.c_str(), O_RDWR | O_CLOEXEC));
  if (active_fd_.get() < 0) return make_error(Errc::io, sys_error("open " + a.path, errno));
  {
    std::string bytes(a.size, '\0');
    size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = ::pread(active_fd_.get(), bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return make_error(Errc::io, sys_error("read " + a.path, n < 0 ? errno : EIO));
      got += static_cast<size_t>(n);
    }
    uint64_t n = 0;
    a.index.clear();
    auto scan = local::scan_segment(bytes, a.first, [&](size_t pos, const FrameView& f) {
      if (n++ % kIndexStride == 0) a.index.push_back({f.offset, pos});
    });
    corrupt_regions_ += scan.corrupt.size();
    since_index_ = n % kIndexStride;
    if (scan.valid_end < a.size) {
      if (::ftruncate(active_fd_.get(), static_cast<off_t>(scan.valid_end)) != 0 || ::fdatasync(active_fd_.get()) != 0)
        return make_error(Errc::io, sys_error("truncate torn tail of " + a.path, errno));
      a.size = scan.valid_end;
    }
    a.last = scan.records ? scan.last_offset : a.first - 1;
    a.indexed = true;
  }
  next_offset_ = std::max(a.first, a.last + 1);
  durable_last_ = next_offset_ - 1;
  written_ = a.size;
  end_pos_ = a.base + a.size;

  if (auto r = load_consumers(); !r) return r;
  try {
    writer_ = std::thread([this] { writer_loop(); });
  } catch (const std::system_error& e) {
    return make_error(Errc::internal, std::string("start spool writer: ") + e.what());
  }
  return {};
}

Result<AppendResult> LocalSpool::append(std::span<const Record> records) {
  if (records.empty()) return AppendResult{};
  Pending p;
  p.records = records;
  for (const Record& r : records) {
    if (r.source_type.size() > local::kMaxNameBytes || r.org_id.size() > local::kMaxNameBytes)
      return make_error(Errc::limit, "source type or org id longer than 255 bytes");
    if (r.payload.size() > opt_.max_record_bytes || r.payload.size() > local::kMaxPayloadBytes)
      return make_error(Errc::limit, "record of " + std::to_string(r.payload.size()) + " bytes exceeds the limit");
    p.bytes += local::frame_size(r);
  }
  std::unique_lock lk(mu_);
  if (closing_) return make_error(Errc::busy, "spool is closed");
  if (poisoned_) return *poisoned_;
  if (p.bytes > opt_.max_queue_bytes || (opt_.max_lag_bytes && p.bytes > opt_.max_lag_bytes))
    return make_error(Errc::limit, "batch of " + std::to_string(p.bytes) + " bytes exceeds the spool's limits");
  if (queued_bytes_ + p.bytes > opt_.max_queue_bytes) {
    ++rejected_busy_;
    return make_error(Errc::busy, "spool write queue is full");
  }
  if (opt_.max_lag_bytes && lag_bytes_locked() + p.bytes > opt_.max_lag_bytes) {
    ++rejected_busy_;
    return make_error(Errc::busy, "consumers are too far behind");
  }
  queue_.push_back(&p);
  queued_bytes_ += p.bytes;
  queued_records_ += records.size();
  work_cv_.notify_one();
  done_cv_.wait(lk, [&] { return p.done; });
  if (p.error) return *p.error;
  return AppendResult{p.first, p.last};
}

void LocalSpool::writer_loop() {
  std::vector<Pending*> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      work_cv_.wait(lk, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;
      batch.swap(queue_);
    }
    write_batch(batch);
    batch.clear();
  }
}

void LocalSpool::write_batch(std::vector<Pending*>& batch) {
  std::optional<Error> err;
  {
    std::lock_guard lk(mu_);
    if (poisoned_) err = poisoned_;
  }
  for (Pending* p : batch) {
    if (err) break;
    p->first = next_offset_;
    for (const Record& r : p->records) {
      const uint64_t fsz = local::frame_size(r);
      if (written_ + buf_.size() > 0 && written_ + buf_.size() + fsz > opt_.segment_bytes) {
        if (auto x = roll(); !x) {
          err = x.error();
          break;
        }
      }
      if (since_index_++ % kIndexStride == 0) unsynced_index_.push_back({next_offset_, written_ + buf_.size()});
      local::encode_frame(next_offset_, r, buf_);
      unsynced_last_ = next_offset_++;
      if (buf_.size() >= kFlushChunk) {
        if (auto x = flush_buffer(); !x) {
          err = x.error();
          break;
        }
      }
    }
    if (err) break;
    p->last = next_offset_ - 1;
    p->complete = true;
  }
  if (!err) {
    if (auto x = sync_and_publish(); !x) err = x.error();
  }
  if (err) discard_unsynced();

  {
    std::lock_guard lk(mu_);
    for (Pending* p : batch) {
      queued_bytes_ -= p->bytes;
      queued_records_ -= p->records.size();
      // A batch split by a roll may be durable although a later write failed: then it succeeded.
      if (err && !(p->complete && p->last <= durable_last_)) {
        p->error = err;
      } else {
        appended_records_ += p->records.size();
        appended_bytes_ += p->bytes;
      }
      p->done = true;
    }
  }
  done_cv_.notify_all();
  data_cv_.notify_all();
}

Result<void> LocalSpool::flush_buffer() {
  if (buf_.empty()) return {};
  if (auto r = write_all(active_fd_.get(), buf_.data(), buf_.size(), written_, active_->path); !r) return r;
  written_ += buf_.size();
  buf_.clear();
  return {};
}

Result<void> LocalSpool::sync_and_publish() {
  if (auto r = flush_buffer(); !r) return r;
  {
    std::lock_guard lk(active_->mu);
    if (written_ == active_->size) return {};
  }
  if (::fdatasync(active_fd_.get()) != 0) {
    Error e = make_error(Errc::io, sys_error("fdatasync " + active_->path, errno));
    std::lock_guard lk(mu_);
    poisoned_ = e;
    return e;
  }
  {
    std::lock_guard lk(active_->mu);
    active_->size = written_;
    active_->last = unsynced_last_;
    active_->index.insert(active_->index.end(), unsynced_index_.begin(), unsynced_index_.end());
  }
  unsynced_index_.clear();
  std::lock_guard lk(mu_);
  durable_last_ = unsynced_last_;
  end_pos_ = active_->base + written_;
  return {};
}

// Drops whatever was written after the last sync, so the file ends at a frame boundary again.
void LocalSpool::discard_unsynced() {
  buf_.clear();
  unsynced_index_.clear();
  uint64_t size, last;
  {
    std::lock_guard lk(active_->mu);
    size = active_->size;
    last = active_->last;
  }
  if (written_ != size) {
    if (::ftruncate(active_fd_.get(), static_cast<off_t>(size)) != 0) {
      std::lock_guard lk(mu_);
      if (!poisoned_) poisoned_ = make_error(Errc::io, sys_error("truncate " + active_->path, errno));
    }
    written_ = size;
  }
  next_offset_ = std::max(active_->first, last + 1);
  unsynced_last_ = next_offset_ - 1;
  since_index_ = 0;  // conservative: the next record gets an index entry
}

Result<void> LocalSpool::roll() {
  if (auto r = sync_and_publish(); !r) return r;
  auto s = std::make_shared<Segment>();
  s->first = next_offset_;
  s->path = dir_ + "/" + local::segment_file_name(s->first);
  s->base = active_->base + written_;
  s->last = s->first - 1;
  s->indexed = true;
  Fd fd(::open(s->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return make_error(Errc::io, sys_error("create " + s->path, errno));
  if (auto r = sync_dir(dir_); !r) {
    ::unlink(s->path.c_str());
    return r;
  }
  {
    std::lock_guard lk(mu_);
    segments_.push_back(s);
  }
  active_ = std::move(s);
  active_fd_ = std::move(fd);
  written_ = 0;
  since_index_ = 0;
  return {};
}

Result<void> LocalSpool::read(uint64_t from_offset, size_t max_records, size_t max_bytes, ReadBatch& out) {
  out.clear();
  if (from_offset == 0) from_offset = 1;
  out.next_offset = from_offset;
  if (max_records == 0) return {};
  std::vector<std::shared_ptr<Segment>> segs;
  uint64_t durable;
  {
    std::lock_guard lk(mu_);
    durable = durable_last_;
    from_offset = std::max(from_offset, segments_.front()->first);
    out.next_offset = from_offset;
    if (from_offset > durable) return {};
    auto it = std::upper_bound(segments_.begin(), segments_.end(), from_offset,
                               [](uint64_t o, const std::shared_ptr<Segment>& s) { return o < s->first; });
    segs.assign(std::prev(it), segments_.end());
  }

  struct Piece {
    size_t start;
    uint16_t source_len, org_len;
    uint32_t payload_len;
  };
  std::vector<Piece> pieces;
  std::vector<StoredRecord>& recs = out.records;
  size_t bytes_out = 0;
  bool full = false;
  uint64_t last_returned = 0;

  for (const auto& sp : segs) {
    Segment& s = *sp;
    std::shared_ptr<Mapping> m;
    uint64_t pos = 0, size = 0;
    {
      std::lock_guard lk(s.mu);
      if (auto r = ensure_indexed(s); !r) return r;
      auto mr = mapping(s, sp == segs.back() ? opt_.segment_bytes : 0);
      if (!mr) return std::move(mr).error();
      m = *mr;
      size = s.size;
      auto it = std::upper_bound(s.index.begin(), s.index.end(), from_offset,
                                 [](uint64_t o, const IndexEntry& e) { return o < e.offset; });
      if (it != s.index.begin()) pos = std::prev(it)->pos;
    }
    std::string_view bytes(m->data, size);
    FrameView f;
    uint64_t prev = s.first - 1;
    while (pos < size) {
      const FrameStatus st = local::parse_frame(bytes, pos, f);
      if (st != FrameStatus::ok || f.offset <= prev) {
        size_t next = pos + 1;
        FrameView g;
        for (;;) {
          next = local::find_next_frame(bytes, next);
          if (next >= size || (local::parse_frame(bytes, next, g) == FrameStatus::ok && g.offset > prev)) break;
          ++next;
        }
        // Report damage only where it may have held offsets this read asked for.
        if (next >= size || g.offset > from_offset) out.corrupt.push_back(damage(s, pos, next - pos));
        pos = next;
        continue;
      }
      prev = f.offset;
      if (f.offset < from_offset) {
        pos += f.size;
        continue;
      }
      if (recs.size() >= max_records || (!recs.empty() && bytes_out + f.record.payload.size() > max_bytes)) {
        full = true;
        break;
      }
      const size_t start = out.buffer.size();
      const char* body = f.record.source_type.data();
      out.buffer.append(body, f.record.source_type.size() + f.record.org_id.size() + f.record.payload.size());
      pieces.push_back(Piece{start, static_cast<uint16_t>(f.record.source_type.size()),
                             static_cast<uint16_t>(f.record.org_id.size()),
                             static_cast<uint32_t>(f.record.payload.size())});
      StoredRecord sr;
      sr.offset = f.offset;
      sr.record.received_at_ms = f.record.received_at_ms;
      recs.push_back(sr);
      bytes_out += f.record.payload.size();
      last_returned = f.offset;
      pos += f.size;
    }
    if (full) break;
  }
  for (size_t i = 0; i < recs.size(); ++i) {
    const Piece& pc = pieces[i];
    const char* b = out.buffer.data() + pc.start;
    recs[i].record.source_type = std::string_view(b, pc.source_len);
    recs[i].record.org_id = std::string_view(b + pc.source_len, pc.org_len);
    recs[i].record.payload = std::string_view(b + pc.source_len + pc.org_len, pc.payload_len);
  }
  out.next_offset = full ? last_returned + 1 : std::max(durable + 1, last_returned + 1);
  return {};
}

WaitStatus LocalSpool::wait(uint64_t after_offset, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  data_cv_.wait_for(lk, timeout, [&] { return durable_last_ > after_offset || closing_; });
  if (durable_last_ > after_offset) return WaitStatus::ready;
  return closing_ ? WaitStatus::closed : WaitStatus::timeout;
}

Result<void> LocalSpool::commit(std::string_view consumer, uint64_t offset) {
  if (!valid_consumer_name(consumer))
    return make_error(Errc::invalid_config, "consumer name must be 1-64 of [A-Za-z0-9._-]");
  std::lock_guard serial(commit_mu_);
  {
    std::lock_guard lk(mu_);
    if (offset > durable_last_)
      return make_error(Errc::conflict, "commit of offset " + std::to_string(offset) + " beyond the last record " +
                                            std::to_string(durable_last_));
  }
  auto pos = position_after(offset);
  if (!pos) return pos.error();

  const std::string path = consumer_path(consumer);
  const std::string tmp = path + ".tmp";
  char b[12];
  std::memcpy(b, &offset, 8);
  const uint32_t crc = local::crc32c(0, b, 8);
  std::memcpy(b + 8, &crc, 4);
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return make_error(Errc::io, sys_error("create " + tmp, errno));
    if (auto r = write_all(fd.get(), b, sizeof b, 0, tmp); !r) return r;
    if (::fdatasync(fd.get()) != 0) return make_error(Errc::io, sys_error("fdatasync " + tmp, errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return make_error(Errc::io, sys_error("rename " + tmp, errno));
  if (auto r = sync_dir(dir_ + "/consumers"); !r) return r;
  std::lock_guard lk(mu_);
  consumers_[std::string(consumer)] = Consumer{offset, *pos};
  return {};
}

Result<uint64_t> LocalSpool::committed(std::string_view consumer) {
  std::lock_guard lk(mu_);
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) return make_error(Errc::not_found, "no consumer " + std::string(consumer));
  return it->second.offset;
}

Result<RetentionResult> LocalSpool::retain(const RetentionPolicy& policy) {
  RetentionResult res;
  std::vector<std::shared_ptr<Segment>> victims;
  {
    std::lock_guard lk(mu_);
    if (consumers_.empty() || (!policy.max_age && !policy.max_total_bytes)) return res;
    uint64_t min_c = UINT64_MAX;
    for (const auto& [name, c] : consumers_) min_c = std::min(min_c, c.offset);
    uint64_t total = end_pos_ - front_base_locked();
    while (segments_.size() > 1) {
      Segment& s = *segments_.front();
      uint64_t last, size;
      {
        std::lock_guard sl(s.mu);
        last = s.last;
        size = s.size;
      }
      if (last > min_c) break;  // holds records someone has not committed
      bool eligible = policy.max_total_bytes && total > *policy.max_total_bytes;
      if (!eligible && policy.max_age) {
        struct stat st {};
        if (::stat(s.path.c_str(), &st) == 0) {
          const auto mtime =
              std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
                  std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
          eligible = policy.now - mtime > *policy.max_age;
        }
      }
      if (!eligible) break;
      total -= std::min(total, size);
      victims.push_back(segments_.front());
      segments_.pop_front();
    }
  }
  for (const auto& s : victims) {
    if (::unlink(s->path.c_str()) != 0 && errno != ENOENT)
      return make_error(Errc::io, sys_error("delete " + s->path, errno));
    ++res.segments_deleted;
    res.bytes_deleted += s->size;
  }
  if (!victims.empty())
    if (auto r = sync_dir(dir_); !r) return r.error();
  return res;
}

SpoolStats LocalSpool::stats() {
  std::lock_guard lk(mu_);
  SpoolStats s;
  s.first_offset = segments_.front()->first;
  s.last_offset = durable_last_;
  s.lag_records = lag_records_locked();
  s.lag_bytes = lag_bytes_locked();
  s.queued_bytes = queued_bytes_;
  s.stored_bytes = end_pos_ - front_base_locked();
  s.segments = segments_.size();
  s.appended_records = appended_records_;
  s.appended_bytes = appended_bytes_;
  s.rejected_busy = rejected_busy_;
  s.corrupt_regions = corrupt_regions_.load(std::memory_order_relaxed);
  return s;
}

void LocalSpool::close() {
  std::lock_guard cl(close_mu_);
  if (closed_) return;
  {
    std::lock_guard lk(mu_);
    closing_ = true;
  }
  work_cv_.notify_all();
  data_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  closed_ = true;
}

}  // namespace

Result<std::unique_ptr<Spool>> open_local_spool(const std::string& dir, const LocalSpoolOptions& options) {
  if (options.segment_bytes == 0 || options.max_queue_bytes == 0)
    return make_error(Errc::invalid_config, "segment_bytes and max_queue_bytes must be positive");
  auto spool = std::make_unique<LocalSpool>(dir, options);
  if (auto r = spool->open(); !r) return r.error();
  return std::unique_ptr<Spool>(std::move(spool));
}

}  // namespace lachan::bus
