// StaticFiles: a folder of files served over HTTP (the web console's build, web/dist): safe path
// resolution (no '..', encoded or not, and no symlink leading out of the root), precompressed
// `.gz` siblings for clients that accept gzip, content types by extension, cache headers and
// ETags (size + mtime, If-None-Match -> 304), and the SPA fallback to index.html for app paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.h"

namespace lachan::api {

// The path relative to a root for a decoded request path ("/assets/app.js" -> "assets/app.js",
// "/" -> ""), or nullopt when a segment is "." or "..", contains a backslash or NUL, or the
// path has an empty segment inside it ("//"), i.e. anything that could leave the root.
std::optional<std::string> safe_relative_path(std::string_view decoded_path);

// "text/javascript; charset=utf-8" etc. by the file name's extension; application/octet-stream
// when unknown.
std::string_view content_type_for(std::string_view file_name);

// Does an Accept-Encoding header value accept gzip (not with q=0)?
bool accepts_gzip(std::string_view accept_encoding);

class StaticFiles {
 public:
  // `root` must exist; it is made canonical once.
  explicit StaticFiles(const std::string& root);

  const std::string& root() const noexcept { return root_; }

  // The answer to a GET or HEAD for `req.path`: the file, index.html for a path whose last
  // segment has no '.', or 404 (also for unsafe paths). nullopt for other methods.
  std::optional<Response> serve(const Request& req) const;

  // The headers every console answer carries (CSP, nosniff, referrer policy, frame denial).
  static void add_security_headers(Response& r);

 private:
  // The canonical file for a relative path, if it is a regular file inside the root.
  std::optional<std::string> inside(const std::string& rel) const;
  Response file_response(const Request& req, const std::string& rel, const std::string& file) const;

  std::string root_;
};

}  // namespace lachan::api
