#include "detect/scan.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/strings.h"
#include "core/time.h"
#include "detect/flatten.h"

namespace lachan::detect {
namespace {

using sigma::CorrelationHit;
using sigma::CorrelationInput;

struct Row {  // one detection kept for the table and CSV formats
  sigma::Level level;
  std::string time, rule_id, title, tags, file;  // file: for a correlation, its group values
  uint64_t index = 0;                            // for a correlation, its number of events
  bool correlation = false;
};

struct Task {
  uint64_t seq = 0;
  uint32_t file = 0;
  std::unique_ptr<io::RecordBatch> batch;
};

struct BatchResult {
  uint64_t seq = 0;
  std::string out;
  std::vector<Row> rows;
  std::vector<CorrelationInput> corr;
  std::vector<std::string> errors;
  uint64_t events = 0, detections = 0, malformed = 0, no_time = 0;
  std::unique_ptr<io::RecordBatch> batch;  // returned for reuse
};

const char* level_color(sigma::Level l) {
  switch (l) {
    case sigma::Level::critical: return "\033[1;31m";
    case sigma::Level::high: return "\033[31m";
    case sigma::Level::medium: return "\033[33m";
    case sigma::Level::low: return "\033[32m";
    case sigma::Level::informational: return "\033[36m";
  }
  return "";
}

void append_tags(std::string& out, const std::vector<std::string>& tags) {
  out += '[';
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, tags[i]);
  }
  out += ']';
}

std::string join(const std::vector<std::string>& v, char sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + '"';
}

class Scanner {
 public:
  Scanner(const sigma::Ruleset& rs, const ScanOptions& opt, FILE* out, FILE* err)
      : rs_(rs), opt_(opt), out_(out), err_(err),
        engine_(rs.correlations(), opt.correlation_tolerance_ns > 0 ? opt.correlation_tolerance_ns
                                                                     : int64_t(100) * 365 * 86400 * 1000000000LL) {}

  ScanSummary run() {
    auto t0 = std::chrono::steady_clock::now();
    size_t nthreads = std::max<size_t>(1, opt_.threads);
    std::vector<std::thread> pool;
    if (nthreads > 1)
      for (size_t i = 0; i < nthreads; ++i) pool.emplace_back([this] { worker_loop(); });
    std::optional<Worker> inline_worker;  // one thread: batches are processed here
    if (nthreads == 1) inline_worker.emplace(rs_);

    for (uint32_t fi = 0; fi < opt_.inputs.size(); ++fi) {
      const std::string& path = opt_.inputs[fi];
      files_.push_back(path);
      auto reader = io::open_reader(path, opt_.reader);
      if (!reader.ok()) {
        fmt::print(err_, "error: {}: {}\n", path, reader.error().message);
        ++sum_.inputs_failed;
        continue;
      }
      shown_errors_ = 0;
      while (true) {
        auto batch = take_batch();
        auto more = (*reader)->next(*batch, opt_.batch_size);
        if (!more.ok()) {
          fmt::print(err_, "error: {}: {}\n", path, more.error().message);
          ++sum_.inputs_failed;
          break;
        }
        if (!*more && batch->records.empty() && batch->malformed.empty()) {
          give_batch(std::move(batch));
          break;
        }
        Task t{next_seq_++, fi, std::move(batch)};
        if (nthreads == 1) {
          BatchResult r = inline_worker->process(*this, std::move(t));
          write(std::move(r));
        } else {
          submit(std::move(t));
        }
        if (!*more) break;
      }
      if (nthreads > 1) drain(next_seq_);  // finish this input before the next one's messages
    }
    if (nthreads > 1) {
      drain(next_seq_);
      {
        std::lock_guard<std::mutex> lk(mu_);
        closing_ = true;
      }
      cv_task_.notify_all();
      for (auto& th : pool) th.join();
    }
    std::vector<CorrelationHit> hits;
    engine_.flush(hits);
    write_hits(hits);
    if (opt_.format == OutputFormat::table) print_table();
    std::fflush(out_);
    sum_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sum_;
  }

 private:
  struct Worker {
    explicit Worker(const sigma::Ruleset& rs)
        : flat(rs.fields(), rs.needs_keyword_values(), rs.has_event_paths()), ctx(rs) {}
    Flattener flat;
    sigma::MatchContext ctx;
    Event ev;
    std::vector<uint32_t> hits;
    std::string minified;

    BatchResult process(Scanner& s, Task t);
  };

  std::unique_ptr<io::RecordBatch> take_batch() {
    std::lock_guard<std::mutex> lk(pool_mu_);
    if (free_.empty()) return std::make_unique<io::RecordBatch>();
    auto b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void give_batch(std::unique_ptr<io::RecordBatch> b) {
    if (!b) return;
    std::lock_guard<std::mutex> lk(pool_mu_);
    free_.push_back(std::move(b));
  }

  void submit(Task t) {
    std::unique_lock<std::mutex> lk(mu_);
    size_t limit = opt_.threads * 2 + 2;
    while (tasks_.size() + in_flight_ >= limit) {
      // Write whatever is ready in order while waiting for room.
      flush_ready(lk);
      if (tasks_.size() + in_flight_ >= limit) cv_done_.wait(lk);
    }
    tasks_.push_back(std::move(t));
    lk.unlock();
    cv_task_.notify_one();
  }

  void worker_loop() {
    Worker w(rs_);
    while (true) {
      Task t;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_task_.wait(lk, [&] { return closing_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        t = std::move(tasks_.front());
        tasks_.pop_front();
        ++in_flight_;
      }
      BatchResult r = w.process(*this, std::move(t));
      {
        std::lock_guard<std::mutex> lk(mu_);
        --in_flight_;
        done_.emplace(r.seq, std::move(r));
      }
      cv_done_.notify_all();
    }
  }

  // Called with the lock held; writes results that are next in order.
  void flush_ready(std::unique_lock<std::mutex>& lk) {
    while (true) {
      auto it = done_.find(written_seq_);
      if (it == done_.end()) return;
      BatchResult r = std::move(it->second);
      done_.erase(it);
      lk.unlock();
      write(std::move(r));
      lk.lock();
    }
  }

  void drain(uint64_t until) {
    std::unique_lock<std::mutex> lk(mu_);
    while (written_seq_ < until) {
      flush_ready(lk);
      if (written_seq_ < until) cv_done_.wait(lk);
    }
  }

  void write(BatchResult r) {
    ++written_seq_;
    sum_.events += r.events;
    sum_.detections += r.detections;
    sum_.malformed += r.malformed;
    sum_.events_without_time += r.no_time;
    for (const auto& e : r.errors) {
      if (shown_errors_++ < opt_.max_errors_shown) fmt::print(err_, "{}\n", e);
      else if (shown_errors_ == opt_.max_errors_shown + 1) fmt::print(err_, "warning: further malformed records in this input are counted, not shown\n");
    }
    if (!r.out.empty()) std::fwrite(r.out.data(), 1, r.out.size(), out_);
    for (auto& row : r.rows) {
      if (opt_.format == OutputFormat::csv) write_csv_row(row);
      else rows_.push_back(std::move(row));
    }
    std::vector<CorrelationHit> hits;
    for (const auto& in : r.corr) engine_.add(in, hits);
    write_hits(hits);
    give_batch(std::move(r.batch));
  }

  void write_hits(const std::vector<CorrelationHit>& hits) {
    for (const auto& h : hits) {
      if (!engine_.reports(h.correlation)) continue;
      const auto& c = rs_.correlations()[h.correlation];
      auto lvl = sigma::parse_level(c.level).value_or(sigma::Level::medium);
      if (lvl < opt_.min_level) continue;
      ++sum_.correlation_detections;
      ++sum_.detections;
      std::string ts = format_timestamp(h.ts_ns);
      if (opt_.format == OutputFormat::jsonl) {
        std::string o = "{\"rule\":{\"id\":";
        append_json_string(o, c.id);
        o += ",\"title\":";
        append_json_string(o, c.title);
        o += ",\"level\":";
        append_json_string(o, sigma::level_name(lvl));
        o += ",\"tags\":";
        append_tags(o, c.tags);
        o += ",\"correlation\":";
        append_json_string(o, sigma::correlation_type_name(c.type));
        o += "},\"group\":{";
        for (size_t i = 0; i < c.group_by.size() && i < h.group.size(); ++i) {
          if (i) o += ',';
          append_json_string(o, c.group_by[i]);
          o += ':';
          append_json_string(o, h.group[i]);
        }
        o += "},\"timestamp\":";
        append_json_string(o, ts);
        o += ",\"first_timestamp\":";
        append_json_string(o, format_timestamp(h.first_ts_ns));
        o += ",\"last_timestamp\":";
        append_json_string(o, format_timestamp(h.last_ts_ns));
        o += fmt::format(",\"value\":{},\"events\":[", h.value);
        for (size_t i = 0; i < h.events.size(); ++i) {
          if (i) o += ',';
          uint32_t fi = static_cast<uint32_t>(h.events[i] >> 40);
          o += "{\"file\":";
          append_json_string(o, fi < files_.size() ? files_[fi] : "");
          o += fmt::format(",\"index\":{}}}", h.events[i] & ((uint64_t(1) << 40) - 1));
        }
        o += "]}\n";
        std::fwrite(o.data(), 1, o.size(), out_);
      } else if (opt_.format != OutputFormat::none) {
        Row row{lvl, ts, c.id, c.title + " [correlation]", join(c.tags, ';'), join(h.group, '/'), h.events.size(), true};
        if (opt_.format == OutputFormat::csv) write_csv_row(row);
        else rows_.push_back(std::move(row));
      }
    }
  }

  void write_csv_row(const Row& r) {
    if (!csv_header_) {
      fmt::print(out_, "timestamp,level,rule_id,rule_title,tags,file,index\n");
      csv_header_ = true;
    }
    fmt::print(out_, "{},{},{},{},{},{},{}\n", csv_field(r.time), sigma::level_name(r.level), csv_field(r.rule_id),
               csv_field(r.title), csv_field(r.tags), csv_field(r.file), r.index);
  }

  void print_table() {
    std::stable_sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) { return a.level > b.level; });
    size_t wt = 9, wr = 4;
    for (const auto& r : rows_) {
      wt = std::max(wt, r.time.size());
      wr = std::min<size_t>(std::max(wr, r.title.size()), 70);
    }
    bool first = true;
    for (size_t i = 0; i < rows_.size();) {
      sigma::Level lvl = rows_[i].level;
      size_t j = i;
      while (j < rows_.size() && rows_[j].level == lvl) ++j;
      std::string head = fmt::format("{} ({} detection{})", sigma::level_name(lvl), j - i, j - i == 1 ? "" : "s");
      for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!first) fmt::print(out_, "\n");
      first = false;
      if (opt_.color) fmt::print(out_, "{}{}\033[0m\n", level_color(lvl), head);
      else fmt::print(out_, "{}\n", head);
      fmt::print(out_, "  {:<{}}  {:<{}}  {}\n", "TIMESTAMP", wt, "RULE", wr, "SOURCE");
      for (; i < j; ++i) {
        const Row& r = rows_[i];
        std::string title = r.title.size() > wr ? r.title.substr(0, wr - 1) + "~" : r.title;
        std::string ts = r.time.empty() ? "-" : r.time;
        std::string source = r.correlation ? fmt::format("group {} ({} events)", r.file.empty() ? "-" : r.file, r.index)
                                           : fmt::format("{} (record {})", r.file, r.index);
        if (opt_.color)
          fmt::print(out_, "  {:<{}}  {}{:<{}}\033[0m  {}\n", ts, wt, level_color(lvl), title, wr, source);
        else
          fmt::print(out_, "  {:<{}}  {:<{}}  {}\n", ts, wt, title, wr, source);
      }
    }
    if (rows_.empty()) fmt::print(out_, "no detections\n");
  }

  const sigma::Ruleset& rs_;
  const ScanOptions& opt_;
  FILE* out_;
  FILE* err_;
  sigma::CorrelationEngine engine_;
  ScanSummary sum_;
  std::vector<std::string> files_;
  std::vector<Row> rows_;
  bool csv_header_ = false;
  size_t shown_errors_ = 0;

  std::mutex mu_;
  std::condition_variable cv_task_, cv_done_;
  std::deque<Task> tasks_;
  std::map<uint64_t, BatchResult> done_;
  size_t in_flight_ = 0;
  bool closing_ = false;
  uint64_t next_seq_ = 0, written_seq_ = 0;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<io::RecordBatch>> free_;

  friend struct Worker;
};

BatchResult Scanner::Worker::process(Scanner& s, Task t) {
  BatchResult r;
  r.seq = t.seq;
  const io::RecordBatch& b = *t.batch;
  const std::string& file = s.opt_.inputs[t.file];
  const auto& rules = s.rs_.rules();
  for (const auto& m : b.malformed) {
    ++r.malformed;
    r.errors.push_back(m.line ? fmt::format("malformed: {}:{} (record {}): {}", file, m.line, m.index, m.reason)
                              : fmt::format("malformed: {} (record {}): {}", file, m.index, m.reason));
  }
  for (const auto& rec : b.records) {
    std::string_view json = b.text(rec);
    auto ok = flat.flatten(json, ev);
    if (!ok.ok()) {
      ++r.malformed;
      r.errors.push_back(rec.line ? fmt::format("malformed: {}:{} (record {}): {}", file, rec.line, rec.index, ok.error().message)
                                  : fmt::format("malformed: {} (record {}): {}", file, rec.index, ok.error().message));
      continue;
    }
    ++r.events;
    hits.clear();
    s.rs_.match(ev, ctx, hits);
    if (hits.empty()) continue;
    std::optional<int64_t> ts = s.rs_.event_time(ev);
    if (!ts) ++r.no_time;
    // The timestamp's text only when a detection is written with it (not for --format none);
    // empty when the event has no time.
    std::string ts_text;
    auto ts_string = [&]() -> const std::string& {
      if (ts && ts_text.empty()) ts_text = format_timestamp(*ts);
      return ts_text;
    };
    for (uint32_t ci : hits) {
      const sigma::CompiledRule& cr = s.rs_.compiled(ci);
      const sigma::RuleInfo& info = rules[cr.rule];
      for (size_t k = 0; k < info.feeds.size() && ts; ++k) {
        CorrelationInput in;
        in.correlation = info.feeds[k].first;
        in.rule_pos = info.feeds[k].second;
        in.ts_ns = *ts;
        for (const auto& g : cr.group_fields[k]) in.group.push_back(first_text(ev, g));
        if (!cr.value_field[k].empty()) in.value = first_text(ev, cr.value_field[k]);
        in.event = (uint64_t(t.file) << 40) | rec.index;
        r.corr.push_back(std::move(in));
      }
      if (!info.emit || info.level < s.opt_.min_level) continue;
      ++r.detections;
      switch (s.opt_.format) {
        case OutputFormat::jsonl: {
          std::string& o = r.out;
          o += "{\"rule\":{\"id\":";
          append_json_string(o, info.id);
          o += ",\"title\":";
          append_json_string(o, info.title);
          o += ",\"level\":";
          append_json_string(o, sigma::level_name(info.level));
          o += ",\"tags\":";
          append_tags(o, info.tags);
          o += "},\"source\":{\"file\":";
          append_json_string(o, file);
          o += fmt::format(",\"index\":{}}},\"timestamp\":", rec.index);
          if (ts) append_json_string(o, ts_string());
          else o += "null";
          o += ",\"event\":";
          minified.resize(json.size() + 1);
          size_t n = 0;
          if (simdjson::minify(json.data(), json.size(), minified.data(), n) == simdjson::SUCCESS) o.append(minified.data(), n);
          else o.append(json);
          o += "}\n";
          break;
        }
        case OutputFormat::csv:
        case OutputFormat::table:
          r.rows.push_back(Row{info.level, ts_string(), info.id, info.title, join(info.tags, ';'), file, rec.index});
          break;
        case OutputFormat::none: break;
      }
    }
  }
  r.batch = std::move(t.batch);
  return r;
}

}  // namespace

ScanSummary run_scan(const sigma::Ruleset& rules, const ScanOptions& options, FILE* out, FILE* err) {
  Scanner s(rules, options, out, err);
  return s.run();
}

}  // namespace lachan::detect
