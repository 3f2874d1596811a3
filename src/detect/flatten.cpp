#include "detect/flatten.h"

#include <charconv>

#include <fmt/format.h>

namespace lachan::detect {

namespace dom = simdjson::dom;

namespace {
dom::object as_object(dom::element v) {
  dom::object o;
  if (v.get(o) != simdjson::SUCCESS) return {};
  return o;
}
dom::array as_array(dom::element v) {
  dom::array a;
  if (v.get(a) != simdjson::SUCCESS) return {};
  return a;
}
}  // namespace

std::string_view Flattener::render(dom::element v, Event& e, ValueKind& kind) {
  switch (v.type()) {
    case dom::element_type::STRING:
      kind = ValueKind::string;
      return v.get_string().value_unsafe();
    case dom::element_type::INT64: {
      kind = ValueKind::number;
      char* p = e.arena().alloc(24);
      auto r = std::to_chars(p, p + 24, v.get_int64().value_unsafe());
      return {p, static_cast<size_t>(r.ptr - p)};
    }
    case dom::element_type::UINT64: {
      kind = ValueKind::number;
      char* p = e.arena().alloc(24);
      auto r = std::to_chars(p, p + 24, v.get_uint64().value_unsafe());
      return {p, static_cast<size_t>(r.ptr - p)};
    }
    case dom::element_type::DOUBLE: {
      kind = ValueKind::number;
      char* p = e.arena().alloc(32);
      auto r = std::to_chars(p, p + 32, v.get_double().value_unsafe());
      return {p, static_cast<size_t>(r.ptr - p)};
    }
    case dom::element_type::BOOL:
      kind = ValueKind::boolean;
      return v.get_bool().value_unsafe() ? "true" : "false";
    default:
      kind = ValueKind::null;
      return {};
  }
}

void Flattener::leaf(std::string_view name, dom::element v, Event& e) {
  FieldId f = fields_.find(name);
  bool keyword = keywords_ && !full_walk_;
  if (f == kNoField && !keyword) return;
  ValueKind kind;
  std::string_view text = render(v, e, kind);
  if (f != kNoField) {
    e.add(f, text, kind);
    if (keyword && kind != ValueKind::null) e.mark_last_keyword();
  } else if (kind != ValueKind::null) {
    e.add_keyword_value(text, kind);
  }
}

void Flattener::walk(dom::element v, Event& e, int depth) {
  if (depth > 64) return;
  switch (v.type()) {
    case dom::element_type::OBJECT: {
      size_t base = path_.size();
      for (auto [k, child] : as_object(v)) {
        if (base) path_.push_back('.');
        path_.append(k);
        walk(child, e, depth + 1);
        path_.resize(base);
      }
      break;
    }
    case dom::element_type::ARRAY:
      for (dom::element child : as_array(v)) walk(child, e, depth + 1);
      break;
    default:
      leaf(path_, v, e);
  }
}

// A value under EventData/UserData/System, known by the name in `name_`. Nested elements and
// attributes extend the name with "_Key" and truncate it again (no allocation per event).
void Flattener::windows_named(dom::element v, Event& e, int depth) {
  if (depth > 64) return;
  if (v.type() == dom::element_type::OBJECT) {
    const size_t base = name_.size();
    auto nested = [&](std::string_view key, dom::element child) {
      name_.push_back('_');
      name_.append(key);
      windows_named(child, e, depth + 1);
      name_.resize(base);
    };
    for (auto [k, child] : as_object(v)) {
      if (k == "#text") {
        windows_named(child, e, depth + 1);
      } else if (k == "#attributes") {
        if (child.type() != dom::element_type::OBJECT) continue;
        for (auto [ak, av] : as_object(child)) nested(ak, av);
      } else {
        nested(k, child);
      }
    }
    return;
  }
  if (v.type() == dom::element_type::ARRAY) {
    for (dom::element c : as_array(v)) windows_named(c, e, depth + 1);
    return;
  }
  if (name_.find(' ') != std::string::npos) {
    // The specification names fields "as they appear in the log source, with spaces stripped".
    stripped_.clear();
    for (char c : name_)
      if (c != ' ') stripped_.push_back(c);
    if (fields_.find(stripped_) != kNoField) {
      leaf(stripped_, v, e);
      return;
    }
  }
  leaf(name_, v, e);
}

void Flattener::windows(dom::object ev, Event& e) {
  for (auto [section, body] : ev) {
    if (body.type() != dom::element_type::OBJECT) continue;
    dom::object obj = as_object(body);
    if (section == "UserData") {
      // UserData wraps its values in one element named after the event: go one level down.
      for (auto [wrapper, inner] : obj) {
        (void)wrapper;
        if (inner.type() != dom::element_type::OBJECT) continue;
        for (auto [k, v] : as_object(inner)) {
          if (k == "#attributes") continue;
          name_.assign(k);
          windows_named(v, e, 0);
        }
      }
    } else {
      for (auto [k, v] : obj) {
        if (k == "#attributes") continue;
        name_.assign(k);
        windows_named(v, e, 0);
      }
    }
  }
}

Result<void> Flattener::flatten(std::string_view json, Event& e) {
  e.reset(fields_.size());
  e.raw = json;
  dom::element root;
  auto err = parser_.parse(json.data(), json.size(), false).get(root);
  if (err) return make_error(Errc::malformed, fmt::format("invalid JSON: {}", simdjson::error_message(err)));
  if (root.type() != dom::element_type::OBJECT) return make_error(Errc::malformed, "the record is not a JSON object");
  dom::object obj = as_object(root);
  dom::element ev;
  if (obj.size() >= 1 && obj["Event"].get(ev) == simdjson::SUCCESS && ev.type() == dom::element_type::OBJECT) {
    dom::object evo = as_object(ev);
    dom::element sys;
    if (evo["System"].get(sys) == simdjson::SUCCESS) {
      windows(evo, e);
      if (full_paths_) {
        path_.clear();
        full_walk_ = true;
        walk(root, e, 0);
        full_walk_ = false;
      }
      return {};
    }
  }
  path_.clear();
  walk(root, e, 0);
  return {};
}

std::optional<std::string> first_text(const Event& e, const std::vector<FieldId>& fields) {
  for (FieldId f : fields) {
    uint32_t i = e.first(f);
    if (i != Event::kNone && e.value(i).kind != ValueKind::null) return std::string(e.value(i).text);
  }
  return std::nullopt;
}

}  // namespace lachan::detect
