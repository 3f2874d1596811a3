// The indicator index with 1,000,000 indicators (600,000 addresses and networks, 300,000
// domains, 100,000 SHA-256): lookups per second for the observables of an event, and the
// index's bytes per indicator (reported as a counter).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "intel/indicator_index.h"

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

}  // namespace

BENCHMARK_MAIN();
