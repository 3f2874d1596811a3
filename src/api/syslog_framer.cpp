#include "api/syslog_framer.h"

#include <algorithm>
#include <cstring>

namespace lachan::api {

namespace {

bool is_terminator(char c) {
  return c == '\n' || c == '\0';
}
bool is_trimmed(char c) {
  return c == '\n' || c == '\r' || c == '\0';
}

}  // namespace

void FramedMessages::end() {
  open_ = false;
  size_t len = bytes_.size() - start_;
  while (len > 0 && is_trimmed(bytes_[start_ + len - 1])) --len;
  if (len == 0) {
    bytes_.resize(start_);
    return;
  }
  bytes_.resize(start_ + len);
  spans_.emplace_back(start_, len);
}

SyslogFramer::SyslogFramer(size_t max_message_bytes) : max_(std::max<size_t>(1, max_message_bytes)) {}

void SyslogFramer::fail() {
  state_ = State::failed;
  ++malformed_;
}

bool SyslogFramer::feed(std::string_view data, FramedMessages& out) {
  size_t i = 0;
  const size_t n = data.size();
  while (i < n) {
    switch (state_) {
      case State::failed:
        return false;
      case State::start: {
        const char c = data[i];
        if (c == '\n' || c == '\r' || c == '\0' || c == ' ') {
          ++i;  // empty frame or stray separator
        } else if (c >= '0' && c <= '9') {
          if (c == '0') {
            fail();
            return false;
          }
          state_ = State::length;
          remaining_ = static_cast<uint64_t>(c - '0');
          digits_ = 1;
          ++i;
        } else {
          state_ = State::line;
          out.begin();
        }
        break;
      }
      case State::length: {
        const char c = data[i++];
        if (c >= '0' && c <= '9') {
          if (++digits_ > 9) {
            fail();
            return false;
          }
          remaining_ = remaining_ * 10 + static_cast<uint64_t>(c - '0');
        } else if (c == ' ') {
          state_ = State::counted;
          out.begin();
        } else {
          fail();
          return false;
        }
        break;
      }
      case State::counted: {
        const size_t room = max_ - out.current_size();
        size_t take = static_cast<size_t>(std::min<uint64_t>({remaining_, n - i, room}));
        out.append(data.substr(i, take));
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          out.end();
          state_ = State::start;
        } else if (out.current_size() == max_) {
          ++truncated_;
          out.end();
          state_ = State::counted_skip;
        }
        break;
      }
      case State::counted_skip: {
        size_t skip = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
        i += skip;
        remaining_ -= skip;
        if (remaining_ == 0) state_ = State::start;
        break;
      }
      case State::line: {
        const char* p = data.data() + i;
        const size_t avail = n - i;
        size_t len = 0;
        while (len < avail && !is_terminator(p[len])) ++len;
        const size_t room = max_ - out.current_size();
        if (len > room) {
          out.append(std::string_view(p, room));
          ++truncated_;
          out.end();
          i += room;
          state_ = State::line_skip;
          break;
        }
        out.append(std::string_view(p, len));
        i += len;
        if (i < n) {  // at a terminator
          ++i;
          out.end();
          state_ = State::start;
        }
        break;
      }
      case State::line_skip: {
        while (i < n && !is_terminator(data[i])) ++i;
        if (i < n) {
          ++i;
          state_ = State::start;
        }
        break;
      }
    }
  }
  return state_ != State::failed;
}

void SyslogFramer::finish(FramedMessages& out) {
  switch (state_) {
    case State::line:
      out.end();
      state_ = State::start;
      break;
    case State::length:
    case State::counted:
    case State::counted_skip:
      if (state_ == State::counted) out.discard();
      ++malformed_;
      state_ = State::start;
      break;
    default:
      break;
  }
}

}  // namespace lachan::api
