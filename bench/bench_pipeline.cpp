// The detection pipeline of `lachan serve` alone (spool -> flatten -> Sigma -> warnings ->
// SQLite), without HTTP: how many spooled events per second one pipeline thread processes.
//   bench_pipeline [EVENTS.jsonl] [N] [HOSTS]
// (default: the demo's windows-endpoints.jsonl, 200,000 events, 50 hosts)
// Records are evtx_dump JSON lines, spooled as org bvhn-nghe-an with host names varied over 50
// hosts (serve_bench.py's clients send 1,600); the bundled rules and the demo constituency are used.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "app/pipeline.h"
#include "constituency/org_io.h"
#include "bus/local/local_spool.h"
#include "constituency/reference.h"
#include "store/sqlite/sqlite_store.h"

namespace fs = std::filesystem;
using namespace lachan;

#ifndef LACHAN_SOURCE_DIR
#define LACHAN_SOURCE_DIR "."
#endif

static std::string read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

static int fail(const std::string& what, const Error& e) {
  fmt::print(stderr, "bench_pipeline: {}: {}\n", what, e.message);
  return 1;
}

int main(int argc, char** argv) {
  std::string src = LACHAN_SOURCE_DIR;
  std::string events = argc > 1 ? argv[1] : src + "/demo/windows-endpoints.jsonl";
  size_t n = argc > 2 ? std::stoul(argv[2]) : 200'000;
  size_t hosts = argc > 3 ? std::max<size_t>(1, std::stoul(argv[3])) : 50;

  fs::path dir = fs::temp_directory_path() / fmt::format("lachan-bench-pipeline-{}", ::getpid());
  fs::create_directories(dir);
  auto st = store::open_sqlite_store((dir / "lachan.db").string());
  if (!st.ok()) return fail("store", st.error());
  auto orgs = constituency::parse_orgs_json(read_all(src + "/demo/constituency.json"));
  if (!orgs.ok()) return fail("constituency", orgs.error());
  if (auto r = (*st)->upsert_organisations(*orgs); !r.ok()) return fail("store orgs", r.error());
  auto ref = constituency::load_reference(src + "/config/reference");
  if (!ref.ok()) return fail("reference", ref.error());
  auto snap = constituency::Constituency::build(*orgs, *ref);
  if (!snap.ok()) return fail("constituency", snap.error());
  app::RegistryHolder registry(*snap);

  sigma::RulesetOptions ro;
  ro.rule_paths = {src + "/rules"};
  ro.mapping_paths = {src + "/config/logsources"};
  ro.placeholders_path = src + "/config/placeholders.yml";
  sigma::Diagnostics diags;
  sigma::LoadStats stats;
  auto rules = sigma::Ruleset::load(ro, diags, stats);

  // Events: the lines of the file with "Computer" set to one of 50 hosts.
  std::vector<std::string> lines;
  {
    std::istringstream in(read_all(events));
    std::string l;
    while (std::getline(in, l))
      if (l.find("\"Computer\"") != std::string::npos) lines.push_back(l);
  }
  if (lines.empty()) {
    fmt::print(stderr, "bench_pipeline: no evtx_dump JSON lines with a Computer in {}\n", events);
    return 1;
  }
  auto spool = bus::open_local_spool((dir / "spool").string(), {});
  if (!spool.ok()) return fail("spool", spool.error());
  std::vector<std::string> payloads;
  std::vector<bus::Record> batch;
  int64_t now = store::system_now();
  for (size_t i = 0; i < n;) {
    payloads.clear();
    batch.clear();
    for (size_t k = 0; k < 1000 && i < n; ++k, ++i) {
      std::string p = lines[i % lines.size()];
      size_t at = p.find("\"Computer\"");
      size_t q1 = p.find('"', p.find(':', at) + 1);
      size_t q2 = p.find('"', q1 + 1);
      if (q1 != std::string::npos && q2 != std::string::npos)
        p.replace(q1 + 1, q2 - q1 - 1, fmt::format("h{}.corp.local", i % hosts));
      payloads.push_back(std::move(p));
    }
    for (const auto& p : payloads) batch.push_back(bus::Record{"windows", "bvhn-nghe-an", now, p});
    if (auto r = (*spool)->append(batch); !r.ok()) return fail("spool append", r.error());
  }

  api::metrics::Registry metrics;
  app::Pipeline pipeline(**spool, **st, rules, registry, app::PipelineOptions{}, metrics);
  auto t0 = std::chrono::steady_clock::now();
  if (auto r = pipeline.start(); !r.ok()) return fail("pipeline", r.error());
  while (pipeline.processed_offset() < n) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  pipeline.stop(false);
  std::string m = metrics.render();
  auto metric = [&](std::string_view name) {
    size_t at = m.find(fmt::format("\n{} ", name));
    return at == std::string::npos ? 0.0 : std::stod(m.substr(at + name.size() + 2));
  };
  fmt::print("events {} ({} distinct from {}, {} hosts), {:.2f} s: {:.0f} events/s; detections {:.0f}, warnings created {:.0f}, "
             "merged {:.0f}\n",
             n, lines.size(), events, hosts, s, n / s, metric("lachan_detections_total"), metric("lachan_warnings_created_total"),
             metric("lachan_warnings_merged_total"));
  (void)(*st)->close();
  fs::remove_all(dir);
  return 0;
}
