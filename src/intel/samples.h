// The malware repository: samples uploaded by organisations, kept content-addressed under the
// data dir (never executed, never executable), hashed (MD5, SHA-1, SHA-256), scanned with YARA
// rules; metadata kept in the Store's named state. A sample that a rule matches becomes an
// indicator of its three hashes in the "national" collection.
//
// On disk: <dir>/<sha256[0:2]>/<sha256>, mode 0400, written to a temporary file, fsynced and
// renamed, so a crash leaves either the whole sample or none of it.
// In the Store: scope "sample" keyed by SHA-256 (the record's JSON, sample_to_json), and scopes
// "sample-md5" / "sample-sha1" mapping those hashes to the SHA-256. The record is written last:
// a sample without one is treated as new (its file and index entries are rewritten idempotently).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "intel/model.h"
#include "store/store.h"

struct YR_RULES;

namespace lachan::intel {

struct SampleHashes {
  std::string md5, sha1, sha256;  // lowercase hex
};
SampleHashes hash_sample(std::string_view bytes);

// What the first bytes say the file is: "PE32", "PE32+", "MZ" (DOS/PE without a valid PE
// header), "ELF", "Mach-O", "ZIP", "PDF", "OLE" (MS compound file), "RAR", "7Z", "GZIP", "SCRIPT"
// ("#!"), else "unknown". Reads only within `bytes`.
std::string_view sniff_magic(std::string_view bytes) noexcept;

struct YaraMatch {
  std::string rule;
  std::string ns;  // the namespace: the rule file's name without its extension
  std::vector<std::string> tags;
  std::string family;  // the rule's meta `family` (or `malware_family`); empty when it has none
  bool operator==(const YaraMatch&) const = default;
};

// Every *.yar / *.yara under a folder (recursively, in name order), compiled once; scans are
// thread-safe (libyara allows concurrent scans of one compiled ruleset).
class YaraScanner {
 public:
  // invalid_config when the folder is missing, holds no rule file, or a file does not compile
  // (naming file and line). Rules of one file share a namespace, the file's stem.
  static Result<std::shared_ptr<const YaraScanner>> load(const std::string& folder);
  ~YaraScanner();
  YaraScanner(const YaraScanner&) = delete;
  YaraScanner& operator=(const YaraScanner&) = delete;

  // The rules that match, in the order libyara reports them. limit when the scan takes longer
  // than timeout_s, busy when too many scans run at once, internal for other libyara failures.
  Result<std::vector<YaraMatch>> scan(std::string_view bytes, int timeout_s = 10) const;
  size_t rule_files() const noexcept { return files_; }

 private:
  YaraScanner() = default;
  YR_RULES* rules_ = nullptr;
  size_t files_ = 0;
};

struct SampleSubmitter {
  std::string org;
  std::string actor;
  int64_t at_ms = 0;
  bool operator==(const SampleSubmitter&) const = default;
};

struct SampleRecord {
  std::string sha256, md5, sha1;
  uint64_t size = 0;
  std::string file_name;  // as first submitted: base name only, control characters dropped
  std::string magic;      // sniff_magic
  int64_t first_seen_ms = 0, last_seen_ms = 0;
  std::vector<SampleSubmitter> submitted_by;  // one entry per (org, actor): its first submission
  std::vector<YaraMatch> yara;
  std::string family;             // of the first match; empty when nothing matched
  std::vector<std::string> tags;  // the matches' tags, each once
};

// The record's JSON (times as RFC 3339), as stored and as the API answers; and back.
std::string sample_to_json(const SampleRecord& r);
Result<SampleRecord> sample_from_json(std::string_view json);

// The indicator for a sample that at least one rule matched; nullopt for a clean one.
// ref "sample--<sha256>", matched by any one of its three hashes.
std::optional<Indicator> sample_indicator(const SampleRecord& r);

struct SampleOptions {
  uint64_t max_bytes = 32u << 20;
  int scan_timeout_s = 10;
  std::string collection = "national";  // where indicators of matching samples are put
};

struct SubmitOutcome {
  SampleRecord record;
  bool created = false;                // false: the bytes were known; submitted_by was merged
  std::optional<Indicator> indicator;  // stored for a new sample that matched
};

struct SamplePage {
  std::vector<SampleRecord> items;  // by SHA-256
  std::string next_cursor;          // empty when there is nothing after this page
};

class SampleRepository {
 public:
  // `dir`: where the files go (data_dir/samples); created when missing.
  SampleRepository(std::string dir, store::Store& store, std::shared_ptr<const YaraScanner> scanner,
                   SampleOptions options = {});

  // Stores, hashes and scans new bytes; known bytes only get the submitter merged (the file is
  // not rewritten, not rescanned). limit for more than max_bytes, malformed for no bytes.
  Result<SubmitOutcome> submit(std::string_view bytes, std::string_view file_name, const SampleSubmitter& who);
  // By MD5, SHA-1 or SHA-256 (hex, any case). malformed for something that is none of them,
  // not_found for an unknown one.
  Result<SampleRecord> get(std::string_view hash);
  // The sample's bytes (for download). not_found for an unknown sample.
  Result<std::string> open_content(std::string_view sha256);
  // Up to `limit` samples (1..kMaxPageSize) with SHA-256 after `cursor`, of those `visible`
  // accepts (all when it is empty).
  Result<SamplePage> list(int limit, std::string_view cursor,
                          const std::function<bool(const SampleRecord&)>& visible = {});

  std::string path_of(std::string_view sha256) const;
  const SampleOptions& options() const noexcept { return options_; }

 private:
  Result<void> write_file(std::string_view sha256, std::string_view bytes);

  std::string dir_;
  store::Store& store_;
  std::shared_ptr<const YaraScanner> scanner_;
  SampleOptions options_;
  std::mutex mu_;  // submissions of the same bytes merge one after the other
};

}  // namespace lachan::intel
