// The indicator index with 1,000,000 indicators (600,000 addresses and networks, 300,000
// domains, 100,000 SHA-256): lookups per second for the observables of an event, and the
// index's bytes per indicator (reported as a counter). Then the matcher's whole snapshot (index,
// postings, per-indicator records with ref, source, TLP, tags) with the same million: events per
// second through Snapshot::match, bytes per indicator (its own accounting and the process's
// resident memory), the time to build a new snapshot, and matching while another thread keeps
// rebuilding and swapping snapshots (an update never pauses matching).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "intel/indicator_index.h"
#include "intel/snapshot.h"

using namespace lachan::intel;

namespace {

std::string ip_of(uint32_t x) { return fmt::format("{}.{}.{}.{}", x >> 24, (x >> 16) & 255, (x >> 8) & 255, x & 255); }

struct Fixture {
  std::shared_ptr<const IndicatorIndex> idx;
  std::vector<lachan::match::IpAddress> ips;  // what events carry: 1 in 10 listed
  std::vector<std::string> domains;
  std::vector<std::string> hashes;
  Fixture() {
    std::mt19937 rng(7);
    IndexBuilder b;
    std::vector<uint32_t> listed;
    uint32_t id = 0;
    for (int i = 0; i < 560'000; ++i) {
      uint32_t a = rng();
      listed.push_back(a);
      (void)b.add(ValueType::ip, ip_of(a), id++);
    }
    for (int i = 0; i < 40'000; ++i) (void)b.add(ValueType::ip, ip_of(rng() & 0xffffff00u) + "/" + std::to_string(16 + i % 9), id++);
    for (int i = 0; i < 300'000; ++i) (void)b.add(ValueType::domain, fmt::format("bad{}.example{}.com", i, i % 97), id++);
    for (int i = 0; i < 100'000; ++i) (void)b.add(ValueType::sha256, fmt::format("{:064x}", i * 2654435761ull), id++);
    idx = b.build();
    for (int i = 0; i < 4096; ++i) {
      uint32_t a = i % 10 == 0 ? listed[rng() % listed.size()] : static_cast<uint32_t>(rng());
      ips.push_back(*lachan::match::parse_ip(ip_of(a)));
      domains.push_back(i % 10 == 0 ? fmt::format("www.bad{}.example{}.com", i, i % 97) : fmt::format("cdn{}.good.example.vn", i));
      hashes.push_back(fmt::format("{:064x}", (i % 10 == 0 ? i : i + 1'000'000) * 2654435761ull));
    }
  }
};

const Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_MatchIp(benchmark::State& st) {
  const auto& f = fixture();
  size_t i = 0, hits = 0;
  for (auto _ : st) {
    hits += f.idx->match_ip(f.ips[i++ & 4095]).has_value();
  }
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(st.iterations());
  st.counters["bytes_per_indicator"] = static_cast<double>(f.idx->memory_bytes()) / f.idx->size();
}
BENCHMARK(BM_MatchIp);

void BM_MatchDomain(benchmark::State& st) {
  const auto& f = fixture();
  size_t i = 0, hits = 0;
  for (auto _ : st) hits += f.idx->match_domain(f.domains[i++ & 4095]).has_value();
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_MatchDomain);

void BM_MatchSha256(benchmark::State& st) {
  const auto& f = fixture();
  size_t i = 0, hits = 0;
  for (auto _ : st) hits += f.idx->match(ValueType::sha256, f.hashes[i++ & 4095]).has_value();
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_MatchSha256);

// One event's observables: two addresses, one domain, one hash.
void BM_MatchEvent(benchmark::State& st) {
  const auto& f = fixture();
  size_t i = 0, hits = 0;
  for (auto _ : st) {
    size_t k = i++ & 4095;
    hits += f.idx->match_ip(f.ips[k]).has_value();
    hits += f.idx->match_ip(f.ips[(k + 1) & 4095]).has_value();
    hits += f.idx->match_domain(f.domains[k]).has_value();
    hits += f.idx->match(ValueType::sha256, f.hashes[k]).has_value();
  }
  benchmark::DoNotOptimize(hits);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_MatchEvent);

void BM_Build100k(benchmark::State& st) {
  std::vector<std::string> ips;
  for (uint32_t i = 0; i < 100'000; ++i) ips.push_back(ip_of(i * 2654435761u));
  for (auto _ : st) {
    IndexBuilder b;
    for (uint32_t i = 0; i < ips.size(); ++i) (void)b.add(ValueType::ip, ips[i], i);
    benchmark::DoNotOptimize(b.build());
  }
  st.SetItemsProcessed(st.iterations() * 100'000);
}
BENCHMARK(BM_Build100k)->Unit(benchmark::kMillisecond);

size_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096;
}

// 1,000,000 indicators as the repository holds them: feed refs, 20 sources, a few tag sets.
std::vector<Indicator> million_indicators() {
  std::mt19937 rng(7);
  std::vector<Indicator> v;
  v.reserve(1'000'000);
  auto make = [&](ValueType t, std::string value, size_t i) {
    Indicator ind;
    ind.ref = fmt::format("feed--source{}--{}--{}", i % 20, value_type_name(t), value);
    ind.source = fmt::format("source{}", i % 20);
    ind.tlp = static_cast<Tlp>(i % 3);
    ind.confidence = static_cast<int>(50 + i % 50);
    ind.modified_ms = 1'760'000'000'000;
    ind.tags = {i % 2 ? "botnet" : "phishing"};
    ind.any_of = {{{t, std::move(value)}}};
    v.push_back(std::move(ind));
  };
  for (size_t i = 0; i < 560'000; ++i) make(ValueType::ip, ip_of(static_cast<uint32_t>(i) * 2654435761u), i);
  // Networks as block lists publish them: mostly /24s (DShield, DataPlane), a few wider (DROP).
  for (size_t i = 0; i < 40'000; ++i) {
    int bits = i % 40 == 0 ? 16 + static_cast<int>(i / 40 % 8) : 24;
    make(ValueType::ip, ip_of(static_cast<uint32_t>(rng()) & (~0u << (32 - bits))) + "/" + std::to_string(bits), i);
  }
  for (size_t i = 0; i < 300'000; ++i) make(ValueType::domain, fmt::format("bad{}.example{}.com", i, i % 97), i);
  for (size_t i = 0; i < 100'000; ++i) make(ValueType::sha256, fmt::format("{:064x}", i * 2654435761ull), i);
  return v;
}

struct SnapFixture {
  std::vector<Indicator> inds = million_indicators();
  std::shared_ptr<const Snapshot> snap;
  size_t rss_growth = 0;
  // What events carry (as text): two addresses, a domain and a hash. One event in 10 carries a
  // listed address and one in 20 a listed domain (far more than real traffic, where hits are rare).
  std::vector<std::string> text;
  std::vector<std::vector<EventObservable>> events;
  SnapFixture() {
    size_t before = rss_bytes();
    {
      SnapshotBuilder b;
      for (const auto& i : inds) b.add(i);
      snap = b.build(1'760'000'000'000);
    }
    rss_growth = rss_bytes() > before ? rss_bytes() - before : 0;
    std::mt19937 rng(11);
    text.reserve(4096 * 4);
    for (size_t i = 0; i < 4096; ++i) {
      bool hit = i % 10 == 0;
      text.push_back(ip_of(hit ? static_cast<uint32_t>(rng() % 560'000) * 2654435761u : static_cast<uint32_t>(rng())));
      text.push_back(ip_of(static_cast<uint32_t>(rng())));
      text.push_back(i % 20 == 0 ? fmt::format("www.bad{}.example{}.com", i, i % 97) : fmt::format("cdn{}.good.example.vn", i));
      text.push_back(fmt::format("{:064x}", (i + 7'000'000) * 2654435761ull));
    }
    for (size_t i = 0; i < 4096; ++i)
      events.push_back({{ValueType::ip, text[4 * i]}, {ValueType::ip, text[4 * i + 1]},
                        {ValueType::domain, text[4 * i + 2]}, {ValueType::sha256, text[4 * i + 3]}});
  }
};

SnapFixture& snap_fixture() {
  static SnapFixture f;
  return f;
}

void BM_SnapshotMatchEvent(benchmark::State& st) {
  auto& f = snap_fixture();
  std::vector<Hit> hits;
  size_t i = 0, n = 0;
  for (auto _ : st) {
    f.snap->match(f.events[i++ & 4095], 1'760'000'000'000, hits);
    n += hits.size();
  }
  benchmark::DoNotOptimize(n);
  st.SetItemsProcessed(st.iterations());
  st.counters["hits_per_event"] = static_cast<double>(n) / static_cast<double>(st.iterations());
  st.counters["bytes_per_indicator"] = static_cast<double>(f.snap->memory_bytes()) / f.snap->size();
  st.counters["rss_bytes_per_indicator"] = static_cast<double>(f.rss_growth) / f.snap->size();
}
BENCHMARK(BM_SnapshotMatchEvent);

// A new snapshot of the million (what an update of any size costs, off the matching thread).
void BM_SnapshotBuild1M(benchmark::State& st) {
  auto& f = snap_fixture();
  for (auto _ : st) {
    SnapshotBuilder b;
    for (const auto& i : f.inds) b.add(i);
    benchmark::DoNotOptimize(b.build(1'760'000'000'000));
  }
  st.SetItemsProcessed(st.iterations() * static_cast<int64_t>(f.inds.size()));
}
BENCHMARK(BM_SnapshotBuild1M)->Unit(benchmark::kMillisecond)->Iterations(2);

// Matching through the holder while another thread rebuilds the million plus 100,000 new
// indicators and swaps them in, again and again: throughput should stay near BM_SnapshotMatchEvent's
// (on a machine with a core for each thread).
void BM_MatchWhileUpdating(benchmark::State& st) {
  auto& f = snap_fixture();
  SnapshotHolder holder;
  holder.set(f.snap);
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::vector<Indicator> extra;
  for (size_t i = 0; i < 100'000; ++i) {
    Indicator ind;
    ind.ref = fmt::format("feed--update--domain--new{}.example", i);
    ind.source = "update";
    ind.any_of = {{{ValueType::domain, fmt::format("new{}.example", i)}}};
    extra.push_back(std::move(ind));
  }
  std::thread updater([&] {
    while (!stop.load()) {
      SnapshotBuilder b;
      for (const auto& i : f.inds) b.add(i);
      for (const auto& i : extra) b.add(i);
      holder.set(b.build(1'760'000'000'000));
      ++swaps;
    }
  });
  std::vector<Hit> hits;
  size_t i = 0, n = 0;
  for (auto _ : st) {
    auto snap = holder.get();  // once per batch of 256 events, as the pipeline does per batch
    for (int k = 0; k < 256; ++k) {
      snap->match(f.events[i++ & 4095], 1'760'000'000'000, hits);
      n += hits.size();
    }
  }
  stop = true;
  updater.join();
  benchmark::DoNotOptimize(n);
  st.SetItemsProcessed(st.iterations() * 256);
  st.counters["swaps"] = swaps.load();
}
BENCHMARK(BM_MatchWhileUpdating)->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
