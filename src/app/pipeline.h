// The pipeline of `lachan serve`: spool -> flatten -> detect (Sigma, CERT feed reports) ->
// warn -> store, on one thread, batch by batch. Each batch's warnings and the offset of its last
// record are committed in one store transaction, so after a crash (kill -9) the records after
// the checkpoint are processed again and none of them produces a second warning. Correlation
// state lives in memory: after a restart a window that straddles the checkpoint only sees the
// events after it (a correlation can be missed then, never raised twice: the warning's dedup key
// absorbs a repeat).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/metrics.h"
#include "bus/spool.h"
#include "constituency/constituency.h"
#include "intel/snapshot.h"
#include "sigma/ruleset.h"
#include "store/store.h"
#include "warn/warning_builder.h"

namespace lachan::app {

// The constituency snapshot in use: swapped whole when organisations change.
class RegistryHolder {
 public:
  explicit RegistryHolder(std::shared_ptr<const constituency::Constituency> c) : c_(std::move(c)) {}
  std::shared_ptr<const constituency::Constituency> get() const {
    std::lock_guard<std::mutex> lk(mu_);
    return c_;
  }
  void set(std::shared_ptr<const constituency::Constituency> c) {
    std::lock_guard<std::mutex> lk(mu_);
    c_ = std::move(c);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const constituency::Constituency> c_;
};

struct PipelineOptions {
  std::string consumer = "pipeline";
  size_t batch_records = 4096;
  size_t batch_bytes = 16u << 20;
  std::chrono::milliseconds idle_wait{250};
  warn::WarnOptions warn;
  // Correlation rules run per organisation (one engine each: no window mixes two tenants), in
  // event time (the time it was received when an event has none). Inputs may arrive out of order
  // by up to `correlation_tolerance`; a hit is final, and raised, once the organisation's events
  // have moved that far past it, or once the organisation has sent nothing for
  // `correlation_idle_flush` (its open windows are then closed), or at a draining stop.
  std::chrono::milliseconds correlation_tolerance{30'000};
  std::chrono::milliseconds correlation_idle_flush{5'000};
  std::size_t correlation_max_entries = 200'000;       // buffered inputs per organisation
  std::size_t correlation_evidence_bytes = 64u << 20;  // the newest events that fed correlations,
                                                       // kept for the evidence of their hits
  // Indicators every event is matched against (none when null or empty). A hit raises a warning
  // for the organisation that sent the event and records a sighting; a hit on a value of a
  // warning list (`is_listed`) is recorded as a sighting, not raised.
  const intel::SnapshotHolder* intel = nullptr;
  std::function<bool(intel::ValueType, std::string_view)> is_listed;
  // Called on the pipeline's thread after each batch is committed, with the batch's upserts and
  // their outcomes (same order); the notifier raises the new warnings' notifications here.
  std::function<void(const std::vector<store::WarningUpsert>&, const std::vector<store::UpsertOutcome>&)> on_applied;
};

class Pipeline {
 public:
  Pipeline(bus::Spool& spool, store::Store& store, std::shared_ptr<const sigma::Ruleset> rules,
           const RegistryHolder& registry, PipelineOptions options, api::metrics::Registry& metrics);
  ~Pipeline();

  // Reads the checkpoint and starts the thread.
  Result<void> start();
  // Processes what is durable in the spool, then stops (drain) — or stops after the current batch.
  void stop(bool drain);
  uint64_t processed_offset() const noexcept { return processed_.load(); }
  // Last error of the store or spool (the pipeline retries); empty when healthy.
  std::string last_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> processed_{0};
};

}  // namespace lachan::app
