// Router matching rules (router.h) and the Request/Response helpers.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/router.h"

using namespace lachan::api;
using lachan::Errc;

namespace {

Handler named(std::string name) {
  return [name](Request&) {
    Response r;
    r.body = name;
    return r;
  };
}

std::string call(const Router& router, Method m, std::vector<std::string> segs, std::vector<Header>* params = nullptr) {
  auto match = router.match(m, segs);
  if (match.kind != Router::Match::Kind::found) return "";
  if (params) *params = match.params;
  Request req;
  return (*match.handler)(req).body;
}

}  // namespace

TEST(Router, PathParametersAreBound) {
  Router r;
  ASSERT_TRUE(r.add(Method::get, "/api/v1/orgs/{org}/warnings/{id}", named("w")));
  std::vector<Header> params;
  EXPECT_EQ(call(r, Method::get, {"api", "v1", "orgs", "42", "warnings", "w-7"}, &params), "w");
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0], (Header{"org", "42"}));
  EXPECT_EQ(params[1], (Header{"id", "w-7"}));
}

TEST(Router, ExactRoutePreferredOverParameter) {
  Router r;
  // Registered in the "wrong" order on purpose: specificity, not order, decides.
  ASSERT_TRUE(r.add(Method::get, "/warnings/{id}", named("by-id")));
  ASSERT_TRUE(r.add(Method::get, "/warnings/export", named("export")));
  ASSERT_TRUE(r.add(Method::get, "/{a}/{b}", named("any")));
  EXPECT_EQ(call(r, Method::get, {"warnings", "export"}), "export");
  EXPECT_EQ(call(r, Method::get, {"warnings", "17"}), "by-id");
  EXPECT_EQ(call(r, Method::get, {"incidents", "17"}), "any");
}

TEST(Router, LeftmostLiteralDecides) {
  Router r;
  ASSERT_TRUE(r.add(Method::get, "/{x}/b", named("param-first")));
  ASSERT_TRUE(r.add(Method::get, "/a/{y}", named("literal-first")));
  EXPECT_EQ(call(r, Method::get, {"a", "b"}), "literal-first");
}

TEST(Router, UnknownPathIsNotFound) {
  Router r;
  ASSERT_TRUE(r.add(Method::get, "/warnings", named("list")));
  EXPECT_EQ(r.match(Method::get, {"incidents"}).kind, Router::Match::Kind::not_found);
  EXPECT_EQ(r.match(Method::get, {"warnings", "x"}).kind, Router::Match::Kind::not_found);
  EXPECT_EQ(r.match(Method::get, {}).kind, Router::Match::Kind::not_found);
}

TEST(Router, OtherMethodIsNotAllowedWithAllowList) {
  Router r;
  ASSERT_TRUE(r.add(Method::post, "/warnings/{id}", named("post")));
  ASSERT_TRUE(r.add(Method::get, "/warnings/{id}", named("get")));
  ASSERT_TRUE(r.add(Method::del, "/warnings/{id}", named("del")));
  ASSERT_TRUE(r.add(Method::put, "/warnings/special", named("put")));
  auto m = r.match(Method::patch, {"warnings", "special"});
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(Router::allow_header(m.allowed), "GET, POST, PUT, DELETE");
  // The parameterised route still serves methods the exact one lacks.
  EXPECT_EQ(call(r, Method::get, {"warnings", "special"}), "get");
}

TEST(Router, RootPath) {
  Router r;
  ASSERT_TRUE(r.add(Method::get, "/", named("root")));
  EXPECT_EQ(call(r, Method::get, {}), "root");
}

TEST(Router, BadPatternsAreRejected) {
  Router r;
  for (const char* p : {"warnings", "/a/{", "/a/{}", "/a/x{id}", "/a/{id}x", "/a/{i{d}"}) {
    auto res = r.add(Method::get, p, named("x"));
    ASSERT_FALSE(res) << p;
    EXPECT_EQ(res.error().code, Errc::invalid_config) << p;
  }
  ASSERT_TRUE(r.add(Method::get, "/a/{id}", named("x")));
  auto dup = r.add(Method::get, "/a/{other}", named("y"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::invalid_config);
  EXPECT_TRUE(r.add(Method::post, "/a/{other}", named("y")));
}

TEST(RequestHelpers, QueryHeaderAndParamLookups) {
  Request req;
  req.query_params = {{"tag", "a"}, {"limit", "10"}, {"tag", "b c"}};
  req.headers = {{"Content-Type", "text/plain"}, {"X-Api-Key", "k1"}};
  req.path_params = {{"id", "7"}};
  EXPECT_EQ(req.query("limit"), "10");
  EXPECT_EQ(req.query("tag"), "a");
  EXPECT_EQ(req.query_all("tag"), (std::vector<std::string_view>{"a", "b c"}));
  EXPECT_FALSE(req.query("missing"));
  EXPECT_EQ(req.header("x-api-key"), "k1");
  EXPECT_EQ(req.header("CONTENT-TYPE"), "text/plain");
  EXPECT_FALSE(req.header("Cookie"));
  EXPECT_EQ(req.param("id"), "7");
  EXPECT_EQ(req.param("nope"), "");
}

TEST(ResponseHelpers, ErrorResponseShape) {
  auto r = error_response(429, "busy", "try \"later\"");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.content_type, "application/json");
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), "busy");
  EXPECT_EQ(v.at("error").at("message").as_string(), "try \"later\"");
  EXPECT_EQ(v.as_object().size(), 1u);
}

TEST(ResponseHelpers, JsonResponse) {
  auto r = json_response(201, boost::json::value{{"id", 5}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"id":5})");
}

TEST(Methods, NamesRoundTrip) {
  for (Method m : {Method::get, Method::head, Method::post, Method::put, Method::patch, Method::del, Method::options})
    EXPECT_EQ(parse_method(method_name(m)), m);
  EXPECT_EQ(parse_method("get"), Method::other);
  EXPECT_EQ(parse_method("PROPFIND"), Method::other);
}
