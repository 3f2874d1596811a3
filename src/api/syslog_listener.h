// SyslogListener: syslog over UDP (RFC 5426: one datagram = one message) and TCP (RFC 6587
// framing, see syslog_framer.h), delivering messages in batches to one callback.
//
// The callback may run concurrently on several io threads (one call per connection or for the
// UDP socket at a time); the views it receives are valid only during the call. It returns
// whether it took the batch:
//  - UDP: a refused batch is dropped and counted in `dropped` (UDP has no way to push back).
//  - TCP: a refused batch is offered again every retry_interval, and the connection is not
//    read meanwhile, so TCP flow control slows the sender down. Nothing is lost or reordered,
//    unless the listener stops first (then the batch counts as dropped).
// A callback that throws loses its batch (counted in `dropped` and `callback_errors`); the
// exception does not escape. TCP connections have no idle timeout (senders keep them open).
// Oversize messages are truncated to max_message_bytes (counted in `truncated`); a malformed
// TCP octet count closes that connection (counted in `malformed`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lachan::api {

struct SyslogMessage {
  std::string_view text;       // one message, trailing CR/LF/NUL trimmed
  std::string_view sender_ip;  // e.g. "192.0.2.7"
  int64_t received_at_ms = 0;  // Unix time in ms, when the bytes were read
};

using SyslogBatchHandler = std::function<bool(std::span<const SyslogMessage>)>;

struct SyslogListenerConfig {
  std::string address = "127.0.0.1";
  bool udp = true;
  uint16_t udp_port = 0;  // 0: any free port, see udp_port()
  bool tcp = true;
  uint16_t tcp_port = 0;
  size_t max_message_bytes = 64 * 1024;
  size_t max_batch = 1024;  // messages per callback
  unsigned threads = 2;
  size_t max_connections = 1000;                 // TCP; beyond it new connections are closed at once
  std::chrono::milliseconds retry_interval{10};  // TCP backpressure: re-offer a refused batch
  int udp_receive_buffer_bytes = 8 << 20;        // SO_RCVBUF request; 0 leaves the default
  std::function<int64_t()> clock;                // ms since the epoch; default: system clock
};

struct SyslogCounters {
  uint64_t received = 0;           // messages read (UDP datagrams, TCP frames), accepted or not
  uint64_t dropped = 0;            // refused UDP messages; TCP messages pending when stopped
  uint64_t malformed = 0;          // bad octet counts, truncated octet-counted frames at end of stream
  uint64_t truncated = 0;          // messages cut to max_message_bytes
  uint64_t connections = 0;        // TCP connections open now
  uint64_t connections_total = 0;  // TCP connections accepted so far
  uint64_t connections_rejected = 0;
  uint64_t callback_errors = 0;  // callbacks that threw: their batch counts as dropped
};

class SyslogListener {
 public:
  // Binds the enabled sockets and starts the io threads. Errors: Errc::invalid_config (bad
  // address, nothing enabled, zero threads or batch), Errc::io (bind failed).
  static Result<std::unique_ptr<SyslogListener>> start(SyslogListenerConfig config, SyslogBatchHandler handler);

  ~SyslogListener();  // stop()
  SyslogListener(const SyslogListener&) = delete;
  SyslogListener& operator=(const SyslogListener&) = delete;

  uint16_t udp_port() const noexcept;  // 0 when UDP is off
  uint16_t tcp_port() const noexcept;  // 0 when TCP is off
  SyslogCounters counters() const noexcept;

  // Stops reading, closes the sockets, waits (bounded: a blocked callback is given 5 s) for
  // callbacks in progress, joins the threads. Idempotent; not from the callback.
  void stop();

  struct Impl;

 private:
  explicit SyslogListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lachan::api
