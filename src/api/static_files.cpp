#include "api/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace fs = std::filesystem;

namespace lachan::api {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = std::move(ss).str();
  return !in.bad();
}

std::string etag_of(const std::string& file, bool gz) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return {};
  auto mtime = fs::last_write_time(file, ec);
  if (ec) return {};
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx%s\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime.time_since_epoch().count()), gz ? "-gz" : "");
  return buf;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  size_t start = 0;
  while (start <= if_none_match.size()) {
    size_t comma = if_none_match.find(',', start);
    std::string_view t = trim(if_none_match.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (t == "*") return true;
    if (t.substr(0, 2) == "W/") t.remove_prefix(2);
    if (t == etag) return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::optional<std::string> safe_relative_path(std::string_view p) {
  if (p.empty() || p.front() != '/') return std::nullopt;
  std::string out;
  std::string_view rest = p.substr(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (seg.empty()) {
      if (!last) return std::nullopt;  // "a//b"
      break;                           // a trailing slash: the folder itself
    }
    if (seg == "." || seg == ".." || seg.find('\\') != std::string_view::npos ||
        seg.find('\0') != std::string_view::npos)
      return std::nullopt;
    if (!out.empty()) out += '/';
    out += seg;
    if (last) break;
    rest = rest.substr(slash + 1);
  }
  return out;
}

std::string_view content_type_for(std::string_view name) {
  size_t dot = name.rfind('.');
  size_t slash = name.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  std::string_view ext = name.substr(dot + 1);
  struct Type {
    std::string_view ext, type;
  };
  static constexpr Type kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
      {"map", "application/json"},
  };
  for (const auto& t : kTypes)
    if (iequal(ext, t.ext)) return t.type;
  return "application/octet-stream";
}

bool accepts_gzip(std::string_view ae) {
  size_t start = 0;
  while (start <= ae.size()) {
    size_t comma = ae.find(',', start);
    std::string_view item = ae.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    if (iequal(coding, "gzip") || iequal(coding, "x-gzip")) {
      if (semi == std::string_view::npos) return true;
      std::string_view param = trim(item.substr(semi + 1));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        std::string_view q = trim(param.substr(2));
        // q=0, q=0.0, q=0.000: refused
        bool zero = !q.empty() && q[0] == '0';
        for (size_t i = 1; zero && i < q.size(); ++i) zero = q[i] == '.' || q[i] == '0';
        return !zero;
      }
      return true;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

StaticFiles::StaticFiles(const std::string& root) {
  std::error_code ec;
  auto c = fs::canonical(root, ec);
  root_ = ec ? root : c.string();
}

void StaticFiles::add_security_headers(Response& r) {
  r.with_header("Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                "script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
                "frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
  r.with_header("X-Content-Type-Options", "nosniff");
  r.with_header("Referrer-Policy", "same-origin");
  r.with_header("X-Frame-Options", "DENY");
}

std::optional<std::string> StaticFiles::inside(const std::string& rel) const {
  if (rel.empty()) return std::nullopt;
  std::error_code ec;
  fs::path p = fs::path(root_) / rel;
  auto c = fs::canonical(p, ec);  // follows symlinks: the target must still be inside the root
  if (ec) return std::nullopt;
  std::string s = c.string();
  if (s.size() <= root_.size() || s.compare(0, root_.size(), root_) != 0 || s[root_.size()] != '/') return std::nullopt;
  if (!fs::is_regular_file(c, ec)) return std::nullopt;
  return s;
}

Response StaticFiles::file_response(const Request& req, const std::string& rel, const std::string& file) const {
  Response r;
  r.content_type = std::string(content_type_for(rel));
  std::string path = file;
  bool gz = false;
  if (auto ae = req.header("Accept-Encoding"); ae && accepts_gzip(*ae)) {
    if (auto z = inside(rel + ".gz")) {
      path = *z;
      gz = true;
    }
  }
  bool immutable = rel.rfind("assets/", 0) == 0;
  r.with_header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.with_header("Vary", "Accept-Encoding");
  add_security_headers(r);
  if (rel == "sw.js") r.with_header("Service-Worker-Allowed", "/");
  std::string etag = etag_of(path, gz);
  if (!etag.empty()) {
    r.with_header("ETag", etag);
    if (auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, etag)) {
      r.status = 304;
      return r;
    }
  }
  if (!read_file(path, r.body)) {
    Response e = error_response(500, "internal", "cannot read " + rel);
    return e;
  }
  if (gz) r.with_header("Content-Encoding", "gzip");
  return r;
}

std::optional<Response> StaticFiles::serve(const Request& req) const {
  if (req.method != Method::get && req.method != Method::head) return std::nullopt;
  auto nf = [] {
    Response r = error_response(404, "not_found", "not found");
    add_security_headers(r);
    return r;
  };
  auto rel = safe_relative_path(req.path);
  if (!rel) return nf();
  if (auto f = inside(*rel)) return file_response(req, *rel, *f);
  // An app path (no '.' in its last segment): the single-page app routes it.
  std::string_view last = *rel;
  if (auto s = last.rfind('/'); s != std::string_view::npos) last = last.substr(s + 1);
  if (last.find('.') == std::string_view::npos)
    if (auto f = inside("index.html")) return file_response(req, "index.html", *f);
  return nf();
}

}  // namespace lachan::api
