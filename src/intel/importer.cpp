#include "intel/importer.h"

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "intel/misp.h"
#include "intel/stix_import.h"

namespace lachan::intel {
namespace json = boost::json;
namespace {

Result<std::string> read_file(const std::filesystem::path& p, size_t max_bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(p, ec);
  if (ec) return make_error(Errc::io, "cannot read " + p.string() + ": " + ec.message());
  if (size > max_bytes)
    return make_error(Errc::limit, p.string() + " is " + std::to_string(size) + " bytes, over the limit of " +
                                       std::to_string(max_bytes));
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_url(std::string_view s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

Result<std::string> fetch_url(const std::string& url, size_t max_bytes) {
  FeedDefinition d;
  d.name = "import";
  d.url = url;
  d.max_bytes = max_bytes;
  FetchOptions o;
  o.max_bytes = max_bytes;
  return fetch_feed_body(d, o);
}

}  // namespace

std::optional<ImportFormat> parse_import_format(std::string_view s) noexcept {
  if (s.empty() || s == "auto") return ImportFormat::automatic;
  if (s == "stix") return ImportFormat::stix;
  if (s == "misp") return ImportFormat::misp;
  if (s == "misp-feed") return ImportFormat::misp_feed;
  if (s == "feed" || s == "csv") return ImportFormat::feed;
  return std::nullopt;
}

const char* import_format_name(ImportFormat f) noexcept {
  switch (f) {
    case ImportFormat::automatic: return "auto";
    case ImportFormat::stix: return "stix";
    case ImportFormat::misp: return "misp";
    case ImportFormat::misp_feed: return "misp-feed";
    case ImportFormat::feed: return "feed";
  }
  return "auto";
}

Result<ImportFormat> detect_format(std::string_view body) {
  std::error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec)
    return make_error(Errc::malformed,
                      "cannot tell the format: not JSON (" + ec.message() +
                          "); a CSV or line feed needs --format feed and a feed definition");
  if (const json::object* o = v.if_object()) {
    if (o->contains("Event") || o->contains("response") || o->contains("Attribute")) return ImportFormat::misp;
    if (o->contains("objects") || (o->contains("type") && o->contains("id"))) return ImportFormat::stix;
    // A MISP feed manifest: uuid -> event summary.
    if (!o->empty() && o->begin()->value().is_object() && o->begin()->value().get_object().contains("info"))
      return make_error(Errc::malformed, "this is a MISP feed manifest: import its folder or URL with --format misp-feed");
  }
  return make_error(Errc::malformed,
                    "cannot tell the format: neither a STIX bundle/envelope/object nor a MISP event");
}

Result<ImportBatch> import_document(std::string_view body, ImportFormat format, const ImportOptions& opts,
                                    const FeedDefinition* feed, int64_t now_ms) {
  if (format == ImportFormat::automatic) {
    auto f = detect_format(body);
    if (!f) return std::move(f).error();
    format = *f;
  }
  switch (format) {
    case ImportFormat::stix: return import_stix(body, opts);
    case ImportFormat::misp: return import_misp_event(body, opts);
    case ImportFormat::feed:
      if (!feed) return make_error(Errc::invalid_config, "a feed import needs a feed definition (--feed NAME)");
      return parse_feed(*feed, body, now_ms);
    case ImportFormat::misp_feed:
      return make_error(Errc::unsupported, "a MISP feed is a folder or URL with manifest.json, not one document");
    case ImportFormat::automatic: break;
  }
  return make_error(Errc::internal, "unreachable import format");
}

Result<ImportBatch> import_location(const std::string& location, ImportFormat format, const ImportOptions& opts,
                                    const FeedDefinition* feed, int64_t now_ms, size_t max_bytes) {
  if (is_url(location)) {
    if (format == ImportFormat::misp_feed) {
      std::string base = location;
      if (base.size() >= 13 && base.compare(base.size() - 13, 13, "manifest.json") == 0) base.resize(base.size() - 13);
      if (base.empty() || base.back() != '/') base += '/';
      auto manifest = fetch_url(base + "manifest.json", max_bytes);
      if (!manifest) return std::move(manifest).error();
      return import_misp_feed(
          *manifest, [&](std::string_view uuid) { return fetch_url(base + std::string(uuid) + ".json", max_bytes); },
          opts);
    }
    auto body = fetch_url(location, max_bytes);
    if (!body) return std::move(body).error();
    return import_document(*body, format, opts, feed, now_ms);
  }
  std::error_code ec;
  if (std::filesystem::is_directory(location, ec)) {
    if (format != ImportFormat::automatic && format != ImportFormat::misp_feed)
      return make_error(Errc::malformed, location + " is a folder: only a MISP feed (manifest.json + events) is");
    return import_misp_feed_dir(location, opts);
  }
  auto body = read_file(location, max_bytes);
  if (!body) return std::move(body).error();
  auto batch = import_document(*body, format, opts, feed, now_ms);
  if (!batch) return make_error(batch.error().code, location + ": " + batch.error().message);
  return batch;
}

std::string feed_state_to_json(const FeedState& s) {
  return json::serialize(json::object{{"last_attempt", s.last_attempt_ms},
                                      {"last_success", s.last_success_ms},
                                      {"last_error", s.last_error},
                                      {"indicators", s.indicator_count},
                                      {"sha256", s.content_sha256}});
}

std::optional<FeedState> feed_state_from_json(std::string_view text) {
  std::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return std::nullopt;
  FeedState s;
  auto i64 = [&](const char* k) -> int64_t {
    const json::value* x = o->if_contains(k);
    return x && x->is_int64() ? x->get_int64() : x && x->is_uint64() ? static_cast<int64_t>(x->get_uint64()) : 0;
  };
  auto str = [&](const char* k) -> std::string {
    const json::value* x = o->if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  s.last_attempt_ms = i64("last_attempt");
  s.last_success_ms = i64("last_success");
  s.last_error = str("last_error");
  s.indicator_count = static_cast<size_t>(i64("indicators"));
  s.content_sha256 = str("sha256");
  return s;
}

Result<std::map<std::string, FeedState>> load_feed_states(store::Store& store) {
  auto rows = store.list_state("feed");
  if (!rows) return std::move(rows).error();
  std::map<std::string, FeedState> out;
  for (const auto& [k, v] : *rows)
    if (auto s = feed_state_from_json(v)) out.emplace(k, std::move(*s));
  return out;
}

FeedPullOutcome pull_feed(const FeedDefinition& def, FeedScheduler& sched, store::Store& store, int64_t now_ms,
                          const std::function<Result<void>(const ImportBatch&)>& sink, const FetchOptions& fetch) {
  FeedPullOutcome out;
  auto fail = [&](std::string e) {
    sched.record_failure(def.name, now_ms, e);
    out.error = std::move(e);
  };
  auto body = fetch_feed_body(def, fetch);
  if (!body) {
    fail(body.error().message);
  } else {
    std::string sha = sha256_hex(*body);
    if (sched.unchanged(def.name, sha)) {
      sched.record_unchanged(def.name, now_ms);
      out.ok = out.unchanged = true;
      if (const FeedState* s = sched.state(def.name)) out.indicators = s->indicator_count;
    } else if (auto batch = parse_feed(def, *body, now_ms); !batch) {
      fail(batch.error().message);
    } else if (auto r = sink(*batch); !r) {
      fail("store: " + r.error().message);
    } else {
      sched.record_success(def.name, now_ms, sha, batch->indicators.size());
      out.ok = true;
      out.indicators = batch->indicators.size();
    }
  }
  if (const FeedState* s = sched.state(def.name)) (void)store.put_state("feed", def.name, feed_state_to_json(*s), now_ms);
  return out;
}

}  // namespace lachan::intel
