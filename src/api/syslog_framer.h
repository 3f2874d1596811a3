// SyslogFramer: splits a TCP syslog byte stream into messages (RFC 6587), independent of
// sockets so that it can be tested and fuzzed with any chunking of the input.
//
// Framing is detected per frame: a frame that starts with a digit is octet-counted
// ("<len> <msg>", MSG-LEN = NONZERO-DIGIT *DIGIT, at most 9 digits); any other frame is
// non-transparent and ends at LF or NUL (a CR before the LF is dropped, so CRLF works too).
// Empty frames (blank lines, stray terminators) are skipped. Trailing CR/LF/NUL are trimmed
// from every message.
//
// Limits: a message longer than max_message_bytes is delivered truncated to that length and
// counted in truncated(); the rest of it is skipped (for octet counting we know how much, for
// LF framing up to the next terminator). A malformed octet count (a leading 0, a non-digit
// before the space, more than 9 digits) cannot be resynchronised: the framer fails, counts
// one malformed frame, and ignores all further input; the listener then closes the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lachan::api {

// Messages framed so far, stored back to back in one buffer (one allocation per batch, not
// per message).
class FramedMessages {
 public:
  size_t size() const noexcept { return spans_.size(); }
  bool empty() const noexcept { return spans_.empty(); }
  std::string_view operator[](size_t i) const noexcept {
    return std::string_view(bytes_).substr(spans_[i].first, spans_[i].second);
  }
  // Forgets the completed messages; a message still under construction is kept.
  void clear() noexcept {
    if (open_) {
      bytes_.erase(0, start_);
    } else {
      bytes_.clear();
    }
    start_ = 0;
    spans_.clear();
  }
  // Builds a message: begin(), append()..., then end() (trims, keeps it unless empty) or
  // discard().
  void begin() noexcept {
    start_ = bytes_.size();
    open_ = true;
  }
  void append(std::string_view s) { bytes_.append(s); }
  size_t current_size() const noexcept { return bytes_.size() - start_; }
  void end();
  void discard() {
    bytes_.resize(start_);
    open_ = false;
  }
  void add(std::string_view s) {
    begin();
    append(s);
    end();
  }

 private:
  std::string bytes_;
  std::vector<std::pair<size_t, size_t>> spans_;
  size_t start_ = 0;
  bool open_ = false;
};

class SyslogFramer {
 public:
  explicit SyslogFramer(size_t max_message_bytes = 64 * 1024);

  // Consumes all of `data`, appending each completed message to `out`. Returns false once the
  // stream is malformed (see above); then nothing more is framed.
  bool feed(std::string_view data, FramedMessages& out);
  // End of stream: a non-transparent message without its terminator is delivered; a partial
  // octet-counted frame is counted as malformed.
  void finish(FramedMessages& out);

  bool failed() const noexcept { return state_ == State::failed; }
  uint64_t truncated() const noexcept { return truncated_; }
  uint64_t malformed() const noexcept { return malformed_; }
  // True when a frame has started but not ended (bytes are buffered).
  bool mid_frame() const noexcept { return state_ != State::start && state_ != State::failed; }

 private:
  enum class State { start, length, counted, counted_skip, line, line_skip, failed };
  void fail();

  size_t max_;
  State state_ = State::start;
  uint64_t remaining_ = 0;  // counted: bytes of the frame still to come; length: parsed so far
  int digits_ = 0;
  uint64_t truncated_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace lachan::api
