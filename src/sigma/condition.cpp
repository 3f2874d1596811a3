#include "sigma/condition.h"

#include <cctype>

#include <fmt/format.h>

#include "core/strings.h"

namespace lachan::sigma {
namespace {

struct Tok {
  enum Kind { ident, lparen, rparen, end } kind;
  std::string text;
  uint32_t offset;
};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<CondExpr> parse() {
    if (auto e = lex(); !e.ok()) return e.error();
    auto r = expr(0);
    if (!r.ok()) return r;
    if (toks_[pos_].kind != Tok::end)
      return err(toks_[pos_], fmt::format("unexpected '{}' after a complete expression", toks_[pos_].text));
    return r;
  }

 private:
  Result<void> lex() {
    size_t i = 0;
    while (i < s_.size()) {
      char c = s_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '(') {
        toks_.push_back({Tok::lparen, "(", static_cast<uint32_t>(i)});
        ++i;
      } else if (c == ')') {
        toks_.push_back({Tok::rparen, ")", static_cast<uint32_t>(i)});
        ++i;
      } else {
        size_t j = i;
        while (j < s_.size() && !std::isspace(static_cast<unsigned char>(s_[j])) && s_[j] != '(' && s_[j] != ')') ++j;
        std::string w(s_.substr(i, j - i));
        if (w.find('|') != std::string::npos)
          return make_error(Errc::invalid_rule,
                            fmt::format("column {}: '{}': the pipe (aggregation) syntax of Sigma 1.x conditions is "
                                        "not part of Sigma 2; use a correlation rule",
                                        i + 1, w));
        toks_.push_back({Tok::ident, std::move(w), static_cast<uint32_t>(i)});
        i = j;
      }
    }
    toks_.push_back({Tok::end, "end of condition", static_cast<uint32_t>(s_.size())});
    return {};
  }

  static bool is_kw(const Tok& t, std::string_view kw) { return t.kind == Tok::ident && iequals(t.text, kw); }
  Error err(const Tok& t, std::string msg) const {
    return make_error(Errc::invalid_rule, fmt::format("column {}: {}", t.offset + 1, msg));
  }

  Result<CondExpr> expr(int depth) {
    if (depth > 64) return err(toks_[pos_], "condition nested too deeply");
    auto left = and_expr(depth);
    if (!left.ok()) return left;
    if (!is_kw(toks_[pos_], "or")) return left;
    CondExpr node;
    node.kind = CondExpr::op_or;
    node.offset = left->offset;
    node.children.push_back(std::move(*left));
    while (is_kw(toks_[pos_], "or")) {
      ++pos_;
      auto r = and_expr(depth);
      if (!r.ok()) return r;
      node.children.push_back(std::move(*r));
    }
    return node;
  }

  Result<CondExpr> and_expr(int depth) {
    auto left = not_expr(depth);
    if (!left.ok()) return left;
    if (!is_kw(toks_[pos_], "and")) return left;
    CondExpr node;
    node.kind = CondExpr::op_and;
    node.offset = left->offset;
    node.children.push_back(std::move(*left));
    while (is_kw(toks_[pos_], "and")) {
      ++pos_;
      auto r = not_expr(depth);
      if (!r.ok()) return r;
      node.children.push_back(std::move(*r));
    }
    return node;
  }

  Result<CondExpr> not_expr(int depth) {
    if (is_kw(toks_[pos_], "not")) {
      uint32_t off = toks_[pos_].offset;
      ++pos_;
      if (depth > 64) return err(toks_[pos_], "condition nested too deeply");
      auto inner = not_expr(depth + 1);
      if (!inner.ok()) return inner;
      CondExpr node;
      node.kind = CondExpr::op_not;
      node.offset = off;
      node.children.push_back(std::move(*inner));
      return node;
    }
    return primary(depth);
  }

  Result<CondExpr> primary(int depth) {
    const Tok& t = toks_[pos_];
    if (t.kind == Tok::lparen) {
      ++pos_;
      auto inner = expr(depth + 1);
      if (!inner.ok()) return inner;
      if (toks_[pos_].kind != Tok::rparen) return err(toks_[pos_], fmt::format("expected ')' but found '{}'", toks_[pos_].text));
      ++pos_;
      return inner;
    }
    if (t.kind == Tok::rparen) return err(t, "unexpected ')'");
    if (t.kind == Tok::end) return err(t, "expected a search identifier but the condition ended");
    if (is_kw(t, "and") || is_kw(t, "or") || is_kw(t, "of"))
      return err(t, fmt::format("expected a search identifier but found the operator '{}'", t.text));
    // Quantifier?
    if (is_kw(toks_[pos_ + 1], "of")) {
      CondExpr node;
      node.kind = CondExpr::of;
      node.offset = t.offset;
      if (iequals(t.text, "all")) {
        node.count = 0;
      } else if (iequals(t.text, "any")) {
        node.count = 1;
      } else {
        uint32_t n = 0;
        for (char c : t.text) {
          if (c < '0' || c > '9' || n > 100000) return err(t, fmt::format("'{}' before 'of' must be 1, any, all or a number", t.text));
          n = n * 10 + static_cast<uint32_t>(c - '0');
        }
        if (n == 0) return err(t, "'0 of' can never hold");
        node.count = n;
      }
      pos_ += 2;
      const Tok& target = toks_[pos_];
      if (target.kind != Tok::ident || is_kw(target, "and") || is_kw(target, "or") || is_kw(target, "not"))
        return err(target, fmt::format("expected 'them' or an identifier pattern after 'of' but found '{}'", target.text));
      node.name = is_kw(target, "them") ? "them" : target.text;
      ++pos_;
      return node;
    }
    if (is_kw(t, "not")) return not_expr(depth + 1);
    CondExpr node;
    node.kind = CondExpr::ref;
    node.name = t.text;
    node.offset = t.offset;
    ++pos_;
    return node;
  }

  std::string_view s_;
  std::vector<Tok> toks_;
  size_t pos_ = 0;
};

}  // namespace

Result<CondExpr> parse_condition(std::string_view text) {
  Parser p(text);
  return p.parse();
}

bool identifier_matches(std::string_view p, std::string_view s) noexcept {
  // Iterative glob with '*' only.
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace lachan::sigma
