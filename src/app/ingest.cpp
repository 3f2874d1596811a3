// Ingest: a body of one source type -> decoded, normalised records -> the spool (durable).
#include <unordered_map>

#include <fmt/format.h>

#include "app/server.h"
#include "core/strings.h"

namespace lachan::app {
namespace {

// The record's JSON object with the feed's victim hints added as "lachan_victim".
void append_with_hints(std::string& out, std::string_view json, const parse::VictimHints& h) {
  size_t close = json.rfind('}');
  if (close == std::string_view::npos || h.empty()) {
    out.append(json);
    return;
  }
  std::string_view head = json.substr(0, close);
  out.append(head);
  size_t last = head.find_last_not_of(" \t\r\n");
  if (last != std::string_view::npos && head[last] != '{') out += ',';
  out += "\"lachan_victim\":{\"ips\":[";
  for (size_t i = 0; i < h.ips.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, h.ips[i]);
  }
  out += "],\"domains\":[";
  for (size_t i = 0; i < h.domains.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, h.domains[i]);
  }
  out += "],\"asns\":[";
  for (size_t i = 0; i < h.asns.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(h.asns[i]);
  }
  out += "]}}";
}

parse::Decoder& decoder_for(const parse::Source& source, const parse::Limits& limits) {
  thread_local std::unordered_map<std::string, std::unique_ptr<parse::Decoder>> cache;
  std::string key = fmt::format("{}:{}:{}", parse::source_type_name(source.type), source.zeek_log, limits.max_record_bytes);
  auto& d = cache[key];
  if (!d) d = std::make_unique<parse::Decoder>(source, limits);
  return *d;
}

}  // namespace

IngestMetrics::IngestMetrics(api::metrics::Registry& m)
    : refused(m.counter("lachan_ingest_refused_total", "Ingest batches refused because the spool is full or behind")) {
  for (size_t i = 0; i < parse::kSourceTypeCount; ++i) {
    api::metrics::Labels source{{"source", parse::source_type_name(static_cast<parse::SourceType>(i))}};
    received[i] = &m.counter("lachan_events_received_total", "Events accepted into the spool", source);
    rejected[i] = &m.counter("lachan_events_rejected_total", "Records refused at ingest", source);
  }
}

IngestResult ingest_body(ServerContext& ctx, std::string_view org, const parse::Source& source, std::string_view body,
                         int64_t received_at_ms) {
  IngestResult r;
  auto& m = *ctx.ingest_metrics;
  const char* type_name = parse::source_type_name(source.type);
  const auto type = static_cast<size_t>(source.type);
  parse::Limits limits;
  limits.max_record_bytes = ctx.cfg.max_record_bytes;
  parse::Decoder& dec = decoder_for(source, limits);
  thread_local std::string decoded, payloads;
  thread_local std::vector<std::pair<size_t, size_t>> spans;
  decoded.clear();
  payloads.clear();
  spans.clear();
  const bool feed = source.type == parse::SourceType::cert_feed;
  bool over = false;
  dec.decode_body(
      body, decoded,
      [&](const parse::Decoded& d, uint64_t) {
        if (spans.size() >= ctx.cfg.max_batch_records) {
          over = true;
          return;
        }
        size_t start = payloads.size();
        std::string_view json(decoded.data() + d.offset, d.length);
        if (feed) append_with_hints(payloads, json, dec.hints());
        else payloads.append(json);
        spans.emplace_back(start, payloads.size() - start);
      },
      [&](uint64_t line, const Error& e) {
        ++r.rejected;
        if (r.errors.size() < 100) r.errors.push_back(IngestError{line, e.message});
      });
  if (over) {
    r.status = 413;
    r.message = fmt::format("the batch has more than {} records (max_batch_records); split it", ctx.cfg.max_batch_records);
    r.rejected += spans.size();
    return r;
  }
  if (!spans.empty()) {
    std::vector<bus::Record> recs;
    recs.reserve(spans.size());
    for (const auto& [off, len] : spans)
      recs.push_back(bus::Record{type_name, org, received_at_ms, std::string_view(payloads.data() + off, len)});
    auto a = ctx.spool->append(recs);
    if (!a.ok()) {
      r.status = a.error().code == Errc::busy ? 503 : a.error().code == Errc::limit ? 413 : 500;
      r.message = a.error().code == Errc::busy ? "the spool is full or behind; retry later" : a.error().message;
      m.refused.inc();
      r.rejected += spans.size();
      return r;
    }
    r.accepted = spans.size();
  }
  m.received[type]->inc(r.accepted);
  m.rejected[type]->inc(r.rejected);
  if (r.accepted == 0 && r.rejected > 0) r.status = 400;
  return r;
}

}  // namespace lachan::app
