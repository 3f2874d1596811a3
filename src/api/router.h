// Router: (method, path pattern) -> handler. Patterns are '/'-separated segments; a segment
// written `{name}` matches any one non-empty segment and binds it as a path parameter.
//
// Matching, for a request path (percent-decoded per segment, so %2F stays inside a segment):
// among the routes whose pattern matches the path AND whose method is the request's, the most
// specific wins: compared segment by segment from the left, a literal beats a parameter
// (so "/warnings/export" is preferred over "/warnings/{id}" for the same method).
// No pattern matches the path -> NotFound; patterns match but none for this method ->
// MethodNotAllowed with the methods that would match (for the Allow header).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"
#include "core/result.h"

namespace lachan::api {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  // Registers a route. Errors (Errc::invalid_config): pattern not starting with '/', an empty
  // or unterminated {param}, or the same method and pattern registered twice.
  Result<void> add(Method method, std::string_view pattern, Handler handler);

  struct Match {
    enum class Kind { found, not_found, method_not_allowed } kind = Kind::not_found;
    const Handler* handler = nullptr;  // set when found
    std::vector<Header> params;        // set when found
    std::vector<Method> allowed;       // set when method_not_allowed, sorted, unique
  };
  // `segments` are the decoded path segments ("/a/b" -> {"a","b"}; "/" -> {}).
  Match match(Method method, const std::vector<std::string>& segments) const;

  // "GET, POST" for an Allow header.
  static std::string allow_header(const std::vector<Method>& methods);

  size_t size() const noexcept { return routes_.size(); }

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool param = false;
  };
  struct Route {
    Method method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };
  static bool matches(const Route& r, const std::vector<std::string>& segments);
  // True when a is more specific than b (both match the same path).
  static bool more_specific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace lachan::api
