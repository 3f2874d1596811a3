// Evaluating a compiled ruleset on one event: variant dispatch, prefilter, then the candidates.
#include <algorithm>
#include <charconv>
#include <cstring>

#include <simdjson.h>

#include "core/strings.h"
#include "core/time.h"
#include "sigma/ruleset.h"

namespace lachan::sigma {

MatchContext::MatchContext(const Ruleset& rs) : rs_(&rs) {
  // One scratch serves every database once prepared for each of them.
  for (const auto& pf : rs.prefilters_)
    for (const PrefilterSet* ps : {&pf.main, &pf.fields, &pf.keywords}) {
      if (!ps->set) continue;
      auto r = ps->set->prepare(scratch_);
      (void)r.ok();  // allocation failure leaves scratch null; scan() then reports failure
    }
  for (const auto& set : rs.accelerated_) {
    auto r = set->prepare(scratch_);
    (void)r.ok();
  }
  for (const auto& set : rs.regex_sets_) {
    auto r = set->prepare(scratch_);
    (void)r.ok();
  }
  variant_stamp_.assign(rs.variants_.size(), 0);
  seen_.assign(rs.compiled_.size(), PrefilterSeen{});
  rule_stamp_.assign(rs.rules_.size(), 0);
  memo_.assign(rs.memo_slots_, 0);
}

void MatchContext::ScanBuffer::reset(size_t bytes, size_t values) {
  pos = segs = 0;
  if (text.size() < bytes + match::LiteralSet::kScanPadding) text.resize(bytes + match::LiteralSet::kScanPadding);
  if (seg_start.size() < values) {
    seg_start.resize(values);
    seg_field.resize(values);
  }
}

namespace {

struct ScanCtx {
  const uint32_t* seg_start;  // the scanned values: where each starts, and its field
  const FieldId* seg_field;
  size_t segs;  // 0: every target takes any field, the field is not looked up
  const std::vector<uint32_t>* literal_len;
  const std::vector<std::vector<PrefilterTarget>>* targets;
  PrefilterSeen* seen;
  std::vector<uint32_t>* candidates;
  uint32_t stamp;
};

constexpr uint32_t kCandidate = 1u << 31;  // in Seen::clauses: already a candidate

// A literal or regex atom of target `t` was found: its clauses hold; with all of them, the rule
// becomes a candidate.
inline void mark(const PrefilterTarget& t, PrefilterSeen* seen, std::vector<uint32_t>& candidates, uint32_t stamp) {
  PrefilterSeen& s = seen[t.rule];
  if (s.stamp != stamp) {
    s.stamp = stamp;
    s.clauses = 0;
  }
  if (s.clauses & kCandidate) return;
  s.clauses |= t.clauses;
  if (s.clauses == t.mask) {  // every clause holds: evaluate the rule
    s.clauses |= kCandidate;
    candidates.push_back(t.rule);
  }
}

int on_literal(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/, void* p) {
  auto* c = static_cast<ScanCtx*>(p);
  FieldId f = kAnyField;
  if (c->segs) {
    uint32_t start = static_cast<uint32_t>(to) - (*c->literal_len)[id];
    const uint32_t* it = std::upper_bound(c->seg_start, c->seg_start + c->segs, start);
    f = c->seg_field[it - c->seg_start - 1];
  }
  for (const PrefilterTarget& t : (*c->targets)[id])
    if (t.field == f || t.field == kAnyField) mark(t, c->seen, *c->candidates, c->stamp);
  return 0;
}

// A regex of a PrefilterRegexes set may match: its targets' clauses hold (as in on_literal, the
// field is the set's own).
struct RegexCtx {
  const std::vector<std::vector<PrefilterTarget>>* targets;
  PrefilterSeen* seen;
  std::vector<uint32_t>* candidates;
  uint32_t stamp;
};

void regex_hit(const RegexCtx& c, unsigned id) {
  for (const PrefilterTarget& t : (*c.targets)[id]) mark(t, c.seen, *c.candidates, c.stamp);
}

int on_regex(unsigned id, unsigned long long /*from*/, unsigned long long /*to*/, unsigned /*flags*/, void* p) {
  regex_hit(*static_cast<RegexCtx*>(p), id);
  return 0;
}

// Whether Vectorscan's UTF-8 prefilter mode answers for `text` as RE2 would: valid UTF-8 (it is
// undefined otherwise) without a vertical tab (which RE2's \S takes and Vectorscan's does not).
bool regex_scannable(std::string_view text) {
  return text.find('\v') == std::string_view::npos && simdjson::validate_utf8(text.data(), text.size());
}

bool compare(double a, ValueMatcher::Cmp op, double b) {
  switch (op) {
    case ValueMatcher::lt: return a < b;
    case ValueMatcher::lte: return a <= b;
    case ValueMatcher::gt: return a > b;
    case ValueMatcher::gte: return a >= b;
    case ValueMatcher::eq: return a == b;
  }
  return false;
}

bool contains_any(std::string_view text, const std::vector<std::string>& lits) {
  for (const auto& l : lits) {
    if (text.find(l) != std::string_view::npos) return true;
  }
  return false;
}

bool parse_number(std::string_view t, double& out) {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) return false;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data() + 2, t.data() + t.size(), v, 16);
    if (ec != std::errc() || p != t.data() + t.size()) return false;
    out = static_cast<double>(v);
    return true;
  }
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size();
}

}  // namespace

bool Ruleset::value_matches(const ValueMatcher& v, const Event& e, uint32_t idx) const {
  const FieldValue& fv = e.value(idx);
  if (fv.kind == ValueKind::null) return false;
  switch (v.kind) {
    case ValueMatcher::pattern:
      return v.pat.match(v.pat.case_sensitive() ? fv.text : e.lower(idx));
    case ValueMatcher::regex:
      if (!v.guard.empty() && !contains_any(e.lower(idx), v.guard)) return false;
      return v.re->Match(re2::StringPiece(fv.text.data(), fv.text.size()), 0, fv.text.size(), RE2::UNANCHORED, nullptr, 0);
    case ValueMatcher::cidr:
      return v.net->contains(fv.text);
    case ValueMatcher::min_line: {
      // Length of the longest line in code points, as RE2's `.` counts them (no newline).
      size_t run = 0;
      for (unsigned char ch : fv.text) {
        if (ch == '\n') run = 0;
        else if ((ch & 0xC0) != 0x80 && ++run >= v.number) return true;
      }
      return false;
    }
    case ValueMatcher::compare: {
      double d = 0;
      return parse_number(fv.text, d) && compare(d, v.cmp, v.number);
    }
    case ValueMatcher::time_part: {
      auto ts = parse_timestamp(fv.text);
      if (!ts) return false;
      CivilTime t = civil_from_ns(*ts);
      int part = v.part == ValueMatcher::minute ? t.minute
               : v.part == ValueMatcher::hour   ? t.hour
               : v.part == ValueMatcher::day    ? t.day
               : v.part == ValueMatcher::week   ? t.iso_week
               : v.part == ValueMatcher::month  ? t.month
                                                : t.year;
      return compare(part, v.cmp, v.number);
    }
    case ValueMatcher::fieldref: {
      for (uint32_t j = e.first(v.ref); j != Event::kNone; j = e.value(j).next) {
        std::string_view a = v.cased ? fv.text : e.lower(idx);
        std::string_view b = v.cased ? e.value(j).text : e.lower(j);
        bool ok = v.ref_pos == ValueMatcher::ref_equals     ? a == b
                : v.ref_pos == ValueMatcher::ref_contains   ? a.find(b) != std::string_view::npos
                : v.ref_pos == ValueMatcher::ref_starts     ? starts_with(a, b)
                                                            : ends_with(a, b);
        if (ok) return true;
      }
      return false;
    }
  }
  return false;
}

namespace {
int on_any(unsigned, unsigned long long, unsigned long long, unsigned, void* p) {
  *static_cast<bool*>(p) = true;
  return 1;  // stop at the first hit
}
}  // namespace

bool Ruleset::eval_matcher(const FieldMatcher& m, const Event& e, MatchContext& c) const {
  switch (m.kind) {
    case FieldMatcher::exists: {
      bool present = false;
      for (FieldId f : m.fields) present = present || e.has(f);
      return present == m.exists_value;
    }
    case FieldMatcher::null_value: {
      for (FieldId f : m.fields)
        for (uint32_t i = e.first(f); i != Event::kNone; i = e.value(i).next)
          if (e.value(i).kind != ValueKind::null) return false;
      return true;
    }
    case FieldMatcher::keyword: {
      const auto& kv = e.keyword_values();
      auto one = [&](const ValueMatcher& v) {
        for (uint32_t idx : kv) {
          std::string_view s = e.value(idx).text;
          if (v.kind != ValueMatcher::pattern) {  // regex, or `.{N,}` as a line-length test
            if (value_matches(v, e, idx)) return true;
            continue;
          }
          // Keywords search the whole event: a value without wildcards matches anywhere in a field.
          std::string_view text = v.pat.case_sensitive() ? s : e.lower(idx);
          if (v.pat.kind() == match::Pattern::Kind::equals) {
            if (text.find(v.pat.text()) != std::string_view::npos) return true;
          } else if (v.pat.match(text)) {
            return true;
          }
        }
        return false;
      };
      if (m.all) {
        for (const auto& v : m.vals)
          if (!one(v)) return false;
        return true;
      }
      for (const auto& v : m.vals)
        if (one(v)) return true;
      return false;
    }
    case FieldMatcher::values: break;
  }
  if (m.contains_set) {
    for (FieldId f : m.fields)
      for (uint32_t i = e.first(f); i != Event::kNone; i = e.value(i).next) {
        if (e.value(i).kind == ValueKind::null) continue;
        c.value_buf_.assign(e.lower(i));
        bool hit = false;
        m.contains_set->scan(c.value_buf_, c.scratch_, &on_any, &hit);
        if (hit) return true;
      }
  }
  if (m.affix) {
    for (FieldId f : m.fields)
      for (uint32_t i = e.first(f); i != Event::kNone; i = e.value(i).next)
        if (e.value(i).kind != ValueKind::null && m.affix->match(e.lower(i))) return true;
  }
  bool present = false;
  auto any_value = [&](const ValueMatcher& v) {
    for (FieldId f : m.fields)
      for (uint32_t i = e.first(f); i != Event::kNone; i = e.value(i).next) {
        present = true;
        if (value_matches(v, e, i)) return true;
      }
    return false;
  };
  if (m.negate) {
    for (const auto& v : m.vals)
      if (any_value(v)) return false;
    return present;
  }
  if (m.all) {
    for (const auto& v : m.vals)
      if (!any_value(v)) return false;
    return true;
  }
  for (const auto& v : m.vals)
    if (any_value(v)) return true;
  return false;
}

bool Ruleset::eval(uint32_t ni, const Event& e, MatchContext& c) const {
  const Node& n = nodes_[ni];
  const uint32_t* kids = children_.data() + n.first_child;
  switch (n.op) {
    case Node::op_match: {
      if (n.memo == Node::kNoMemo) return eval_matcher(matchers_[n.arg], e, c);
      uint64_t& m = c.memo_[n.memo];
      if ((m >> 1) == c.stamp_) return (m & 1) != 0;
      const bool r = eval_matcher(matchers_[n.arg], e, c);
      m = (uint64_t{c.stamp_} << 1) | uint64_t{r};
      return r;
    }
    case Node::op_and:
      for (uint32_t k = 0; k < n.child_count; ++k)
        if (!eval(kids[k], e, c)) return false;
      return true;
    case Node::op_or:
      for (uint32_t k = 0; k < n.child_count; ++k)
        if (eval(kids[k], e, c)) return true;
      return false;
    case Node::op_not: return !eval(kids[0], e, c);
    case Node::op_at_least: {
      uint32_t hits = 0;
      for (uint32_t k = 0; k < n.child_count; ++k)
        if (eval(kids[k], e, c) && ++hits >= n.arg) return true;
      return false;
    }
    case Node::op_true: return true;
    case Node::op_false: return false;
  }
  return false;
}

void Ruleset::active_variants(const Event& e, MatchContext& c) const {
  c.active_.clear();
  // `from`: the tests before it hold (the key index matched them).
  auto check = [&](uint32_t vi, uint32_t from) {
    if (c.variant_stamp_[vi] == c.stamp_) return;
    const auto& when = variants_[vi].when;
    for (size_t t = from; t < when.size(); ++t) {
      const CompiledWhen& w = when[t];
      bool present = e.has(w.field);
      if (w.exists_test) {
        if (present != w.exists_value) return;
        continue;
      }
      if (!present) return;
      bool hit = false;
      for (uint32_t i = e.first(w.field); i != Event::kNone && !hit; i = e.value(i).next) {
        std::string_view v = e.lower(i);
        for (const auto& want : w.values)
          if (v == want) {
            hit = true;
            break;
          }
      }
      if (!hit) return;
    }
    c.variant_stamp_[vi] = c.stamp_;
    c.active_.push_back(vi);
  };
  // The event's key values as ids, once per key field; then each index by id (pairs).
  c.key_ids_.clear();
  c.key_begin_.resize(key_fields_.size() + 1);
  for (size_t s = 0; s < key_fields_.size(); ++s) {
    c.key_begin_[s] = static_cast<uint32_t>(c.key_ids_.size());
    const auto& ids = key_fields_[s].ids;
    for (uint32_t i = e.first(key_fields_[s].field); i != Event::kNone; i = e.value(i).next) {
      const FieldId id = ids.find(e.lower(i));
      if (id != kNoField) c.key_ids_.push_back(id + 1);
    }
  }
  c.key_begin_[key_fields_.size()] = static_cast<uint32_t>(c.key_ids_.size());
  const uint32_t* ids = c.key_ids_.data();
  const uint32_t* begin = c.key_begin_.data();
  for (const auto& k : key_index_) {
    for (uint32_t a = begin[k.slot]; a < begin[k.slot + 1]; ++a) {
      auto lookup = [&](uint32_t id2) {
        auto it = k.by_key.find(key_of(ids[a], id2));
        if (it == k.by_key.end()) return;
        for (uint32_t vi : it->second) check(vi, variants_[vi].key_tests);
      };
      if (k.slot2 == kNoSlot) {
        lookup(0);
        continue;
      }
      for (uint32_t b = begin[k.slot2]; b < begin[k.slot2 + 1]; ++b) lookup(ids[b]);
    }
  }
  for (const auto& [need, list] : unkeyed_)
    if (need == kNoField || e.has(need))
      for (uint32_t vi : list) check(vi, 0);
  if (c.active_.empty() && fallback_variant_ != UINT32_MAX) {
    c.variant_stamp_[fallback_variant_] = c.stamp_;
    c.active_.push_back(fallback_variant_);
  }
}

std::optional<int64_t> Ruleset::event_time(const Event& e) const {
  for (FieldId f : time_fields_) {
    uint32_t i = e.first(f);
    if (i == Event::kNone) continue;
    if (auto t = parse_timestamp(e.value(i).text)) return t;
  }
  return std::nullopt;
}

void Ruleset::match(const Event& e, MatchContext& c, std::vector<uint32_t>& out) const {
  if (++c.stamp_ == 0) {
    std::fill(c.variant_stamp_.begin(), c.variant_stamp_.end(), 0);
    std::fill(c.seen_.begin(), c.seen_.end(), PrefilterSeen{});
    std::fill(c.rule_stamp_.begin(), c.rule_stamp_.end(), 0);
    std::fill(c.memo_.begin(), c.memo_.end(), 0);
    c.stamp_ = 1;
  }
  active_variants(e, c);
  if (c.active_.empty()) return;
  c.candidates_.clear();

  // Prefilter: for each active variant, its main field's literals over that field's values, the
  // other field-bound literals over their fields' values, keyword literals (if any) over every
  // value. Values shorter than a set's shortest literal are left out of its buffer.
  const size_t n = e.value_count();
  size_t total = 0;
  for (uint32_t i = 0; i < n; ++i) total += e.value(i).text.size() + 1;
  bool all_built = false;
  auto scan = [&](const PrefilterSet& ps, MatchContext::ScanBuffer& b, bool any_field) {
    if (!ps.set || b.pos == 0) return;
    ScanCtx sc{b.seg_start.data(), b.seg_field.data(), any_field ? 0 : b.segs, &ps.literal_len, &ps.targets, c.seen_.data(), &c.candidates_, c.stamp_};
    ps.set->scan(b.text.data(), b.pos, c.scratch_, &on_literal, &sc);
  };
  for (uint32_t vi : c.active_) {
    int32_t pi = variants_[vi].prefilter;
    if (pi < 0) continue;
    const Prefilter& pf = prefilters_[static_cast<size_t>(pi)];
    if (pf.main.set || pf.fields.set) {
      c.main_buf_.reset(total, n);
      c.other_buf_.reset(total, n);
      const uint8_t* scan_of = pf.field.data();
      const size_t scan_count = pf.field.size();
      const size_t main_min = pf.main.min_len, other_min = pf.fields.min_len;
      for (uint32_t i = 0; i < n; ++i) {
        const FieldValue& v = e.value(i);
        if (v.field >= scan_count) continue;  // kNoField: a keyword value only
        const uint8_t kind = scan_of[v.field];
        if (kind == Prefilter::main_field) {
          if (v.text.size() >= main_min) c.main_buf_.add(v);
        } else if (kind == Prefilter::other && v.text.size() >= other_min) {
          c.other_buf_.add(v);
        }
      }
      scan(pf.fields, c.other_buf_, false);
      scan(pf.main, c.main_buf_, false);
    }
    const PrefilterAnchors& an = pf.anchors;
    for (uint32_t g = 0; g < an.fields.size(); ++g)
      for (uint32_t i = e.first(an.fields[g]); i != Event::kNone; i = e.value(i).next) {
        const FieldValue& v = e.value(i);
        if (v.kind == ValueKind::null) continue;  // matches no string value
        an.set.find(g, v.text, [&](uint32_t id) {
          for (const PrefilterTarget& t : an.targets[id]) mark(t, c.seen_.data(), c.candidates_, c.stamp_);
        });
      }
    for (const PrefilterRegexes& pr : pf.regexes) {
      RegexCtx rc{&pr.targets, c.seen_.data(), &c.candidates_, c.stamp_};
      for (uint32_t i = e.first(pr.field); i != Event::kNone; i = e.value(i).next) {
        const FieldValue& v = e.value(i);
        if (v.kind == ValueKind::null || v.text.empty()) continue;  // no regex of a set matches ""
        // A value Vectorscan cannot answer for (or a failed scan): every regex may match, RE2 decides.
        if (!regex_scannable(v.text) || !pr.set->scan(v.text, c.scratch_, &on_regex, &rc))
          for (unsigned id = 0; id < pr.targets.size(); ++id) regex_hit(rc, id);
      }
    }
    if (pf.keywords.set) {
      if (!all_built) {
        all_built = true;
        c.all_buf_.reset(total, n);
        for (uint32_t i = 0; i < n; ++i) {
          const FieldValue& v = e.value(i);
          if (v.text.size() >= keyword_min_len_) c.all_buf_.add(v);
        }
      }
      scan(pf.keywords, c.all_buf_, true);  // keyword targets take any field
    }
  }
  // Candidates of inactive variants are dropped; rules evaluated in rule order.
  size_t keep = 0;
  for (uint32_t cr : c.candidates_)
    if (c.variant_stamp_[compiled_[cr].variant] == c.stamp_) c.candidates_[keep++] = cr;
  c.candidates_.resize(keep);
  for (uint32_t vi : c.active_)
    c.candidates_.insert(c.candidates_.end(), variants_[vi].always_rules.begin(), variants_[vi].always_rules.end());
  std::sort(c.candidates_.begin(), c.candidates_.end());
  for (uint32_t cr : c.candidates_) {
    const CompiledRule& r = compiled_[cr];
    if (c.rule_stamp_[r.rule] == c.stamp_) continue;  // already matched through another variant
    if (eval(r.root, e, c)) {
      c.rule_stamp_[r.rule] = c.stamp_;
      out.push_back(cr);
    }
  }
}

}  // namespace lachan::sigma

