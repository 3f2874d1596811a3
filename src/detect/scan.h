// `lachan scan`: read inputs in batches, detect on N threads, write detections in input order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "io/reader.h"
#include "sigma/ruleset.h"

namespace lachan::detect {

enum class OutputFormat { jsonl, table, csv, none };

struct ScanOptions {
  std::vector<std::string> inputs;  // "-" = standard input
  io::ReaderOptions reader;
  size_t threads = 1;
  size_t batch_size = 1024;
  sigma::Level min_level = sigma::Level::informational;
  OutputFormat format = OutputFormat::jsonl;
  bool color = false;
  int64_t correlation_tolerance_ns = 0;  // out-of-order tolerance for correlations
  size_t max_errors_shown = 20;          // malformed records printed per input
};

struct ScanSummary {
  uint64_t events = 0;
  uint64_t detections = 0;
  uint64_t correlation_detections = 0;
  uint64_t malformed = 0;
  uint64_t inputs_failed = 0;
  uint64_t events_without_time = 0;
  double seconds = 0;
};

// Runs the scan, writing detections to `out` and problems to `err`.
ScanSummary run_scan(const sigma::Ruleset& rules, const ScanOptions& options, FILE* out, FILE* err);

}  // namespace lachan::detect
