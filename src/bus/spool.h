// Spool: the durable log between ingest and the pipeline. Ingest appends batches of raw records
// and acknowledges its client only when append() returns; the pipeline reads by offset, sleeps in
// wait() when idle, and commits its position so that retention may drop what it has processed.
// Backends: local/ (segment files in the data dir, the default); a NATS JetStream backend is to
// implement the same interface and pass the same tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lachan::bus {

// One raw record as ingest received it. Views: the caller keeps the bytes alive for the call.
struct Record {
  std::string_view source_type;  // decoder selector, e.g. "suricata" (at most 255 bytes)
  std::string_view org_id;       // the sending organisation (at most 255 bytes)
  int64_t received_at_ms = 0;    // server time of receipt, ms since the Unix epoch
  std::string_view payload;      // one raw event line / record, opaque bytes
};

// Offsets are dense sequence numbers starting at 1; 0 means "before the first record".
struct AppendResult {
  uint64_t first_offset = 0;
  uint64_t last_offset = 0;
};

struct StoredRecord {
  uint64_t offset = 0;
  Record record;  // views into the ReadBatch's buffer
};

// A reusable read buffer: read() clears it and refills it.
struct ReadBatch {
  std::vector<StoredRecord> records;  // ascending offsets; a gap means corrupt records were skipped
  std::vector<Error> corrupt;         // Errc::malformed, naming file and byte offset, one per damaged region
  uint64_t next_offset = 0;           // where the following read should start
  std::string buffer;                 // owns the bytes the records view

  void clear() {
    records.clear();
    corrupt.clear();
    buffer.clear();
    next_offset = 0;
  }
};

enum class WaitStatus { ready, timeout, closed };

// What retention may delete. A segment goes only when every record in it is committed by every
// registered consumer AND (it is older than max_age OR the spool is over max_total_bytes).
// With neither limit set nothing is deleted (the spool is the event archive).
struct RetentionPolicy {
  std::optional<std::chrono::milliseconds> max_age = std::nullopt;
  std::optional<uint64_t> max_total_bytes = std::nullopt;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();  // injected in tests
};

struct RetentionResult {
  size_t segments_deleted = 0;
  uint64_t bytes_deleted = 0;
};

// Totals for metrics. Lag = appended (including queued) but not committed by the slowest consumer.
struct SpoolStats {
  uint64_t first_offset = 0;  // oldest record still stored (next_offset when empty)
  uint64_t last_offset = 0;   // newest durable record (0 when none ever)
  uint64_t lag_records = 0;
  uint64_t lag_bytes = 0;
  uint64_t queued_bytes = 0;  // waiting for the writer
  uint64_t stored_bytes = 0;  // on disk, all segments
  uint64_t segments = 0;
  uint64_t appended_records = 0;  // since open
  uint64_t appended_bytes = 0;    // since open, as framed on disk
  uint64_t rejected_busy = 0;     // appends refused with Errc::busy since open
  uint64_t corrupt_regions = 0;   // damaged regions met by open and readers since open
};

class Spool {
 public:
  virtual ~Spool() = default;

  // Appends the records in order and returns their offsets once they are durable (fsynced).
  // Thread-safe; concurrent batches are written and synced together (group commit).
  // Errc::busy when max_queue_bytes or max_lag_bytes would be exceeded (retry later) or after
  // close(); Errc::limit when one record or the batch alone exceeds a limit; Errc::io on disk error.
  virtual Result<AppendResult> append(std::span<const Record> records) = 0;

  // Copies durable records with offset >= from_offset into `out` (cleared first): at most
  // max_records, and at most max_bytes of payload except that a non-empty result holds at least one
  // record. from_offset below the oldest stored record starts at the oldest. An empty result with
  // next_offset == from_offset means nothing newer yet. Damaged records are skipped and reported in
  // out.corrupt, never fatal.
  virtual Result<void> read(uint64_t from_offset, size_t max_records, size_t max_bytes, ReadBatch& out) = 0;

  // Blocks until a record with offset > after_offset is durable (ready), the timeout passes, or
  // close() is called.
  virtual WaitStatus wait(uint64_t after_offset, std::chrono::milliseconds timeout) = 0;

  // Durably records that `consumer` has processed every record up to and including `offset`
  // (0: nothing yet; this also registers a new consumer). Names: [A-Za-z0-9._-], 1..64 chars
  // (Errc::invalid_config otherwise). Errc::conflict when offset is beyond the last durable record.
  virtual Result<void> commit(std::string_view consumer, uint64_t offset) = 0;

  // The consumer's committed offset; Errc::not_found when it never committed.
  virtual Result<uint64_t> committed(std::string_view consumer) = 0;

  // Deletes whole old segments allowed by the policy; never the segment being written, never one
  // holding a record some registered consumer has not committed, nothing while no consumer exists.
  virtual Result<RetentionResult> retain(const RetentionPolicy& policy) = 0;

  virtual uint64_t lag_records() = 0;
  virtual uint64_t lag_bytes() = 0;
  virtual SpoolStats stats() = 0;

  // Writes what is queued, stops the writer and wakes every wait(). Idempotent; the destructor
  // calls it. Reads and commits keep working afterwards; appends answer Errc::busy.
  virtual void close() = 0;
};

}  // namespace lachan::bus
