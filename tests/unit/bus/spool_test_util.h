// Helpers shared by the bus tests: a temporary directory and record builders.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bus/spool.h"

namespace lachan::bus::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lachan-bus-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Owns the bytes that a batch of Records views.
struct OwnedBatch {
  struct Owned {
    std::string source, org, payload;
    int64_t received_at_ms;
  };
  std::vector<Owned> owned;
  std::vector<Record> records;

  void add(std::string payload, std::string source = "suricata", std::string org = "org-1",
           int64_t received_at_ms = 1700000000000) {
    owned.push_back(Owned{std::move(source), std::move(org), std::move(payload), received_at_ms});
  }
  std::span<const Record> span() {
    records.clear();
    for (const Owned& o : owned) records.push_back(Record{o.source, o.org, o.received_at_ms, o.payload});
    return records;
  }
};

// A payload that says who wrote it, so a reader can check it is intact and in the right place.
inline std::string payload_for(uint64_t tag, size_t pad = 40) {
  std::string p = "{\"tag\":" + std::to_string(tag) + ",\"pad\":\"";
  for (size_t i = 0; i < pad; ++i) p.push_back(static_cast<char>('a' + (tag + i) % 26));
  return p + "\"}";
}

}  // namespace lachan::bus::testing
