#include "intel/samples.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>

#include "core/files.h"
#include "intel/json_fields.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/strings.h"
#include "core/time.h"
#include "intel/repository.h"

// Last: libyara's headers define short macros that break Boost.JSON's templates.
#include <yara.h>

namespace lachan::intel {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kScope = "sample", kScopeMd5 = "sample-md5", kScopeSha1 = "sample-sha1";

std::string hex(const unsigned char* p, unsigned n) {
  static const char digits[] = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}

uint32_t le32(std::string_view b, uint64_t at) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data()) + at;
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

bool is_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); });
}

std::string iso(int64_t ms) {
  return format_timestamp(ms * 1'000'000);
}

std::optional<int64_t> read_time(const json::object& o, std::string_view key) {
  auto ns = parse_timestamp(jsonf::str(o, key));
  if (!ns) return std::nullopt;
  return *ns / 1'000'000;
}

// Invalid UTF-8 becomes U+FFFD: records are JSON, and what they hold comes from uploaders and
// rule files.
std::string valid_utf8(std::string_view text) {
  std::string lit;
  append_json_string(lit, text);
  boost::system::error_code ec;
  json::value v = json::parse(lit, ec);
  return ec ? std::string() : std::string(v.as_string());
}

// The base name, without control characters, at most 255 bytes (a cut character becomes
// U+FFFD), valid UTF-8.
std::string clean_file_name(std::string_view name) {
  if (auto p = name.find_last_of("/\\"); p != std::string_view::npos) name.remove_prefix(p + 1);
  std::string kept;
  for (char c : name)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) kept.push_back(c);
  if (kept.size() > 255) kept.resize(255);
  return valid_utf8(kept);
}

struct YaraLibrary {
  int rc;
  YaraLibrary() : rc(yr_initialize()) {}
  ~YaraLibrary() {
    if (rc == ERROR_SUCCESS) yr_finalize();
  }
};

// libyara's global state: initialised on first use, finalised at exit, once per process.
bool yara_ready() {
  static YaraLibrary lib;
  return lib.rc == ERROR_SUCCESS;
}

struct CompileErrors {
  std::vector<std::string> messages;
};

void on_compile_message(int level, const char* file, int line, const YR_RULE*, const char* message, void* user) {
  if (level != YARA_ERROR_LEVEL_ERROR) return;
  static_cast<CompileErrors*>(user)->messages.push_back(
      fmt::format("{}:{}: {}", file ? file : "?", line, message ? message : "error"));
}

int on_scan_message(YR_SCAN_CONTEXT*, int message, void* data, void* user) {
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  const auto* rule = static_cast<const YR_RULE*>(data);
  YaraMatch m;
  m.rule = rule->identifier;
  if (rule->ns && rule->ns->name) m.ns = valid_utf8(rule->ns->name);
  const char* tag = nullptr;
  yr_rule_tags_foreach(rule, tag) m.tags.emplace_back(tag);
  const YR_META* meta = nullptr;
  std::string malware_family;
  yr_rule_metas_foreach(rule, meta) {
    if (meta->type != META_TYPE_STRING || !meta->identifier || !meta->string) continue;
    if (std::strcmp(meta->identifier, "family") == 0 && m.family.empty())
      m.family = meta->string;
    else if (std::strcmp(meta->identifier, "malware_family") == 0 && malware_family.empty())
      malware_family = meta->string;
  }
  m.family = valid_utf8(m.family.empty() ? malware_family : m.family);
  static_cast<std::vector<YaraMatch>*>(user)->push_back(std::move(m));
  return CALLBACK_CONTINUE;
}

}  // namespace

SampleHashes hash_sample(std::string_view bytes) {
  const EVP_MD* mds[3] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
  EVP_MD_CTX* ctx[3];
  for (int i = 0; i < 3; ++i) {
    ctx[i] = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx[i], mds[i], nullptr);
  }
  // One pass in chunks that stay in cache for all three digests.
  constexpr size_t kChunk = 64 * 1024;
  for (size_t off = 0; off < bytes.size(); off += kChunk) {
    size_t n = std::min(kChunk, bytes.size() - off);
    for (auto* c : ctx) EVP_DigestUpdate(c, bytes.data() + off, n);
  }
  std::string out[3];
  for (int i = 0; i < 3; ++i) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx[i], md, &len);
    EVP_MD_CTX_free(ctx[i]);
    out[i] = hex(md, len);
  }
  return SampleHashes{std::move(out[0]), std::move(out[1]), std::move(out[2])};
}

std::string_view sniff_magic(std::string_view b) noexcept {
  auto at = [&](uint64_t off, std::string_view m) {
    return b.size() >= off + m.size() && b.substr(off, m.size()) == m;
  };
  if (at(0, "MZ")) {
    if (b.size() < 0x40) return "MZ";
    uint64_t pe = le32(b, 0x3c);
    // PE signature, COFF header (20 bytes), then the optional header's magic.
    if (pe + 26 > b.size() || !at(pe, std::string_view("PE\0\0", 4))) return "MZ";
    auto* p = reinterpret_cast<const unsigned char*>(b.data()) + pe + 24;
    unsigned magic = p[0] | (p[1] << 8);
    return magic == 0x20b ? "PE32+" : "PE32";
  }
  if (at(0, "\177ELF")) return "ELF";
  if (at(0, "\xfe\xed\xfa\xce") || at(0, "\xfe\xed\xfa\xcf") || at(0, "\xce\xfa\xed\xfe") || at(0, "\xcf\xfa\xed\xfe"))
    return "Mach-O";
  if (at(0, "PK\x03\x04") || at(0, "PK\x05\x06") || at(0, "PK\x07\x08")) return "ZIP";
  if (at(0, "%PDF-")) return "PDF";
  if (at(0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) return "OLE";
  if (at(0, "Rar!\x1a\x07")) return "RAR";
  if (at(0, "7z\xbc\xaf\x27\x1c")) return "7Z";
  if (at(0, "\x1f\x8b")) return "GZIP";
  if (at(0, "#!")) return "SCRIPT";
  return "unknown";
}

// ---- YARA ----

Result<std::shared_ptr<const YaraScanner>> YaraScanner::load(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    return make_error(Errc::invalid_config,
                      fmt::format("YARA rules folder {} does not exist or is not a folder", folder));
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    auto ext = it->path().extension();
    if ((ext == ".yar" || ext == ".yara") && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) return make_error(Errc::invalid_config, fmt::format("YARA rules folder {}: {}", folder, ec.message()));
  if (files.empty())
    return make_error(Errc::invalid_config, fmt::format("YARA rules folder {} has no *.yar or *.yara file", folder));
  std::sort(files.begin(), files.end());
  if (!yara_ready()) return make_error(Errc::internal, "libyara could not be initialised");

  YR_COMPILER* compiler = nullptr;
  if (yr_compiler_create(&compiler) != ERROR_SUCCESS)
    return make_error(Errc::internal, "libyara: cannot create a compiler");
  CompileErrors errors;
  yr_compiler_set_callback(compiler, on_compile_message, &errors);
  for (const auto& f : files) {
    std::string path = f.string();
    FILE* fp = std::fopen(path.c_str(), "rb");
    if (!fp) {
      yr_compiler_destroy(compiler);
      return make_error(Errc::invalid_config, fmt::format("YARA rule file {}: {}", path, std::strerror(errno)));
    }
    int n = yr_compiler_add_file(compiler, fp, f.stem().string().c_str(), path.c_str());
    std::fclose(fp);
    // libyara refuses further files once one has failed: report this file's errors.
    if (n > 0) {
      yr_compiler_destroy(compiler);
      std::string msg = fmt::format("YARA rules do not compile ({} error{}):", n, n == 1 ? "" : "s");
      for (const auto& m : errors.messages) msg += "\n" + m;
      return make_error(Errc::invalid_config, std::move(msg));
    }
  }
  std::shared_ptr<YaraScanner> s(new YaraScanner());
  int rc = yr_compiler_get_rules(compiler, &s->rules_);
  yr_compiler_destroy(compiler);
  if (rc != ERROR_SUCCESS)
    return make_error(Errc::internal, fmt::format("libyara: cannot build the rules (error {})", rc));
  s->files_ = files.size();
  return std::shared_ptr<const YaraScanner>(std::move(s));
}

YaraScanner::~YaraScanner() {
  if (rules_) yr_rules_destroy(rules_);
}

Result<std::vector<YaraMatch>> YaraScanner::scan(std::string_view bytes, int timeout_s) const {
  std::vector<YaraMatch> matches;
  int rc = yr_rules_scan_mem(rules_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), SCAN_FLAGS_FAST_MODE,
                             on_scan_message, &matches, timeout_s);
  switch (rc) {
    case ERROR_SUCCESS:
      return matches;
    case ERROR_SCAN_TIMEOUT:
      return make_error(Errc::limit, fmt::format("YARA scan took longer than {} s", timeout_s));
    case ERROR_TOO_MANY_SCAN_THREADS:
      return make_error(Errc::busy, "too many YARA scans at once");
    default:
      return make_error(Errc::internal, fmt::format("YARA scan failed (libyara error {})", rc));
  }
}

// ---- Records ----

std::string sample_to_json(const SampleRecord& r) {
  json::object o;
  o["sha256"] = r.sha256;
  o["md5"] = r.md5;
  o["sha1"] = r.sha1;
  o["size"] = r.size;
  o["file_name"] = r.file_name;
  o["magic"] = r.magic;
  o["first_seen"] = iso(r.first_seen_ms);
  o["last_seen"] = iso(r.last_seen_ms);
  json::array subs;
  for (const auto& s : r.submitted_by)
    subs.push_back(json::object{{"org", s.org}, {"actor", s.actor}, {"at", iso(s.at_ms)}});
  o["submitted_by"] = std::move(subs);
  json::array yara;
  for (const auto& m : r.yara)
    yara.push_back(
        json::object{{"rule", m.rule}, {"namespace", m.ns}, {"tags", jsonf::strings(m.tags)}, {"family", m.family}});
  o["yara"] = std::move(yara);
  o["family"] = r.family;
  o["tags"] = jsonf::strings(r.tags);
  return json::serialize(o);
}

Result<SampleRecord> sample_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(Errc::malformed, "sample record: not a JSON object");
  const auto& o = v.as_object();
  SampleRecord r;
  r.sha256 = jsonf::str(o, "sha256");
  r.md5 = jsonf::str(o, "md5");
  r.sha1 = jsonf::str(o, "sha1");
  auto bad = [&](std::string_view what) {
    return make_error(Errc::malformed, fmt::format("sample record {}: {}", r.sha256.empty() ? "?" : r.sha256, what));
  };
  if (r.sha256.size() != 64 || r.md5.size() != 32 || r.sha1.size() != 40)
    return bad("hashes missing or of the wrong length");
  const json::value* size = o.if_contains("size");
  if (!size || !(size->is_uint64() || (size->is_int64() && size->get_int64() >= 0))) return bad("size is not a count");
  r.size = size->is_uint64() ? size->get_uint64() : static_cast<uint64_t>(size->get_int64());
  r.file_name = jsonf::str(o, "file_name");
  r.magic = jsonf::str(o, "magic");
  r.family = jsonf::str(o, "family");
  auto first = read_time(o, "first_seen"), last = read_time(o, "last_seen");
  if (!first || !last) return bad("first_seen/last_seen are not times");
  r.first_seen_ms = *first;
  r.last_seen_ms = *last;
  if (!jsonf::strings_into(o, "tags", r.tags)) return bad("tags is not a list of strings");
  if (const json::value* subs = o.if_contains("submitted_by")) {
    if (!subs->is_array()) return bad("submitted_by is not a list");
    for (const auto& x : subs->as_array()) {
      if (!x.is_object()) return bad("submitted_by holds a non-object");
      auto at = read_time(x.as_object(), "at");
      if (!at) return bad("submitted_by[].at is not a time");
      r.submitted_by.push_back(SampleSubmitter{jsonf::str(x.as_object(), "org"), jsonf::str(x.as_object(), "actor"), *at});
    }
  }
  if (const json::value* yara = o.if_contains("yara")) {
    if (!yara->is_array()) return bad("yara is not a list");
    for (const auto& x : yara->as_array()) {
      if (!x.is_object()) return bad("yara holds a non-object");
      YaraMatch m;
      m.rule = jsonf::str(x.as_object(), "rule");
      m.ns = jsonf::str(x.as_object(), "namespace");
      m.family = jsonf::str(x.as_object(), "family");
      if (!jsonf::strings_into(x.as_object(), "tags", m.tags)) return bad("yara[].tags is not a list of strings");
      r.yara.push_back(std::move(m));
    }
  }
  return r;
}

std::optional<Indicator> sample_indicator(const SampleRecord& r) {
  if (r.yara.empty()) return std::nullopt;
  auto md5 = normalise(ValueType::md5, r.md5), sha1 = normalise(ValueType::sha1, r.sha1),
       sha256 = normalise(ValueType::sha256, r.sha256);
  if (!md5 || !sha1 || !sha256) return std::nullopt;  // a record we wrote always has all three
  Indicator ind;
  ind.ref = "sample--" + *sha256;
  ind.name = fmt::format("{} sample {}", r.family, r.file_name.empty() ? *sha256 : r.file_name);
  ind.description = fmt::format("Malware sample matched by YARA rule{} {}", r.yara.size() == 1 ? "" : "s", [&] {
    std::string s;
    for (const auto& m : r.yara) s += (s.empty() ? "" : ", ") + m.rule;
    return s;
  }());
  ind.pattern =
      fmt::format("[file:hashes.MD5 = '{}'] OR [file:hashes.'SHA-1' = '{}'] OR [file:hashes.'SHA-256' = '{}']", *md5,
                  *sha1, *sha256);
  ind.any_of = {{Observable{ValueType::md5, *md5}},
                {Observable{ValueType::sha1, *sha1}},
                {Observable{ValueType::sha256, *sha256}}};
  ind.source = "lachan-samples";
  ind.source_ref = *sha256;
  ind.tlp = Tlp::amber;
  ind.confidence = 80;
  ind.created_ms = ind.modified_ms = r.first_seen_ms;
  ind.valid_from_ms = r.first_seen_ms;
  if (!r.family.empty()) ind.tags.push_back(r.family);
  for (const auto& t : r.tags)
    if (std::find(ind.tags.begin(), ind.tags.end(), t) == ind.tags.end()) ind.tags.push_back(t);
  return ind;
}

// ---- Repository ----

SampleRepository::SampleRepository(std::string dir, store::Store& store, std::shared_ptr<const YaraScanner> scanner,
                                   SampleOptions options)
    : dir_(std::move(dir)), store_(store), scanner_(std::move(scanner)), options_(std::move(options)) {}

std::string SampleRepository::path_of(std::string_view sha256) const {
  return hashed_path(dir_, sha256);
}

Result<void> SampleRepository::write_file(std::string_view sha256, std::string_view bytes) {
  return write_hashed_file(dir_, sha256, bytes, "sample");
}

Result<SubmitOutcome> SampleRepository::submit(std::string_view bytes, std::string_view file_name,
                                               const SampleSubmitter& who) {
  if (bytes.empty()) return make_error(Errc::malformed, "the sample is empty");
  if (bytes.size() > options_.max_bytes)
    return make_error(Errc::limit, fmt::format("the sample has {} bytes, more than the limit of {}", bytes.size(),
                                               options_.max_bytes));
  SampleHashes h = hash_sample(bytes);
  // Scanning (up to the timeout) is done outside the lock, for bytes not known yet.
  std::optional<std::vector<YaraMatch>> matches;
  auto scan = [&]() -> Result<void> {
    auto m = scanner_->scan(bytes, options_.scan_timeout_s);
    if (!m.ok()) return make_error(m.error().code, fmt::format("sample {}: {}", h.sha256, m.error().message));
    matches = std::move(*m);
    return {};
  };
  auto seen = store_.get_state(kScope, h.sha256);
  if (!seen.ok()) return seen.error();
  if (!*seen)
    if (auto r = scan(); !r.ok()) return r.error();

  std::lock_guard<std::mutex> lk(mu_);
  auto known = store_.get_state(kScope, h.sha256);
  if (!known.ok()) return known.error();
  SubmitOutcome out;
  if (*known) {
    auto rec = sample_from_json(**known);
    if (!rec.ok()) return rec.error();
    out.record = std::move(*rec);
    SampleRecord& r = out.record;
    r.last_seen_ms = std::max(r.last_seen_ms, who.at_ms);
    auto same = [&](const SampleSubmitter& s) { return s.org == who.org && s.actor == who.actor; };
    if (std::none_of(r.submitted_by.begin(), r.submitted_by.end(), same)) r.submitted_by.push_back(who);
    if (auto w = store_.put_state(kScope, r.sha256, sample_to_json(r), who.at_ms); !w.ok()) return w.error();
    return out;
  }

  if (!matches)
    if (auto m = scan(); !m.ok()) return m.error();
  SampleRecord& r = out.record;
  r.sha256 = h.sha256;
  r.md5 = h.md5;
  r.sha1 = h.sha1;
  r.size = bytes.size();
  r.file_name = clean_file_name(file_name);
  r.magic = std::string(sniff_magic(bytes));
  r.first_seen_ms = r.last_seen_ms = who.at_ms;
  r.submitted_by = {who};
  r.yara = std::move(*matches);
  if (!r.yara.empty()) r.family = r.yara.front().family.empty() ? r.yara.front().rule : r.yara.front().family;
  for (const auto& m : r.yara)
    for (const auto& t : m.tags)
      if (std::find(r.tags.begin(), r.tags.end(), t) == r.tags.end()) r.tags.push_back(t);

  // The file and the indexes first, the record last: until it exists the sample counts as new.
  if (auto w = write_file(r.sha256, bytes); !w.ok()) return w.error();
  if (auto w = store_.put_state(kScopeMd5, r.md5, r.sha256, who.at_ms); !w.ok()) return w.error();
  if (auto w = store_.put_state(kScopeSha1, r.sha1, r.sha256, who.at_ms); !w.ok()) return w.error();
  if (auto ind = sample_indicator(r)) {
    Repository repo(store_);
    ImportBatch batch;
    batch.indicators.push_back(*ind);
    if (auto p = repo.put(batch, options_.collection, who.at_ms); !p.ok())
      return make_error(p.error().code,
                        fmt::format("sample {}: storing its indicator: {}", r.sha256, p.error().message));
    out.indicator = std::move(ind);
  }
  if (auto w = store_.put_state(kScope, r.sha256, sample_to_json(r), who.at_ms); !w.ok()) return w.error();
  out.created = true;
  return out;
}

Result<SampleRecord> SampleRepository::get(std::string_view hash) {
  std::string h = to_lower(hash);
  if (!is_hex(h) || (h.size() != 32 && h.size() != 40 && h.size() != 64))
    return make_error(Errc::malformed, fmt::format("'{}' is not an MD5, SHA-1 or SHA-256 in hex",
                                                   hash.substr(0, std::min<size_t>(hash.size(), 80))));
  if (h.size() != 64) {
    auto s = store_.get_state(h.size() == 32 ? kScopeMd5 : kScopeSha1, h);
    if (!s.ok()) return s.error();
    if (!*s) return make_error(Errc::not_found, fmt::format("no sample with hash {}", h));
    h = **s;
  }
  auto s = store_.get_state(kScope, h);
  if (!s.ok()) return s.error();
  if (!*s) return make_error(Errc::not_found, fmt::format("no sample with hash {}", h));
  return sample_from_json(**s);
}

Result<std::string> SampleRepository::open_content(std::string_view sha256) {
  auto rec = get(sha256);
  if (!rec.ok()) return rec.error();
  std::string path = path_of(rec->sha256);
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, fmt::format("sample {}: cannot open {}", rec->sha256, path));
  std::string bytes;
  bytes.resize(rec->size);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<uint64_t>(in.gcount()) != rec->size || in.peek() != std::char_traits<char>::eof())
    return make_error(Errc::io,
                      fmt::format("sample {}: {} does not hold the {} bytes recorded", rec->sha256, path, rec->size));
  return bytes;
}

Result<SamplePage> SampleRepository::list(int limit, std::string_view cursor,
                                          const std::function<bool(const SampleRecord&)>& visible) {
  if (!cursor.empty() && (cursor.size() != 64 || !is_hex(cursor)))
    return make_error(Errc::malformed, "cursor: not one this API returned");
  limit = std::clamp(limit, 1, store::kMaxPageSize);
  auto all = store_.list_state(kScope);
  if (!all.ok()) return all.error();
  SamplePage page;
  for (auto& [key, value] : *all) {
    if (!cursor.empty() && key <= cursor) continue;
    auto rec = sample_from_json(value);
    if (!rec.ok()) return rec.error();
    if (visible && !visible(*rec)) continue;
    if (page.items.size() == static_cast<size_t>(limit)) {
      page.next_cursor = page.items.back().sha256;
      break;
    }
    page.items.push_back(std::move(*rec));
  }
  return page;
}

}  // namespace lachan::intel
