// Reading and writing the plain fields of the JSON the intel module stores (indicator and sample
// records): what repository.cpp and samples.cpp share.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lachan::intel::jsonf {

inline boost::json::array strings(const std::vector<std::string>& v) {
  boost::json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// The string at `key`; empty when it is missing or not a string.
inline std::string str(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  const boost::json::string* s = v ? v->if_string() : nullptr;
  return s ? std::string(*s) : std::string();
}

// Appends the strings of the array at `key`; false when it is not an array of strings (a missing
// key is fine).
inline bool strings_into(const boost::json::object& o, std::string_view key, std::vector<std::string>& out) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return true;
  const boost::json::array* a = v->if_array();
  if (!a) return false;
  for (const auto& x : *a) {
    const boost::json::string* s = x.if_string();
    if (!s) return false;
    out.emplace_back(*s);
  }
  return true;
}

// The integer at `key`; `dflt` when it is missing or not an integer.
inline int64_t i64(const boost::json::object& o, std::string_view key, int64_t dflt) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return dflt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return dflt;
}

}  // namespace lachan::intel::jsonf
