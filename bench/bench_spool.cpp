// Durable append throughput of the local spool: batches of 1,000 records of ~400-byte payloads,
// each append returning only after fdatasync, from 1 and 4 threads (group commit shares syncs).
// The data dir is created under $LACHAN_BENCH_DIR (default /tmp) and removed afterwards.
// usage: bench_spool [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bus/local/local_spool.h"

using namespace lachan::bus;

namespace {

std::unique_ptr<Spool> g_spool;
std::string g_dir;

std::string make_dir() {
  const char* base = std::getenv("LACHAN_BENCH_DIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/bench-spool-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return {};
  return tmpl;
}

void BM_SpoolAppendDurable(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_dir = make_dir();
    LocalSpoolOptions o;
    o.max_lag_bytes = 0;  // no consumer in this benchmark
    auto s = open_local_spool(g_dir, o);
    if (!s) {
      state.SkipWithError(s.error().message.c_str());
      return;
    }
    g_spool = std::move(s).value();
  }
  constexpr size_t kBatch = 1000;
  std::vector<std::string> payloads;
  std::vector<Record> records;
  for (size_t i = 0; i < kBatch; ++i) {
    std::string p = R"({"timestamp":"2024-05-01T10:00:00.000000+0700","event_type":"alert","src_ip":"203.0.113.)" +
                    std::to_string(i % 250) + R"(","dest_ip":"198.51.100.7","proto":"TCP","alert":{"signature":)";
    p.resize(400, 'x');
    payloads.push_back(std::move(p));
  }
  for (const auto& p : payloads) records.push_back(Record{"suricata", "org-0042", 1714532400000, p});

  uint64_t appended = 0, busy = 0;
  for (auto _ : state) {
    auto r = g_spool->append(records);
    if (r)
      appended += kBatch;
    else
      ++busy;
  }
  state.counters["records"] = benchmark::Counter(static_cast<double>(appended), benchmark::Counter::kIsRate);
  state.counters["busy"] = benchmark::Counter(static_cast<double>(busy));
  state.SetBytesProcessed(static_cast<int64_t>(appended * 400));
  if (state.thread_index() == 0) {
    g_spool.reset();
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  }
}

}  // namespace

BENCHMARK(BM_SpoolAppendDurable)->Threads(1)->Threads(4)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
