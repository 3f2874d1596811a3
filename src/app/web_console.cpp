// The web console (web/, a single-page app built to web/dist): which folder to serve, and the
// HTTP server's fallback that serves it for every path that is not the API's.
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "api/static_files.h"
#include "app/server.h"

#ifndef LACHAN_WEB_DIST
#define LACHAN_WEB_DIST ""
#endif

namespace fs = std::filesystem;

namespace lachan::app {
namespace {

bool has_index(const fs::path& dir) {
  std::error_code ec;
  return !dir.empty() && fs::is_regular_file(dir / "index.html", ec);
}

// Paths that belong to the API and the platform's own endpoints: never the console's.
bool api_path(std::string_view p) {
  auto under = [&](std::string_view prefix) {
    return p == prefix || (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 && p[prefix.size()] == '/');
  };
  return under("/api") || under("/taxii2") || p == "/healthz" || p == "/readyz" || p == "/metrics";
}

constexpr const char* kNotBuiltPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lachan</title></head>
<body>
<h1>Lachan</h1>
<p>The web console is not built. Build it with <code>scripts/build-web.sh</code> (it writes
<code>web/dist</code>), or start <code>lachan serve</code> with <code>--web-root DIR</code>.</p>
<p>The REST API is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
)html";

}  // namespace

std::string resolve_web_root(const std::string& configured, std::string& why) {
  if (!configured.empty()) {
    why = "--web-root";
    return configured;
  }
  if (const char* env = std::getenv("LACHAN_WEB_ROOT"); env && *env) {
    why = "LACHAN_WEB_ROOT";
    return env;
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "lachan" / "web";
    if (has_index(installed)) {
      why = "installed";
      return installed.lexically_normal().string();
    }
  }
  fs::path dist = LACHAN_WEB_DIST;
  if (has_index(dist)) {
    why = "source tree";
    return dist.string();
  }
  why = "none";
  return {};
}

std::function<std::optional<api::Response>(api::Request&)> web_console_fallback(const std::string& web_root) {
  std::shared_ptr<const api::StaticFiles> files;
  if (!web_root.empty()) files = std::make_shared<const api::StaticFiles>(web_root);
  return [files](api::Request& req) -> std::optional<api::Response> {
    if (api_path(req.path)) return std::nullopt;
    if (req.method != api::Method::get && req.method != api::Method::head) return std::nullopt;
    if (files) return files->serve(req);
    if (req.path != "/") return std::nullopt;
    api::Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = kNotBuiltPage;
    r.with_header("Cache-Control", "no-cache");
    api::StaticFiles::add_security_headers(r);
    return r;
  };
}

}  // namespace lachan::app
