#include "detect/flatten.h"

#include <algorithm>
#include <charconv>
#include <cstring>

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

// render() and leaf() run for every leaf, and a call costs about as much as their work: they are
// inlined into their callers.
[[gnu::always_inline]] inline std::string_view Flattener::render(dom::element v, Event& e, ValueKind& kind) {
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

[[gnu::always_inline]] inline void Flattener::leaf(FieldId f, dom::element v, Event& e) {
  if (f == kNoField && !keyword_leaves_) return;
  ValueKind kind;
  std::string_view text = render(v, e, kind);
  const bool keyword = keyword_leaves_ && kind != ValueKind::null;  // a null is no keyword value
  if (f != kNoField || keyword) e.add(f, text, kind, keyword);
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
      leaf(fields_.find(path_), v, e);
  }
}

// A scalar under EventData/UserData/System named `name`.
void Flattener::windows_leaf(std::string_view name, dom::element v, Event& e) {
  bool spaced;
  const uint64_t h = FieldRegistry::hash(name, spaced);
  FieldId f = kNoField;
  if (spaced) [[unlikely]] {
    // The specification names fields "as they appear in the log source, with spaces stripped".
    stripped_.clear();
    for (char c : name)
      if (c != ' ') stripped_.push_back(c);
    f = fields_.find(stripped_);
  }
  if (f == kNoField) f = fields_.find(name, h);
  leaf(f, v, e);
}

// An element or array under EventData/UserData/System named `name`. Nested elements and
// attributes are named "Name_Key", built in place in name_ after their parent's name.
void Flattener::windows_nested(std::string_view name, dom::element v, Event& e, int depth) {
  if (depth >= 64) return;  // its children would be deeper than 64
  // Children's names are built after this one in name_, which may reallocate: so `name` is not
  // used past this point, only name_'s first `base` bytes.
  const size_t base = name.size();
  if (name.data() != name_.data()) {  // not already there (a parent built it)
    if (base > name_.size()) name_.resize(base);
    std::memcpy(name_.data(), name.data(), base);
  }
  auto named = [&](std::string_view child_name, dom::element child) {
    if (child.is_object() || child.is_array()) {
      windows_nested(child_name, child, e, depth + 1);
    } else {
      windows_leaf(child_name, child, e);
    }
  };
  auto nested = [&](std::string_view key, dom::element child) {
    const size_t size = base + 1 + key.size();
    if (size > name_.size()) name_.resize(std::max(size, 2 * name_.size()));
    name_[base] = '_';
    std::memcpy(name_.data() + base + 1, key.data(), key.size());
    named({name_.data(), size}, child);
  };
  if (v.is_array()) {
    for (dom::element c : as_array(v)) named({name_.data(), base}, c);
    return;
  }
  for (auto [k, child] : as_object(v)) {
    if (k.starts_with('#') && k == "#text") {
      named({name_.data(), base}, child);
    } else if (k.starts_with('#') && k == "#attributes") {
      if (child.type() != dom::element_type::OBJECT) continue;
      for (auto [ak, av] : as_object(child)) nested(ak, av);
    } else {
      nested(k, child);
    }
  }
}

void Flattener::windows(dom::object ev, Event& e) {
  // The values directly under a section, most leaves of an event: named by their own key, which
  // is not copied unless it has children.
  auto values = [&](dom::object section) {
    for (auto [k, v] : section) {
      if (k.starts_with('#') && k == "#attributes") continue;
      if (v.is_object() || v.is_array()) {
        windows_nested(k, v, e, 0);
      } else {
        windows_leaf(k, v, e);
      }
    }
  };
  for (auto [section, body] : ev) {
    if (body.type() != dom::element_type::OBJECT) continue;
    dom::object obj = as_object(body);
    if (section == "UserData") {
      // UserData wraps its values in one element named after the event: go one level down.
      for (auto [wrapper, inner] : obj) {
        (void)wrapper;
        if (inner.type() == dom::element_type::OBJECT) values(as_object(inner));
      }
    } else {
      values(obj);
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
        // The leaves again by their full paths; they are already keyword values.
        path_.clear();
        keyword_leaves_ = false;
        walk(root, e, 0);
        keyword_leaves_ = keywords_;
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
