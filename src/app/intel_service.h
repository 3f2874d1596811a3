// Threat intelligence in `lachan serve`: the repository, the snapshot the pipeline matches every
// event against (rebuilt off the pipeline's thread and swapped whole when indicators change, by
// this server, another one or `lachan intel import` on the same data dir), and the retro-hunt
// that searches the spool's recent events for new indicators.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/metrics.h"
#include "app/pipeline.h"
#include "bus/spool.h"
#include "intel/feed_fetch.h"
#include "intel/importer.h"
#include "intel/repository.h"
#include "intel/warninglist.h"
#include "intel/snapshot.h"
#include "store/store.h"
#include "warn/warning_builder.h"

namespace lachan::app {

struct IntelOptions {
  std::string warninglists_dir;   // MISP warning lists (empty: none)
  std::string feeds_dir;          // feed definitions (empty: none)
  bool pull_feeds = false;        // pull the enabled feeds on their schedules

  int64_t retro_hunt_days = 30;   // how far back new indicators are searched for; 0: off
  int64_t refresh_s = 2;          // how often the store is asked whether indicators changed
  int64_t rebuild_s = 600;        // rebuilt at least this often anyway (validity ends)
  warn::WarnOptions warn;
};

class IntelService {
 public:
  IntelService(store::Store& store, bus::Spool* spool, const RegistryHolder& registry, IntelOptions options,
               api::metrics::Registry& metrics);
  ~IntelService();

  // Builds the first snapshot and starts the refresh and retro-hunt thread.
  Result<void> start();
  void stop();

  // Stores a batch (all or nothing) and has it matched from the next pipeline batch on; new
  // indicators are queued for the retro-hunt.
  Result<intel::ImportSummary> import(const intel::ImportBatch& batch, std::string_view collection);

  const intel::SnapshotHolder& snapshot() const noexcept { return holder_; }
  // Whether a value seen in an event is on a warning list (normalised first).
  bool is_listed(intel::ValueType t, std::string_view value) const;
  // The feed definitions and their states (a copy, for listing).
  std::vector<std::pair<intel::FeedDefinition, intel::FeedState>> feeds() const;
  // Blocks until the snapshot reflects every import made before the call (tests, demo).
  void sync();

 private:
  void run();
  Result<void> rebuild();
  void retro_hunt(const std::vector<intel::Indicator>& inds);
  void run_feeds();

  store::Store& store_;
  bus::Spool* spool_;
  const RegistryHolder& registry_;
  IntelOptions opt_;
  intel::Repository repo_;
  intel::SnapshotHolder holder_;
  intel::WarningListSet lists_;
  std::unique_ptr<intel::FeedScheduler> feeds_;  // guarded by feeds_mu_
  mutable std::mutex feeds_mu_;
  std::thread feeds_thread_;
  api::metrics::Counter& rebuilds_;
  api::metrics::Counter& retro_warnings_;
  api::metrics::Histogram& build_seconds_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<intel::Indicator>> retro_queue_;  // imported indicators, to hunt for
  bool retro_running_ = false;
  bool dirty_ = false;
  bool stopping_ = false;
  uint64_t wanted_ = 0, built_ = 0;  // import generations asked for and reflected
  std::string seen_generation_;
  std::atomic<int64_t> snapshot_size_{0};
  std::thread thread_;
};

}  // namespace lachan::app
