#include "intel/stix_pattern.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/strings.h"
#include "core/time.h"

namespace lachan::intel {
namespace {

using Conjunction = std::vector<Observable>;
using Dnf = std::vector<Conjunction>;

bool is_ident_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) noexcept { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }


bool fixed_digits(std::string_view s, size_t pos, size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!is_digit(s[pos + i])) return false;
    v = v * 10 + (s[pos + i] - '0');
  }
  out = v;
  return true;
}

std::string at(size_t offset) { return "stix pattern: at byte " + std::to_string(offset) + ": "; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Pattern> run() {
    Pattern p;
    skip_ws();
    if (pos_ == s_.size()) return make_error(Errc::malformed, "stix pattern: empty pattern");
    if (!obs_followed(p.root)) return std::move(err_);
    skip_ws();
    if (pos_ != s_.size()) {
      fail(pos_, "unexpected '" + std::string(s_.substr(pos_, std::min<size_t>(12, s_.size() - pos_))) +
                     "' after the end of the pattern");
      return std::move(err_);
    }
    return p;
  }

 private:
  bool fail(size_t offset, std::string what, Errc code = Errc::malformed) {
    err_ = make_error(code, at(offset) + std::move(what));
    return false;
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool peek(char c) {
    skip_ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  bool eat(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }

  // A keyword, in any case, not followed by more of an identifier.
  bool keyword(std::string_view kw) {
    skip_ws();
    if (s_.size() - pos_ < kw.size() || !iequals(s_.substr(pos_, kw.size()), kw)) return false;
    size_t end = pos_ + kw.size();
    if (end < s_.size() && is_ident_char(s_[end])) return false;
    pos_ = end;
    return true;
  }

  bool enter(size_t offset) {
    if (++depth_ > kMaxPatternDepth)
      return fail(offset, "nested deeper than " + std::to_string(kMaxPatternDepth), Errc::limit);
    return true;
  }

  std::string_view identifier() {
    skip_ws();
    size_t b = pos_;
    if (pos_ < s_.size() && is_ident_start(s_[pos_]))
      while (pos_ < s_.size() && is_ident_char(s_[pos_])) ++pos_;
    return s_.substr(b, pos_ - b);
  }

  std::string near() const {
    if (pos_ >= s_.size()) return "the end of the pattern";
    return "'" + std::string(s_.substr(pos_, std::min<size_t>(12, s_.size() - pos_))) + "'";
  }

  template <typename Node, typename Sub>
  bool chain(Node& out, std::string_view kw, typename Node::Kind kind, Sub sub) {
    if (!(this->*sub)(out)) return false;
    if (!keyword_ahead(kw)) return true;
    Node first = std::move(out);
    out = Node{};
    out.kind = kind;
    out.operands.push_back(std::move(first));
    while (keyword(kw)) {
      out.operands.emplace_back();
      if (!(this->*sub)(out.operands.back())) return false;
    }
    return true;
  }

  bool keyword_ahead(std::string_view kw) {
    size_t save = pos_;
    bool yes = keyword(kw);
    pos_ = save;
    return yes;
  }

  bool obs_followed(ObservationExpr& out) {
    return chain(out, "FOLLOWEDBY", ObservationExpr::Kind::followed_by, &Parser::obs_or);
  }
  bool obs_or(ObservationExpr& out) { return chain(out, "OR", ObservationExpr::Kind::any, &Parser::obs_and); }
  bool obs_and(ObservationExpr& out) { return chain(out, "AND", ObservationExpr::Kind::all, &Parser::obs_qual); }

  bool obs_qual(ObservationExpr& out) {
    if (!obs_primary(out)) return false;
    for (;;) {
      Qualifier q;
      size_t qpos = (skip_ws(), pos_);
      if (keyword("WITHIN")) {
        q.kind = Qualifier::Kind::within;
        PatternConstant n;
        size_t npos = (skip_ws(), pos_);
        if (!number(n)) return false;
        q.seconds = n.kind == PatternConstant::Kind::integer ? static_cast<double>(n.integer) : n.floating;
        if (!(q.seconds > 0)) return fail(npos, "WITHIN needs a positive number of seconds");
        if (!keyword("SECONDS")) return fail(pos_, "expected SECONDS after WITHIN " + n.text + ", found " + near());
      } else if (keyword("REPEATS")) {
        q.kind = Qualifier::Kind::repeats;
        PatternConstant n;
        size_t npos = (skip_ws(), pos_);
        if (!number(n)) return false;
        if (n.kind != PatternConstant::Kind::integer || n.integer <= 0)
          return fail(npos, "REPEATS needs a positive integer");
        q.times = n.integer;
        if (!keyword("TIMES")) return fail(pos_, "expected TIMES after REPEATS " + n.text + ", found " + near());
      } else if (keyword("START")) {
        q.kind = Qualifier::Kind::start_stop;
        PatternConstant a, b;
        if (!timestamp_literal(a)) return false;
        if (!keyword("STOP")) return fail(pos_, "expected STOP after START t'…', found " + near());
        if (!timestamp_literal(b)) return false;
        q.start_ms = a.integer;
        q.stop_ms = b.integer;
        if (q.stop_ms <= q.start_ms) return fail(qpos, "STOP must be later than START");
      } else {
        return true;
      }
      out.qualifiers.push_back(q);
    }
  }

  bool obs_primary(ObservationExpr& out) {
    skip_ws();
    size_t open = pos_;
    if (eat('[')) {
      if (!enter(open)) return false;
      out.kind = ObservationExpr::Kind::observation;
      if (!cmp_or(out.comparisons)) return false;
      if (!eat(']')) return fail(pos_, "expected ']' to close the '[' at byte " + std::to_string(open) + ", found " + near());
      --depth_;
      return true;
    }
    if (eat('(')) {
      if (!enter(open)) return false;
      if (!obs_followed(out)) return false;
      if (!eat(')')) return fail(pos_, "expected ')' to close the '(' at byte " + std::to_string(open) + ", found " + near());
      --depth_;
      return true;
    }
    return fail(pos_, "expected '[' or '(' to start an observation expression, found " + near());
  }

  bool cmp_or(ComparisonExpr& out) { return chain(out, "OR", ComparisonExpr::Kind::any, &Parser::cmp_and); }
  bool cmp_and(ComparisonExpr& out) { return chain(out, "AND", ComparisonExpr::Kind::all, &Parser::cmp_primary); }

  bool cmp_primary(ComparisonExpr& out) {
    skip_ws();
    size_t open = pos_;
    if (eat('(')) {
      if (!enter(open)) return false;
      if (!cmp_or(out)) return false;
      if (!eat(')')) return fail(pos_, "expected ')' to close the '(' at byte " + std::to_string(open) + ", found " + near());
      --depth_;
      return true;
    }
    out.kind = ComparisonExpr::Kind::comparison;
    Comparison& c = out.comparison;
    if (keyword("EXISTS")) {
      c.op = CompareOp::exists;
      skip_ws();
      c.offset = pos_;
      return object_path(c.path);
    }
    c.offset = pos_;
    if (!object_path(c.path)) return false;
    c.negated = keyword("NOT");
    skip_ws();
    size_t opos = pos_;
    auto two = s_.substr(pos_, 2);
    if (two == "!=" || two == "<>") c.op = CompareOp::ne, pos_ += 2;
    else if (two == "<=") c.op = CompareOp::le, pos_ += 2;
    else if (two == ">=") c.op = CompareOp::ge, pos_ += 2;
    else if (eat('=')) c.op = CompareOp::eq;
    else if (eat('<')) c.op = CompareOp::lt;
    else if (eat('>')) c.op = CompareOp::gt;
    else if (keyword("IN")) c.op = CompareOp::in;
    else if (keyword("LIKE")) c.op = CompareOp::like;
    else if (keyword("MATCHES")) c.op = CompareOp::matches;
    else if (keyword("ISSUBSET")) c.op = CompareOp::issubset;
    else if (keyword("ISSUPERSET")) c.op = CompareOp::issuperset;
    else {
      std::string_view word = identifier();
      pos_ = opos;
      return fail(opos, "unknown operator " + (word.empty() ? near() : "'" + std::string(word) + "'") +
                            " after " + c.path.text());
    }
    skip_ws();
    size_t vpos = pos_;
    switch (c.op) {
      case CompareOp::in: return list(c.value);
      case CompareOp::like:
      case CompareOp::matches:
      case CompareOp::issubset:
      case CompareOp::issuperset:
        if (!constant(c.value)) return false;
        if (c.value.kind != PatternConstant::Kind::string)
          return fail(vpos, std::string(compare_op_name(c.op)) + " needs a string");
        return true;
      case CompareOp::lt:
      case CompareOp::gt:
      case CompareOp::le:
      case CompareOp::ge:
        if (!constant(c.value)) return false;
        if (c.value.kind == PatternConstant::Kind::boolean)
          return fail(vpos, std::string(compare_op_name(c.op)) + " needs an orderable value, not a boolean");
        return true;
      default: return constant(c.value);
    }
  }

  bool list(PatternConstant& out) {
    out.kind = PatternConstant::Kind::list;
    if (!eat('(')) return fail(pos_, "expected '(' to start the list after IN, found " + near());
    if (eat(')')) return true;
    do {
      out.items.emplace_back();
      if (!constant(out.items.back())) return false;
    } while (eat(','));
    if (!eat(')')) return fail(pos_, "expected ',' or ')' in the list after IN, found " + near());
    return true;
  }

  bool object_path(ObjectPath& out) {
    skip_ws();
    size_t start = pos_;
    std::string_view type = identifier();
    if (type.empty()) return fail(start, "expected an object path (type:property), found " + near());
    out.object_type = type;
    if (pos_ >= s_.size() || s_[pos_] != ':')
      return fail(pos_, "missing ':' after the object type '" + std::string(type) + "' in an object path");
    ++pos_;
    if (!path_step(out)) return false;
    for (;;) {
      if (pos_ < s_.size() && s_[pos_] == '.') {
        ++pos_;
        if (!path_step(out)) return false;
      } else if (pos_ < s_.size() && s_[pos_] == '[') {
        size_t open = pos_++;
        PathStep st;
        if (pos_ < s_.size() && s_[pos_] == '*') {
          st.kind = PathStep::Kind::any_index;
          ++pos_;
        } else {
          st.kind = PathStep::Kind::index;
          size_t b = pos_;
          if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
          while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
          auto [p, ec] = std::from_chars(s_.data() + b, s_.data() + pos_, st.index);
          if (ec != std::errc() || p != s_.data() + pos_)
            return fail(b, "expected a list index or '*' in the '[' at byte " + std::to_string(open));
        }
        if (pos_ >= s_.size() || s_[pos_] != ']')
          return fail(pos_, "expected ']' to close the list index at byte " + std::to_string(open));
        ++pos_;
        out.steps.push_back(std::move(st));
      } else {
        return true;
      }
    }
  }

  bool path_step(ObjectPath& out) {
    PathStep st;
    if (pos_ < s_.size() && s_[pos_] == '\'') {
      if (!string_body(st.name)) return false;
    } else {
      size_t b = pos_;
      if (pos_ < s_.size() && is_ident_start(s_[pos_]))
        while (pos_ < s_.size() && is_ident_char(s_[pos_])) ++pos_;
      if (pos_ == b) return fail(b, "expected a property name in the object path, found " + near());
      st.name = s_.substr(b, pos_ - b);
    }
    out.steps.push_back(std::move(st));
    return true;
  }

  // At a quote: the unescaped string up to the closing quote.
  bool string_body(std::string& out) {
    size_t open = pos_++;
    for (;;) {
      size_t q = s_.find_first_of("'\\", pos_);
      if (q == std::string_view::npos)
        return fail(open, "unterminated string");
      out.append(s_.substr(pos_, q - pos_));
      pos_ = q + 1;
      if (s_[q] == '\'') return true;
      if (pos_ >= s_.size()) return fail(open, "unterminated string");
      if (s_[pos_] != '\'' && s_[pos_] != '\\')
        return fail(q, "bad escape '\\" + std::string(1, s_[pos_]) + "' in a string (only \\' and \\\\ are allowed)");
      out.push_back(s_[pos_++]);
    }
  }

  // At t/h/b followed by a quote: the raw text between the quotes.
  bool raw_quoted(std::string& out, size_t& open) {
    open = pos_;
    pos_ += 2;
    size_t q = s_.find('\'', pos_);
    if (q == std::string_view::npos) return fail(open, "unterminated literal");
    out = s_.substr(pos_, q - pos_);
    pos_ = q + 1;
    return true;
  }

  bool timestamp_literal(PatternConstant& out) {
    skip_ws();
    if (s_.substr(pos_, 2) != "t'") return fail(pos_, "expected a timestamp t'…', found " + near());
    return constant(out);
  }

  bool number(PatternConstant& out) {
    skip_ws();
    size_t b = pos_;
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
    size_t digits_at = pos_;
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
    bool whole = pos_ > digits_at;
    bool frac = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      size_t f = pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
      frac = pos_ > f;
      if (!frac) return fail(b, "expected digits after '.' in a number");
    }
    if (!whole && !frac) return fail(b, "expected a number, found " + near());
    if (pos_ < s_.size() && is_ident_char(s_[pos_])) return fail(b, "bad number");
    out.text = s_.substr(b, pos_ - b);
    const char* first = s_.data() + b + (s_[b] == '+');
    if (frac) {
      out.kind = PatternConstant::Kind::floating;
      auto [p, ec] = std::from_chars(first, s_.data() + pos_, out.floating);
      if (ec != std::errc() || p != s_.data() + pos_) return fail(b, "bad number " + out.text);
    } else {
      out.kind = PatternConstant::Kind::integer;
      auto [p, ec] = std::from_chars(first, s_.data() + pos_, out.integer);
      if (ec != std::errc() || p != s_.data() + pos_) return fail(b, "integer out of range: " + out.text);
    }
    return true;
  }

  bool constant(PatternConstant& out) {
    skip_ws();
    if (pos_ >= s_.size()) return fail(pos_, "expected a value, found the end of the pattern");
    char c = s_[pos_];
    if (c == '\'') {
      out.kind = PatternConstant::Kind::string;
      return string_body(out.text);
    }
    if ((c == 't' || c == 'h' || c == 'b') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
      size_t open = 0;
      if (!raw_quoted(out.text, open)) return false;
      if (c == 't') {
        out.kind = PatternConstant::Kind::timestamp;
        auto ms = parse_stix_timestamp(out.text);
        if (!ms) return fail(open, "bad timestamp t'" + out.text + "' (RFC 3339 expected)");
        out.integer = *ms;
      } else if (c == 'h') {
        out.kind = PatternConstant::Kind::hex;
        if (out.text.size() % 2 || !std::all_of(out.text.begin(), out.text.end(), is_hex))
          return fail(open, "bad hex literal h'" + out.text + "' (pairs of hex digits expected)");
      } else {
        out.kind = PatternConstant::Kind::binary;
        const std::string& t = out.text;
        size_t pad = t.size() - std::min(t.size(), t.find_last_not_of('=') + 1);
        bool ok = t.size() % 4 == 0 && pad <= 2 &&
                  std::all_of(t.begin(), t.end() - static_cast<std::ptrdiff_t>(pad), [](char x) {
                    return (is_ident_start(x) && x != '_') || is_digit(x) || x == '+' || x == '/';
                  });
        if (!ok) return fail(open, "bad base64 literal b'" + out.text + "'");
      }
      return true;
    }
    for (bool b : {true, false}) {
      if (keyword(b ? "true" : "false")) {
        out.kind = PatternConstant::Kind::boolean;
        out.text = b ? "true" : "false";
        out.integer = b;
        return true;
      }
    }
    if (c == '+' || c == '-' || c == '.' || is_digit(c)) return number(out);
    return fail(pos_, "expected a value (string, number, boolean, t'…', h'…', b'…'), found " + near());
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
  Error err_;
};

// --- disjunctive normal form ----------------------------------------------------------------

bool observable_less(const Observable& a, const Observable& b) {
  return a.type != b.type ? a.type < b.type : a.value < b.value;
}

void tidy(Dnf& d) {
  for (auto& c : d) {
    std::sort(c.begin(), c.end(), observable_less);
    c.erase(std::unique(c.begin(), c.end()), c.end());
  }
  std::sort(d.begin(), d.end(), [](const Conjunction& a, const Conjunction& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), observable_less);
  });
  d.erase(std::unique(d.begin(), d.end()), d.end());
}

Error too_many() {
  return make_error(Errc::limit, "stix pattern: more than " + std::to_string(kMaxPatternConjunctions) +
                                     " alternatives once expanded to disjunctive normal form");
}

Result<Dnf> conjoin(std::vector<Dnf> parts) {
  Dnf acc{Conjunction{}};
  for (auto& part : parts) {
    if (part.empty()) return Dnf{};  // an operand that can never match (cannot happen: kept for safety)
    if (part.size() == 1) {  // the common long AND chain: append in place, tidy once at the end
      for (auto& a : acc) a.insert(a.end(), part[0].begin(), part[0].end());
      continue;
    }
    if (acc.size() * part.size() > kMaxPatternConjunctions) return too_many();
    Dnf next;
    next.reserve(acc.size() * part.size());
    for (const auto& a : acc)
      for (const auto& b : part) {
        Conjunction c = a;
        c.insert(c.end(), b.begin(), b.end());
        next.push_back(std::move(c));
      }
    tidy(next);
    acc = std::move(next);
  }
  tidy(acc);
  return acc;
}

Result<Dnf> disjoin(std::vector<Dnf> parts) {
  Dnf acc;
  for (auto& part : parts) {
    acc.insert(acc.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    if (acc.size() > 2 * kMaxPatternConjunctions) {
      tidy(acc);
      if (acc.size() > kMaxPatternConjunctions) return too_many();
    }
  }
  tidy(acc);
  if (acc.size() > kMaxPatternConjunctions) return too_many();
  return acc;
}

// The value type a path is indexed as; `or_domain`: an address, else a domain name.
std::optional<ValueType> indexed_type(const ObjectPath& p, bool& or_domain) {
  or_domain = false;
  for (const auto& st : p.steps)
    if (st.kind != PathStep::Kind::property) return std::nullopt;
  const auto& s = p.steps;
  auto is = [&](std::initializer_list<std::string_view> names) {
    if (s.size() != names.size()) return false;
    size_t i = 0;
    for (auto n : names)
      if (s[i++].name != n) return false;
    return true;
  };
  const std::string& t = p.object_type;
  if (t == "ipv4-addr" || t == "ipv6-addr") return is({"value"}) ? std::optional(ValueType::ip) : std::nullopt;
  if (t == "domain-name") return is({"value"}) ? std::optional(ValueType::domain) : std::nullopt;
  if (t == "url") return is({"value"}) ? std::optional(ValueType::url) : std::nullopt;
  if (t == "email-addr") return is({"value"}) ? std::optional(ValueType::email) : std::nullopt;
  if (t == "file") {
    if (is({"name"})) return ValueType::file_name;
    if (s.size() == 2 && s[0].name == "hashes") {
      const std::string& k = s[1].name;
      if (iequals(k, "MD5")) return ValueType::md5;
      if (iequals(k, "SHA-1") || iequals(k, "SHA1")) return ValueType::sha1;
      if (iequals(k, "SHA-256") || iequals(k, "SHA256")) return ValueType::sha256;
    }
    return std::nullopt;
  }
  if (t == "network-traffic") {
    if (is({"src_ref", "value"}) || is({"dst_ref", "value"})) {
      or_domain = true;
      return ValueType::ip;
    }
    if (is({"extensions", "x-ja3", "hash"})) return ValueType::ja3;
    if (is({"extensions", "x-ja4", "hash"})) return ValueType::ja4;
  }
  return std::nullopt;
}

class TermCollector {
 public:
  explicit TermCollector(std::vector<std::string>* rejected) : rejected_(rejected) {}

  Result<Dnf> observation(const ObservationExpr& e) {
    if (e.kind == ObservationExpr::Kind::observation) return comparisons(e.comparisons);
    std::vector<Dnf> parts;
    parts.reserve(e.operands.size());
    for (const auto& o : e.operands) {
      auto r = observation(o);
      if (!r) return std::move(r).error();
      parts.push_back(std::move(*r));
    }
    // FOLLOWEDBY needs every observation, as AND does: for matching one event they conjoin.
    return e.kind == ObservationExpr::Kind::any ? disjoin(std::move(parts)) : conjoin(std::move(parts));
  }

 private:
  Result<Dnf> comparisons(const ComparisonExpr& e) {
    if (e.kind == ComparisonExpr::Kind::comparison) return leaf(e.comparison);
    std::vector<Dnf> parts;
    parts.reserve(e.operands.size());
    for (const auto& o : e.operands) {
      auto r = comparisons(o);
      if (!r) return std::move(r).error();
      parts.push_back(std::move(*r));
    }
    return e.kind == ComparisonExpr::Kind::any ? disjoin(std::move(parts)) : conjoin(std::move(parts));
  }

  // A non-indexable comparison is the empty conjunction: no constraint the index can check.
  Result<Dnf> leaf(const Comparison& c) {
    const Dnf unconstrained{Conjunction{}};
    if (c.negated || (c.op != CompareOp::eq && c.op != CompareOp::in)) return unconstrained;
    bool or_domain = false;
    auto type = indexed_type(c.path, or_domain);
    if (!type) return unconstrained;
    std::vector<const PatternConstant*> values;
    if (c.op == CompareOp::eq) values.push_back(&c.value);
    else
      for (const auto& v : c.value.items) values.push_back(&v);
    if (values.size() > kMaxPatternConjunctions) return too_many();
    Dnf out;
    for (const auto* v : values) {
      if (v->kind != PatternConstant::Kind::string) return unconstrained;
      ValueType t = *type;
      auto n = normalise(t, v->text);
      if (!n && or_domain) {
        t = ValueType::domain;
        n = normalise(t, v->text);
      }
      if (!n) {
        std::string what = c.path.text() + " value " + quote_pattern_string(v->text) + " is not a valid " +
                           value_type_name(*type) + (or_domain ? " or domain" : "");
        if (!rejected_) return make_error(Errc::malformed, at(c.offset) + what);
        rejected_->push_back(std::move(what));
        return unconstrained;
      }
      out.push_back(Conjunction{Observable{t, std::move(*n)}});
    }
    if (out.empty()) return unconstrained;  // IN (): nothing to index
    tidy(out);
    return out;
  }

  std::vector<std::string>* rejected_;
};

}  // namespace

const char* compare_op_name(CompareOp op) noexcept {
  switch (op) {
    case CompareOp::eq: return "=";
    case CompareOp::ne: return "!=";
    case CompareOp::lt: return "<";
    case CompareOp::gt: return ">";
    case CompareOp::le: return "<=";
    case CompareOp::ge: return ">=";
    case CompareOp::in: return "IN";
    case CompareOp::like: return "LIKE";
    case CompareOp::matches: return "MATCHES";
    case CompareOp::issubset: return "ISSUBSET";
    case CompareOp::issuperset: return "ISSUPERSET";
    case CompareOp::exists: return "EXISTS";
  }
  return "?";
}

std::string ObjectPath::text() const {
  std::string out = object_type;
  out.push_back(':');
  bool first = true;
  for (const auto& st : steps) {
    switch (st.kind) {
      case PathStep::Kind::property: {
        if (!first) out.push_back('.');
        bool plain = !st.name.empty() && is_ident_start(st.name[0]) &&
                     std::all_of(st.name.begin(), st.name.end(), [](char c) { return c != '-' && is_ident_char(c); });
        out += plain ? st.name : quote_pattern_string(st.name);
        break;
      }
      case PathStep::Kind::index: out += "[" + std::to_string(st.index) + "]"; break;
      case PathStep::Kind::any_index: out += "[*]"; break;
    }
    first = false;
  }
  return out;
}

Result<Pattern> parse_pattern(std::string_view text) {
  if (text.size() > kMaxPatternBytes)
    return make_error(Errc::limit, "stix pattern: " + std::to_string(text.size()) + " bytes, more than the " +
                                       std::to_string(kMaxPatternBytes) + " allowed");
  return Parser(text).run();
}

Result<std::vector<std::vector<Observable>>> indexable_terms(const Pattern& p, std::vector<std::string>* rejected) {
  auto r = TermCollector(rejected).observation(p.root);
  if (!r) return std::move(r).error();
  Dnf& d = *r;
  d.erase(std::remove_if(d.begin(), d.end(), [](const Conjunction& c) { return c.empty(); }), d.end());
  return std::move(d);
}

std::string quote_pattern_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

namespace {
std::string comparison_for(const Observable& o) {
  const char* path = "";
  switch (o.type) {
    case ValueType::ip: path = o.value.find(':') != std::string::npos ? "ipv6-addr:value" : "ipv4-addr:value"; break;
    case ValueType::domain: path = "domain-name:value"; break;
    case ValueType::url: path = "url:value"; break;
    case ValueType::email: path = "email-addr:value"; break;
    case ValueType::md5: path = "file:hashes.MD5"; break;
    case ValueType::sha1: path = "file:hashes.'SHA-1'"; break;
    case ValueType::sha256: path = "file:hashes.'SHA-256'"; break;
    case ValueType::ja3: path = "network-traffic:extensions.'x-ja3'.hash"; break;
    case ValueType::ja4: path = "network-traffic:extensions.'x-ja4'.hash"; break;
    case ValueType::file_name: path = "file:name"; break;
  }
  return std::string(path) + " = " + quote_pattern_string(o.value);
}
}  // namespace

std::string pattern_for(const Observable& o) { return "[" + comparison_for(o) + "]"; }

std::string pattern_for(const std::vector<std::vector<Observable>>& any_of) {
  std::string out;
  for (const auto& conj : any_of) {
    if (conj.empty()) continue;
    if (!out.empty()) out += " OR ";
    out += '[';
    for (size_t i = 0; i < conj.size(); ++i) {
      if (i) out += " AND ";
      out += comparison_for(conj[i]);
    }
    out += ']';
  }
  return out;
}

std::optional<int64_t> parse_stix_timestamp(std::string_view s) noexcept {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !fixed_digits(s, 0, 4, y) || s[4] != '-' || !fixed_digits(s, 5, 2, mo) || s[7] != '-' ||
      !fixed_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !fixed_digits(s, 11, 2, h) || s[13] != ':' ||
      !fixed_digits(s, 14, 2, mi) || s[16] != ':' || !fixed_digits(s, 17, 2, sec))
    return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return std::nullopt;
  size_t p = 19;
  int64_t ms = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    size_t b = p;
    int scale = 100;
    while (p < s.size() && is_digit(s[p])) {
      ms += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
    }
    if (p == b || p - b > 9) return std::nullopt;
  }
  int64_t offset = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int oh, om;
    if (!fixed_digits(s, p + 1, 2, oh) || p + 3 >= s.size() || s[p + 3] != ':' || !fixed_digits(s, p + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset = (s[p] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    p += 6;
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                 mi * 60 + std::min(sec, 59) - offset;
  return secs * 1000 + ms;
}

std::string format_stix_timestamp(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t milli = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - days * 86400;
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                static_cast<long long>(rem % 60), static_cast<long long>(milli));
  return buf;
}

}  // namespace lachan::intel
