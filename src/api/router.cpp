#include "api/router.h"

#include <algorithm>

namespace lachan::api {

Result<void> Router::add(Method method, std::string_view pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/')
    return make_error(Errc::invalid_config, "route pattern must start with '/': " + std::string(pattern));
  if (!handler) return make_error(Errc::invalid_config, "route without a handler: " + std::string(pattern));
  if (method == Method::other)
    return make_error(Errc::invalid_config, "routes need a named method: " + std::string(pattern));
  Route r{method, std::string(pattern), {}, std::move(handler)};
  std::string_view rest = pattern.substr(1);
  if (!rest.empty()) {
    while (true) {
      size_t slash = rest.find('/');
      std::string_view seg = rest.substr(0, slash);
      if (!seg.empty() && seg.front() == '{') {
        if (seg.size() < 3 || seg.back() != '}' || seg.find_first_of("{}/", 1) != seg.size() - 1)
          return make_error(Errc::invalid_config, "bad path parameter in route pattern: " + std::string(pattern));
        r.segments.push_back({std::string(seg.substr(1, seg.size() - 2)), true});
      } else {
        if (seg.find_first_of("{}") != std::string_view::npos)
          return make_error(Errc::invalid_config, "braces inside a literal segment: " + std::string(pattern));
        r.segments.push_back({std::string(seg), false});
      }
      if (slash == std::string_view::npos) break;
      rest = rest.substr(slash + 1);
    }
  }
  for (const auto& other : routes_) {
    if (other.method != method || other.segments.size() != r.segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < r.segments.size() && same; ++i)
      same = other.segments[i].param == r.segments[i].param &&
             (r.segments[i].param || other.segments[i].text == r.segments[i].text);
    if (same)
      return make_error(Errc::invalid_config, std::string("route registered twice: ") + method_name(method) + " " +
                                                  std::string(pattern) + " (as " + other.pattern + ")");
  }
  routes_.push_back(std::move(r));
  return {};
}

bool Router::matches(const Route& r, const std::vector<std::string>& segments) {
  if (r.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = r.segments[i];
    if (s.param ? segments[i].empty() : s.text != segments[i]) return false;
  }
  return true;
}

bool Router::more_specific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].param != b.segments[i].param) return !a.segments[i].param;
  }
  return false;
}

Router::Match Router::match(Method method, const std::vector<std::string>& segments) const {
  Match m;
  const Route* best = nullptr;
  for (const auto& r : routes_) {
    if (!matches(r, segments)) continue;
    if (r.method != method) {
      m.allowed.push_back(r.method);
      continue;
    }
    if (!best || more_specific(r, *best)) best = &r;
  }
  if (best) {
    m.kind = Match::Kind::found;
    m.handler = &best->handler;
    m.allowed.clear();
    for (size_t i = 0; i < segments.size(); ++i)
      if (best->segments[i].param) m.params.emplace_back(best->segments[i].text, segments[i]);
    return m;
  }
  if (!m.allowed.empty()) {
    m.kind = Match::Kind::method_not_allowed;
    std::sort(m.allowed.begin(), m.allowed.end());
    m.allowed.erase(std::unique(m.allowed.begin(), m.allowed.end()), m.allowed.end());
  }
  return m;
}

std::string Router::allow_header(const std::vector<Method>& methods) {
  std::string out;
  for (Method m : methods) {
    if (m == Method::other) continue;
    if (!out.empty()) out += ", ";
    out += method_name(m);
  }
  return out;
}

}  // namespace lachan::api
