// The console's static files: path sanitising (no way out of the root, encoded or through a
// symlink), content types, gzip negotiation, cache headers, ETags and the SPA fallback.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "api/static_files.h"

namespace lachan::api {
namespace {

namespace fs = std::filesystem;

TEST(SafeRelativePath, AcceptsPlainPaths) {
  EXPECT_EQ(safe_relative_path("/"), "");
  EXPECT_EQ(safe_relative_path("/index.html"), "index.html");
  EXPECT_EQ(safe_relative_path("/assets/app.js"), "assets/app.js");
  EXPECT_EQ(safe_relative_path("/warnings/123/"), "warnings/123");
  EXPECT_EQ(safe_relative_path("/a..b/c"), "a..b/c");  // dots inside a name are a name
}

TEST(SafeRelativePath, RefusesWhatCouldLeaveTheRoot) {
  EXPECT_FALSE(safe_relative_path("/../etc/passwd"));
  EXPECT_FALSE(safe_relative_path("/assets/../../x"));
  EXPECT_FALSE(safe_relative_path("/assets/.."));
  EXPECT_FALSE(safe_relative_path("/./index.html"));
  EXPECT_FALSE(safe_relative_path("/a//b"));
  EXPECT_FALSE(safe_relative_path("/a\\..\\b"));
  EXPECT_FALSE(safe_relative_path(std::string_view("/a\0b", 4)));
  EXPECT_FALSE(safe_relative_path("relative"));
  EXPECT_FALSE(safe_relative_path(""));
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("assets/app.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("manifest.webmanifest"), "application/manifest+json");
  EXPECT_EQ(content_type_for("f.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("a.js.map"), "application/json");
  EXPECT_EQ(content_type_for("dir.d/noext"), "application/octet-stream");
}

TEST(AcceptsGzip, Negotiation) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip(""));
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "lachan-web-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    root_ = base_ / "root";
    fs::create_directories(root_ / "assets");
    write(root_ / "index.html", "<html>app</html>");
    write(root_ / "assets" / "app.js", "console.log(1)");
    write(root_ / "assets" / "app.js.gz", "GZIPPED");
    write(root_ / "sw.js", "self.x=1");
    write(base_ / "secret.txt", "secret");
    fs::create_symlink(base_ / "secret.txt", root_ / "leak.txt");
    fs::create_symlink(root_ / "assets" / "app.js", root_ / "inside.js");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }
  static void write(const fs::path& p, std::string_view text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  static Request get(std::string path) {
    Request r;
    r.method = Method::get;
    r.path = std::move(path);
    return r;
  }
  static std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return {};
  }
  fs::path base_, root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndCacheHeaders) {
  StaticFiles files(root_.string());
  auto r = files.serve(get("/assets/app.js"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "console.log(1)");
  EXPECT_EQ(r->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(*r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(*r, "Content-Encoding"), "");
  EXPECT_NE(header(*r, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  auto idx = files.serve(get("/"));
  ASSERT_TRUE(idx);
  EXPECT_EQ(idx->body, "<html>app</html>");
  EXPECT_EQ(header(*idx, "Cache-Control"), "no-cache");
  auto sw = files.serve(get("/sw.js"));
  ASSERT_TRUE(sw);
  EXPECT_EQ(header(*sw, "Service-Worker-Allowed"), "/");
  EXPECT_EQ(header(*sw, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, GzipSiblingOnlyWhenAccepted) {
  StaticFiles files(root_.string());
  auto req = get("/assets/app.js");
  req.headers.emplace_back("accept-encoding", "gzip, br");
  auto r = files.serve(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GZIPPED");
  EXPECT_EQ(header(*r, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(*r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(r->content_type, "text/javascript; charset=utf-8");
}

TEST_F(StaticFilesTest, EtagGivesNotModified) {
  StaticFiles files(root_.string());
  auto r = files.serve(get("/assets/app.js"));
  ASSERT_TRUE(r);
  std::string etag = header(*r, "ETag");
  ASSERT_FALSE(etag.empty());
  auto again = get("/assets/app.js");
  again.headers.emplace_back("If-None-Match", etag);
  auto r2 = files.serve(again);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 304);
  EXPECT_TRUE(r2->body.empty());
}

TEST_F(StaticFilesTest, SpaFallbackOnlyForAppPaths) {
  StaticFiles files(root_.string());
  auto app = files.serve(get("/warnings/123"));
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 200);
  EXPECT_EQ(app->body, "<html>app</html>");
  auto missing = files.serve(get("/assets/missing.js"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(StaticFilesTest, NothingOutsideTheRoot) {
  StaticFiles files(root_.string());
  for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "/leak.txt"}) {
    auto r = files.serve(get(p));
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 404) << p;
    EXPECT_EQ(r->body.find("secret"), std::string::npos) << p;
  }
  // A symlink that stays inside the root is fine.
  auto in = files.serve(get("/inside.js"));
  ASSERT_TRUE(in);
  EXPECT_EQ(in->status, 200);
  // Only GET and HEAD.
  auto post = get("/index.html");
  post.method = Method::post;
  EXPECT_FALSE(files.serve(post));
}

}  // namespace
}  // namespace lachan::api
