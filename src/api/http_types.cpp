#include "api/http_types.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/strings.h"

namespace lachan::api {

const char* method_name(Method m) noexcept {
  switch (m) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::patch:
      return "PATCH";
    case Method::del:
      return "DELETE";
    case Method::options:
      return "OPTIONS";
    case Method::other:
      return "OTHER";
  }
  return "OTHER";
}

Method parse_method(std::string_view name) noexcept {
  if (name == "GET") return Method::get;
  if (name == "HEAD") return Method::head;
  if (name == "POST") return Method::post;
  if (name == "PUT") return Method::put;
  if (name == "PATCH") return Method::patch;
  if (name == "DELETE") return Method::del;
  if (name == "OPTIONS") return Method::options;
  return Method::other;
}

std::string_view Request::param(std::string_view name) const noexcept {
  for (const auto& [k, v] : path_params)
    if (k == name) return v;
  return {};
}

std::optional<std::string_view> Request::query(std::string_view key) const noexcept {
  for (const auto& [k, v] : query_params)
    if (k == key) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> Request::query_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : query_params)
    if (k == key) out.emplace_back(v);
  return out;
}

std::optional<std::string_view> Request::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

Response json_response(int status, const boost::json::value& value) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(value);
  return r;
}

Response error_response(int status, std::string_view code, std::string_view message) {
  boost::json::object err;
  err["code"] = code;
  err["message"] = message;
  boost::json::object root;
  root["error"] = std::move(err);
  return json_response(status, root);
}

}  // namespace lachan::api
