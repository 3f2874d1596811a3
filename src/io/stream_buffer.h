// Internal: a growable block buffer over a ByteSource, and a line splitter on top of it.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "io/source.h"

namespace lachan::io {

// Records larger than this are never buffered (keeps Record offsets within 32 bits).
inline constexpr size_t kMaxRecordBytesCap = size_t{1} << 30;
// A batch stops growing once its buffer passes this size.
inline constexpr size_t kMaxBatchBytes = size_t{256} << 20;

inline size_t effective_max_record(const ReaderOptions& o) {
  return o.max_record_bytes == 0 ? 1 : std::min(o.max_record_bytes, kMaxRecordBytesCap);
}

// Bytes [0, end) of `data` are valid; the owner consumes from the front and calls fill(keep)
// to drop bytes before `keep` and read more.
class StreamBuffer {
 public:
  StreamBuffer(std::unique_ptr<ByteSource> src, size_t block) : src_(std::move(src)), block_(block ? block : 1) {}

  char* data() noexcept { return data_.get(); }
  size_t end() const noexcept { return end_; }
  bool eof() const noexcept { return eof_; }
  const std::optional<Error>& error() const noexcept { return error_; }
  const std::string& name() const noexcept { return src_->name(); }

  // Moves [keep, end) to the front (returns the shift so callers can adjust offsets), grows the
  // buffer when it is full (up to `max_keep` + 1 bytes of capacity) and reads once. Sets eof()
  // at the end of input or on a read error (kept in error()).
  size_t fill(size_t keep, size_t max_keep) {
    if (!data_) {
      cap_ = block_;
      data_.reset(new char[cap_]);
    }
    size_t shift = keep;
    if (keep > 0) {
      if (end_ > keep) std::memmove(data_.get(), data_.get() + keep, end_ - keep);
      end_ -= keep;
    }
    if (end_ == cap_) {
      size_t want = std::max(cap_ * 2, block_);
      if (want > max_keep + 1) want = max_keep + 1;
      if (want <= cap_) want = cap_ + 1;
      std::unique_ptr<char[]> bigger(new char[want]);
      std::memcpy(bigger.get(), data_.get(), end_);
      data_ = std::move(bigger);
      cap_ = want;
    }
    auto r = src_->read(data_.get() + end_, cap_ - end_);
    if (!r) {
      error_ = std::move(r).error();
      eof_ = true;
    } else if (*r == 0) {
      eof_ = true;
    } else {
      end_ += *r;
    }
    return shift;
  }
  void drop_all() noexcept { end_ = 0; }

 private:
  std::unique_ptr<ByteSource> src_;
  std::unique_ptr<char[]> data_;
  size_t block_;
  size_t cap_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  std::optional<Error> error_;
};

inline bool is_blank(std::string_view s) noexcept {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  return true;
}

// Splits the input into lines ('\n'; a trailing '\r' is removed). A line longer than
// `max_line` is reported as too_long and skipped without being buffered whole.
class LineSplitter {
 public:
  enum class Status { line, too_long, end, error };

  LineSplitter(std::unique_ptr<ByteSource> src, size_t block, size_t max_line)
      : buf_(std::move(src), block), max_(max_line) {}

  // The number of the line last returned (1-based).
  uint64_t line_no() const noexcept { return line_; }
  const std::string& name() const noexcept { return buf_.name(); }
  const Error& error() const { return *buf_.error(); }

  Status next(std::string_view& out) {
    for (;;) {
      if (scan_ < buf_.end()) {
        char* base = buf_.data();
        auto* nl = static_cast<char*>(std::memchr(base + scan_, '\n', buf_.end() - scan_));
        if (nl) {
          size_t start = pos_;
          size_t len = static_cast<size_t>(nl - (base + start));
          pos_ = scan_ = static_cast<size_t>(nl - base) + 1;
          if (skipping_) {
            skipping_ = false;
            continue;
          }
          ++line_;
          return emit(base + start, len, out);
        }
        scan_ = buf_.end();
      }
      if (buf_.eof()) {
        if (pos_ < buf_.end() && !skipping_) {
          size_t start = pos_;
          pos_ = scan_ = buf_.end();
          ++line_;
          return emit(buf_.data() + start, buf_.end() - start, out);
        }
        pos_ = scan_ = buf_.end();
        return buf_.error() ? Status::error : Status::end;
      }
      if (skipping_) {
        buf_.drop_all();
        pos_ = scan_ = 0;
      } else if (buf_.end() - pos_ > max_) {
        ++line_;
        skipping_ = true;
        buf_.drop_all();
        pos_ = scan_ = 0;
        return Status::too_long;
      }
      size_t shift = buf_.fill(pos_, max_);
      pos_ -= shift;
      scan_ -= shift;
    }
  }

 private:
  Status emit(const char* p, size_t len, std::string_view& out) const {
    if (len > max_) return Status::too_long;
    if (len && p[len - 1] == '\r') --len;
    out = std::string_view(p, len);
    return Status::line;
  }

  StreamBuffer buf_;
  size_t max_;
  size_t pos_ = 0;   // start of the current line
  size_t scan_ = 0;  // where the search for '\n' resumes
  uint64_t line_ = 0;
  bool skipping_ = false;
};

}  // namespace lachan::io
