// The default Spool backend: a segment log in a data directory (see bus/README.md for the format).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bus/spool.h"
#include "core/result.h"

namespace lachan::bus {

struct LocalSpoolOptions {
  uint64_t segment_bytes = 64ull << 20;     // a new segment starts once the current one would pass this
  uint64_t max_lag_bytes = 8ull << 30;      // append answers busy beyond this lag (0: no limit)
  uint64_t max_queue_bytes = 256ull << 20;  // append answers busy beyond this much queued for the writer
  uint64_t max_record_bytes = 16ull << 20;  // larger payloads are refused with Errc::limit
};

// Opens (creating if needed) the spool in `dir`: scans the newest segment, truncates a torn tail,
// and starts the writer thread. One process at a time: a second open answers Errc::busy.
// Errc::io when the directory cannot be used; Errc::malformed when a consumer file is damaged.
Result<std::unique_ptr<Spool>> open_local_spool(const std::string& dir, const LocalSpoolOptions& options = {});

}  // namespace lachan::bus
