// Pulling plain feeds: their body from a file or over HTTP(S), and the schedule of pulls.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "intel/feed.h"
#include "store/common.h"

namespace lachan::intel {

struct FetchOptions {
  std::chrono::milliseconds timeout{30'000};  // the whole pull, redirects included
  size_t max_bytes = 0;                        // 0: the definition's max_bytes
  std::string user_agent = "lachan-feeds/0.1";
};

// The body of the feed: its file, or a GET of its URL (https: OpenSSL with the system CAs, SNI and
// host name verification; up to 3 redirects). Errc::io when unreachable, on a non-2xx status
// (naming it) or a timeout; Errc::limit when the body is over max_bytes.
Result<std::string> fetch_feed_body(const FeedDefinition& def, const FetchOptions& opt = {});

// Lowercase hex SHA-256 (store::sha256_hex), to skip re-importing a body that has not changed.
using store::sha256_hex;

struct FeedState {
  int64_t last_attempt_ms = 0;
  int64_t last_success_ms = 0;
  std::string last_error;        // of the last attempt; empty when it succeeded
  size_t indicator_count = 0;    // of the last good import
  std::string content_sha256;    // of the last good body
};

// Which feeds to pull when, and what came of it. Not thread-safe: one owner.
class FeedScheduler {
 public:
  // A failed pull is retried after min(schedule, this), not a whole schedule later.
  static constexpr int64_t kRetryAfterMs = 15 * 60'000;

  explicit FeedScheduler(std::vector<FeedDefinition> defs, std::map<std::string, FeedState> states = {});

  // Names of enabled feeds due at `now_ms`: never tried, or last tried a schedule ago (or
  // kRetryAfterMs ago after a failure), in definition order.
  std::vector<std::string> due(int64_t now_ms) const;
  // Whether `body_sha256` is the body last imported (the import can be skipped; call
  // record_unchanged).
  bool unchanged(const std::string& name, std::string_view body_sha256) const;
  void record_success(const std::string& name, int64_t now_ms, std::string body_sha256, size_t indicator_count);
  void record_unchanged(const std::string& name, int64_t now_ms);
  // Keeps the last good count and hash; sets last_error.
  void record_failure(const std::string& name, int64_t now_ms, std::string error);

  const FeedState* state(const std::string& name) const;
  const std::map<std::string, FeedState>& states() const noexcept { return states_; }
  const std::vector<FeedDefinition>& definitions() const noexcept { return defs_; }

 private:
  std::vector<FeedDefinition> defs_;
  std::map<std::string, FeedState> states_;
};

}  // namespace lachan::intel
