// The matcher's immutable view of every current indicator: the value index (IndicatorIndex), what
// each indexed value stands for (postings: which indicator, which conjunction of its pattern), and
// a compact record per indicator (ref, source, TLP, confidence, validity, tags) for the warning a
// hit raises. Built from the repository, shared read-only by threads and swapped whole on update
// (SnapshotHolder), so an import of any size never pauses matching.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "intel/indicator_index.h"
#include "intel/model.h"
#include "store/model.h"

namespace lachan::intel {

// A value seen in an event, as the event spells it (the index normalises).
struct EventObservable {
  ValueType type = ValueType::ip;
  std::string_view value;
};

struct IndicatorView {
  std::string_view ref;
  std::string_view source;
  Tlp tlp = Tlp::amber;
  int confidence = -1;
  int64_t modified_ms = 0;
  int64_t valid_from_ms = 0, valid_until_ms = 0;
  std::span<const std::string> tags;    // tags, then "attack:<technique>" for each ATT&CK id
};

struct Hit {
  uint32_t indicator = 0;  // index into the snapshot
  uint16_t observable = 0; // which observable of the event completed the match
};

// Score 0..100: confidence (50 when unknown) halved every half-life of the indicator's type since
// it was last asserted (modified, else valid_from): 30 days for addresses, 90 for domains and
// URLs, 180 for e-mail addresses; hashes, JA3/JA4 and file names do not decay.
double decayed_score(int confidence, ValueType type, int64_t asserted_ms, int64_t now_ms) noexcept;

// What a warning raised by an indicator hit says: rule id (the indicator's ref, "retro:<ref>" for
// a retro-hunt), title naming the value and the source, and tags (lachan.intel, lachan.retro,
// tlp.<tlp>, intel.source:<source>, the indicator's tags, its ATT&CK techniques as attack.tNNNN).
struct HitText {
  std::string rule_id, title;
  std::vector<std::string> tags;
};
HitText describe_hit(const IndicatorView& v, const EventObservable& o, bool retro);

// The severity of a warning raised by an indicator of this score: high from 80, medium from 50,
// low from 20, informational below.
store::Severity severity_for_score(double score) noexcept;

class Snapshot {
 public:
  // Indicators whose observables are in the event, valid at now_ms, each once (in the order of
  // the snapshot). A conjunction of several observables matches when all are in this event.
  void match(std::span<const EventObservable> observables, int64_t now_ms, std::vector<Hit>& out) const;

  size_t size() const noexcept { return meta_.size(); }
  IndicatorView indicator(uint32_t i) const;
  ValueType first_type(uint32_t i) const noexcept { return static_cast<ValueType>(meta_[i].type); }
  // Bytes held (index, postings, records, strings).
  size_t memory_bytes() const noexcept;
  int64_t built_ms() const noexcept { return built_ms_; }

 private:
  friend class SnapshotBuilder;
  struct Meta {  // 32 bytes
    uint32_t ref_off = 0;
    uint16_t ref_len = 0;
    uint16_t source = 0;   // into sources_
    uint32_t tagset = 0;   // into tagsets_
    uint32_t valid_from_s = 0, valid_until_s = 0, modified_s = 0;  // seconds; 0: none
    uint8_t tlp = 2;
    int8_t confidence = -1;
    uint8_t type = 0;      // of its first observable (for the score's half-life)
    uint8_t pad = 0;
  };
  struct Posting {  // 8 bytes
    uint32_t indicator;
    uint16_t conj;       // which conjunction of the indicator
    uint16_t conj_size;  // how many distinct observables that conjunction needs
  };
  std::shared_ptr<const IndicatorIndex> index_;
  std::vector<uint32_t> term_begin_;  // postings of term t: [term_begin_[t], term_begin_[t+1])
  std::vector<Posting> postings_;
  std::vector<Meta> meta_;
  std::string refs_;
  std::vector<std::string> sources_;
  std::vector<std::vector<std::string>> tagsets_;
  int64_t built_ms_ = 0;
};

class SnapshotBuilder {
 public:
  SnapshotBuilder();
  ~SnapshotBuilder();
  // Adds an indicator (its any_of already normalised). Indicators without any indexable
  // observable are skipped (false).
  bool add(const Indicator& ind);
  size_t size() const noexcept;
  std::shared_ptr<const Snapshot> build(int64_t now_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The snapshot in use, swapped whole.
class SnapshotHolder {
 public:
  SnapshotHolder();
  std::shared_ptr<const Snapshot> get() const {
    std::lock_guard<std::mutex> lk(mu_);
    return s_;
  }
  void set(std::shared_ptr<const Snapshot> s) {
    std::lock_guard<std::mutex> lk(mu_);
    s_ = std::move(s);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> s_;
};

}  // namespace lachan::intel
