// Source types, the Decoder's dispatch, and the JSON decoders (json, windows, winlogbeat,
// suricata, zeek). Text decoders are in text_decoders.cpp, CSV in cert_feed.cpp.
#include "parse/decoder.h"

#include <cmath>
#include <cstring>

#include "core/time.h"
#include "parse/json_out.h"

namespace lachan::parse {

namespace dom = simdjson::dom;
using detail::ObjectWriter;

namespace {

constexpr const char* kNames[kSourceTypeCount] = {"json",   "windows",    "winlogbeat", "suricata",  "zeek",
                                                  "auditd", "web_access", "cef",        "cert_feed", "syslog"};

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A looked-up value that may be absent (a default dom::element must not be touched).
struct Val {
  dom::element e;
  bool ok = false;
  explicit operator bool() const { return ok; }
  bool is_string() const { return ok && e.is_string(); }
  std::string_view str() const {
    std::string_view s;
    if (ok && e.get_string().get(s)) s = {};
    return s;
  }
  bool object(dom::object& o) const { return ok && e.is_object() && !e.get(o); }
};

Val find(dom::object o, std::string_view key) {
  Val v;
  v.ok = !o.at_key(key).get(v.e);
  return v;
}

// Event time in ms from a string (any form parse_timestamp knows) or an epoch number.
int64_t time_ms_of(Val val) {
  if (!val) return 0;
  dom::element v = val.e;
  switch (v.type()) {
    case dom::element_type::STRING: {
      auto ns = parse_timestamp(v.get_string().value_unsafe());
      return ns ? *ns / 1000000 : 0;
    }
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: {
      double d = 0;
      if (v.get_double().get(d) || !(d > 0) || d > 1e15) return 0;
      return static_cast<int64_t>(d > 1e11 ? d : std::llround(d * 1000.0));
    }
    default:
      return 0;
  }
}

bool get_object(dom::element v, dom::object& o) { return v.is_object() && !v.get(o); }

}  // namespace

namespace detail {

void write_element(std::string& out, dom::element v) {
  switch (v.type()) {
    case dom::element_type::OBJECT: {
      out.push_back('{');
      bool first = true;
      for (auto [k, child] : dom::object(v)) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, k);
        out.push_back(':');
        write_element(out, child);
      }
      out.push_back('}');
      break;
    }
    case dom::element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (dom::element child : dom::array(v)) {
        if (!first) out.push_back(',');
        first = false;
        write_element(out, child);
      }
      out.push_back(']');
      break;
    }
    case dom::element_type::STRING:
      append_json_string(out, v.get_string().value_unsafe());
      break;
    case dom::element_type::INT64:
      ObjectWriter::append_int(out, v.get_int64().value_unsafe());
      break;
    case dom::element_type::UINT64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64().value_unsafe());
      out.append(buf, static_cast<size_t>(r.ptr - buf));
      break;
    }
    case dom::element_type::DOUBLE: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_double().value_unsafe());
      out.append(buf, static_cast<size_t>(r.ptr - buf));
      break;
    }
    case dom::element_type::BOOL:
      out.append(v.get_bool().value_unsafe() ? "true" : "false");
      break;
    default:
      out.append("null");
  }
}

}  // namespace detail

const char* source_type_name(SourceType t) noexcept {
  auto i = static_cast<size_t>(t);
  return i < kSourceTypeCount ? kNames[i] : "unknown";
}

Result<Source> parse_source(std::string_view name) {
  for (size_t i = 0; i < kSourceTypeCount; ++i)
    if (name == kNames[i]) return Source{static_cast<SourceType>(i), {}};
  if (name.size() > 5 && name.substr(0, 5) == "zeek_") {
    std::string_view log = name.substr(5);
    bool ok = log.size() <= 64;
    for (char c : log) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (ok) return Source{SourceType::zeek, std::string(log)};
  }
  return make_error(Errc::unsupported,
                    "unknown source type '" + std::string(name.substr(0, 64)) +
                        "' (expected json, windows, winlogbeat, suricata, zeek, zeek_<log>, auditd, web_access, "
                        "cef, cert_feed or syslog)");
}

Decoder::Decoder(Source source, Limits limits) : source_(std::move(source)), limits_(limits) {
  // Capacity grows on demand; the depth limit is kept when it does.
  if (parser_.allocate(4096, limits_.max_depth)) {
    // Out of memory here also fails the first parse, which reports it per record.
  }
}

Result<Decoded> Decoder::decode(std::string_view record, std::string& out) {
  if (record.size() > limits_.max_record_bytes)
    return make_error(Errc::limit, "record of " + std::to_string(record.size()) + " bytes exceeds max_record_bytes (" +
                                       std::to_string(limits_.max_record_bytes) + ")");
  const size_t start = out.size();
  Result<Decoded> r = [&]() -> Result<Decoded> {
    switch (source_.type) {
      case SourceType::json:
      case SourceType::windows:
      case SourceType::winlogbeat:
      case SourceType::suricata:
      case SourceType::zeek:
        return decode_json(record, out);
      case SourceType::auditd:
        return decode_auditd(record, out);
      case SourceType::web_access:
        return decode_web_access(record, out);
      case SourceType::cef:
        return decode_cef_or_syslog(record, out, true);
      case SourceType::syslog:
        return decode_cef_or_syslog(record, out, false);
      case SourceType::cert_feed:
        return decode_csv_row(record, out);
    }
    return make_error(Errc::internal, "unknown source type");
  }();
  if (!r) {
    out.resize(start);
    return r;
  }
  r->offset = start;
  r->length = out.size() - start;
  return r;
}

size_t Decoder::decode_body(std::string_view body, std::string& out, const EventFn& on_event,
                            const ErrorFn& on_error) {
  size_t n = 0;
  bool need_header = source_.type == SourceType::cert_feed;
  if (need_header) header_.clear();
  for_each_record(
      source_.type, body, limits_,
      [&](std::string_view rec, uint64_t line) {
        Result<Decoded> r = need_header ? [&]() -> Result<Decoded> {
          need_header = false;
          auto h = set_header(rec);
          if (!h) return h.error();
          return Decoded{};
        }()
                                        : decode(rec, out);
        if (!r) {
          on_error(line, make_error(r.error().code, "line " + std::to_string(line) + ": " + r.error().message));
        } else if (r->length) {
          ++n;
          on_event(*r, line);
        }
      },
      on_error);
  return n;
}

Result<Decoded> Decoder::decode_json(std::string_view record, std::string& out) {
  padded_.reserve(record.size() + simdjson::SIMDJSON_PADDING);
  padded_.assign(record);
  dom::element root;
  auto err = parser_.parse(padded_.data(), padded_.size(), false).get(root);
  if (err == simdjson::DEPTH_ERROR)
    return make_error(Errc::limit, "nesting depth exceeds max_depth (" + std::to_string(limits_.max_depth) + ")");
  if (err) return make_error(Errc::malformed, std::string("invalid JSON: ") + simdjson::error_message(err));
  dom::object obj;
  if (!get_object(root, obj)) return make_error(Errc::malformed, "expected a JSON object");
  if (obj.size() > limits_.max_fields)
    return make_error(Errc::limit, "more than max_fields (" + std::to_string(limits_.max_fields) + ") keys");

  Decoded d;
  std::string_view inject;  // "_path" for zeek_<log>
  switch (source_.type) {
    case SourceType::winlogbeat:
      return decode_winlogbeat(obj, out);
    case SourceType::windows: {
      dom::object ev, sys;
      if (!find(obj, "Event").object(ev) || !find(ev, "System").object(sys))
        return make_error(Errc::malformed, "expected the evtx_dump shape {\"Event\":{\"System\":{...}}}");
      dom::object tc, attrs;
      if (find(sys, "TimeCreated").object(tc) && find(tc, "#attributes").object(attrs))
        d.time_ms = time_ms_of(find(attrs, "SystemTime"));
      break;
    }
    case SourceType::suricata: {
      if (!find(obj, "event_type").is_string())
        return make_error(Errc::malformed, "no \"event_type\" string: not Suricata EVE JSON");
      d.time_ms = time_ms_of(find(obj, "timestamp"));
      break;
    }
    case SourceType::zeek: {
      Val ts = find(obj, "ts");
      if (!ts && !find(obj, "uid").is_string() &&
          !find(obj, "_path").is_string() && !find(obj, "@stream").is_string())
        return make_error(Errc::malformed, "no \"ts\", \"uid\", \"_path\" or \"@stream\": not a Zeek log record");
      d.time_ms = time_ms_of(ts);
      if (!source_.zeek_log.empty() && !find(obj, "_path") && !find(obj, "@stream"))
        inject = source_.zeek_log;
      break;
    }
    default: {
      static constexpr std::string_view kTimeKeys[] = {"@timestamp", "timestamp", "time", "ts", "TimeGenerated"};
      for (auto k : kTimeKeys) {
        d.time_ms = time_ms_of(find(obj, k));
        if (d.time_ms) break;
      }
    }
  }
  // Pass-through: the record as sent, minified when it spans lines (records travel as NDJSON).
  size_t brace = record.find('{');  // the root is an object, so there is one
  const size_t base = out.size();
  if (!inject.empty()) {
    out.append(record.substr(0, brace + 1));
    out.append("\"_path\":");
    append_json_string(out, inject);
    if (obj.size() > 0) out.push_back(',');
    out.append(record.substr(brace + 1));
  } else {
    out.append(record);
  }
  std::string_view written(out.data() + base, out.size() - base);
  if (written.find('\n') != std::string_view::npos || written.find('\r') != std::string_view::npos) {
    scratch_.resize(written.size());
    size_t len = 0;
    if (simdjson::minify(written.data(), written.size(), scratch_.data(), len) == simdjson::SUCCESS) {
      out.resize(base);
      out.append(scratch_.data(), len);
    }
  }
  return d;
}

// Winlogbeat / Elastic Agent → evtx_dump shape, so the Windows mappings (Channel + EventID,
// Provider_Name) and the flattener's EventData names apply unchanged.
Result<Decoded> Decoder::decode_winlogbeat(dom::object root, std::string& out) {
  dom::object wl;
  if (!find(root, "winlog").object(wl)) return make_error(Errc::malformed, "no \"winlog\" object: not a Winlogbeat event");
  Decoded d;
  Val ts = find(root, "@timestamp");
  d.time_ms = time_ms_of(ts);

  Val event_id = find(wl, "event_id");
  dom::object ecs_event;
  if (!event_id && find(root, "event").object(ecs_event)) event_id = find(ecs_event, "code");
  Val channel = find(wl, "channel");
  if (!event_id && !channel) return make_error(Errc::malformed, "winlog has neither channel nor event_id");

  auto put = [&](ObjectWriter& w, std::string_view key, Val v) {
    if (!v) return;
    w.key(key);
    detail::write_element(out, v.e);
  };
  using Attr = std::pair<std::string_view, Val>;
  auto attrs = [&](ObjectWriter& w, std::string_view element, std::initializer_list<Attr> a) {
    bool any = false;
    for (auto& [k, v] : a) any = any || v.ok;
    if (!any) return;
    w.begin(element);
    w.begin("#attributes");
    for (auto& [k, v] : a) put(w, k, v);
    w.end();
    w.end();
  };

  ObjectWriter w(out);
  w.begin("Event");
  w.begin("System");
  attrs(w, "Provider", {{"Name", find(wl, "provider_name")}, {"Guid", find(wl, "provider_guid")}});
  if (event_id) {
    w.key("EventID");
    std::string_view s = event_id.str();
    if (is_digits(s) && s.size() < 10)
      out.append(s);  // "4688" → 4688, as in evtx
    else
      detail::write_element(out, event_id.e);
  }
  put(w, "Version", find(wl, "version"));
  dom::object log;
  if (find(root, "log").object(log)) {
    // Windows level numbers, from winlogbeat's rendering of them.
    static constexpr std::pair<std::string_view, int> kLevels[] = {
        {"critical", 1}, {"error", 2}, {"warning", 3}, {"information", 4}, {"info", 4}, {"verbose", 5}};
    std::string_view level = find(log, "level").str();
    for (auto [name, n] : kLevels)
      if (level == name) w.num("Level", n);
  }
  put(w, "Task", find(wl, "task"));
  put(w, "Opcode", find(wl, "opcode"));
  put(w, "Keywords", find(wl, "keywords"));
  attrs(w, "TimeCreated", {{"SystemTime", ts}});
  put(w, "EventRecordID", find(wl, "record_id"));
  attrs(w, "Correlation", {{"ActivityID", find(wl, "activity_id")}, {"RelatedActivityID", find(wl, "related_activity_id")}});
  dom::object proc, thread;
  Val pid, tid;
  if (find(wl, "process").object(proc)) {
    pid = find(proc, "pid");
    if (find(proc, "thread").object(thread)) tid = find(thread, "id");
  }
  attrs(w, "Execution", {{"ProcessID", pid}, {"ThreadID", tid}});
  put(w, "Channel", channel);
  Val computer = find(wl, "computer_name");
  dom::object host;
  if (!computer && find(root, "host").object(host)) {
    computer = find(host, "hostname");
    if (!computer) computer = find(host, "name");
  }
  put(w, "Computer", computer);
  dom::object user;
  Val sid;
  if (find(wl, "user").object(user)) sid = find(user, "identifier");
  attrs(w, "Security", {{"UserID", sid}});
  w.end();  // System

  dom::object data;
  if (find(wl, "event_data").object(data)) put(w, "EventData", find(wl, "event_data"));
  dom::object udata;
  if (find(wl, "user_data").object(udata)) {
    // evtx's UserData wraps its values in one element named after the event (xml_name).
    std::string_view wrapper = find(udata, "xml_name").str();
    if (wrapper.empty()) wrapper = "Data";
    w.key("UserData");
    out.push_back('{');
    append_json_string(out, wrapper);
    out.append(":{");
    bool first = true;
    for (auto [k, v] : udata) {
      if (k == "xml_name") continue;
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, k);
      out.push_back(':');
      detail::write_element(out, v);
    }
    out.append("}}");
  }
  Val message = find(root, "message");
  if (message.is_string()) {
    w.begin("RenderingInfo");
    put(w, "Message", message);
    w.end();
  }
  w.end();  // Event
  out.push_back('}');
  return d;
}

}  // namespace lachan::parse
