#include "match/pattern.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstring>

#include "core/strings.h"

namespace lachan::match {

namespace {
// string_view::find, 16 positions at a time: a position is tried only where both the needle's
// first and last bytes are (std::find stops at every occurrence of the first byte, and the
// backslashes, spaces and dots patterns start with are everywhere in paths and command lines).
size_t find_text(std::string_view hay, std::string_view needle, size_t pos) noexcept {
  const size_t m = needle.size();
#if defined(__SSE2__)
  if (m >= 2) {
    const __m128i first = _mm_set1_epi8(needle[0]);
    const __m128i last = _mm_set1_epi8(needle[m - 1]);
    const char* h = hay.data();
    const size_t n = hay.size();
    auto block = [&](size_t at, unsigned skip) -> size_t {  // the 16 starts from `at`, less the first `skip`
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + at));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + at + m - 1));
      unsigned mask =
          static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
      mask &= ~((1u << skip) - 1);
      while (mask) {
        const size_t i = at + static_cast<size_t>(__builtin_ctz(mask));
        if (std::memcmp(h + i + 1, needle.data() + 1, m - 2) == 0) return i;
        mask &= mask - 1;
      }
      return std::string_view::npos;
    };
    if (n >= m - 1 + 16 && pos <= n - m) {
      for (; pos + m - 1 + 16 <= n; pos += 16)
        if (size_t i = block(pos, 0); i != std::string_view::npos) return i;
      if (pos + m > n) return std::string_view::npos;
      // The last starts, in one block that ends at the end of the text.
      const size_t at = n - (m - 1) - 16;
      return block(at, static_cast<unsigned>(pos - at));
    }
    for (; pos + m <= n; ++pos)
      if (h[pos] == needle[0] && h[pos + m - 1] == needle[m - 1] &&
          std::memcmp(h + pos + 1, needle.data() + 1, m - 2) == 0)
        return pos;
    return std::string_view::npos;
  }
#endif
  return hay.find(needle, pos);
}
}  // namespace

std::vector<Token> tokenize_sigma_string(std::string_view v) {
  std::vector<Token> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\') {
      // Count the run of backslashes and see what follows it.
      size_t j = i;
      while (j < v.size() && v[j] == '\\') ++j;
      size_t run = j - i;
      bool before_wildcard = j < v.size() && (v[j] == '*' || v[j] == '?');
      if (before_wildcard) {
        // Pairs are escaped backslashes; an odd one left escapes the wildcard.
        for (size_t k = 0; k < run / 2; ++k) out.push_back({Token::literal, '\\'});
        if (run % 2 == 1) {
          out.push_back({Token::literal, v[j]});
          i = j;
        } else {
          i = j - 1;
        }
      } else {
        // Not before a wildcard: "\\" is one backslash, a lone "\" is itself.
        size_t emitted = run / 2 + run % 2;
        for (size_t k = 0; k < emitted; ++k) out.push_back({Token::literal, '\\'});
        i = j - 1;
      }
    } else if (c == '*') {
      if (out.empty() || out.back().kind != Token::star) out.push_back({Token::star, 0});
    } else if (c == '?') {
      out.push_back({Token::any_one, 0});
    } else {
      out.push_back({Token::literal, c});
    }
  }
  return out;
}

std::string render_tokens(const std::vector<Token>& tokens) {
  std::string s;
  for (const auto& t : tokens) {
    if (t.kind == Token::star) s += '*';
    else if (t.kind == Token::any_one) s += '?';
    else if (t.c == '*' || t.c == '?' || t.c == '\\') { s += '\\'; s += t.c; }
    else s += t.c;
  }
  return s;
}

bool tokens_literal(const std::vector<Token>& tokens, std::string& out) {
  out.clear();
  for (const auto& t : tokens) {
    if (t.kind != Token::literal) return false;
    out += t.c;
  }
  return true;
}

Pattern::Pattern(const std::vector<Token>& tokens, bool case_sensitive) : cased_(case_sensitive) {
  Segment cur;
  bool any_wild = false;
  std::string run;
  auto flush_run = [&] {
    if (run.size() > longest_.size()) longest_ = run;
    run.clear();
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.kind == Token::star) {
      if (i == 0) leading_star_ = true;
      if (i + 1 == tokens.size()) trailing_star_ = true;
      if (!cur.chars.empty()) segments_.push_back(std::move(cur));
      cur = Segment{};
      flush_run();
    } else if (t.kind == Token::any_one) {
      cur.chars.push_back('\0');
      cur.any.push_back(true);
      cur.has_any = true;
      any_wild = true;
      flush_run();
    } else {
      char c = cased_ ? t.c : ascii_lower(t.c);
      cur.chars.push_back(c);
      cur.any.push_back(false);
      run.push_back(c);
    }
  }
  flush_run();
  if (!cur.chars.empty()) segments_.push_back(std::move(cur));

  if (segments_.empty()) {
    // "" (equals empty) or only stars (any value).
    kind_ = (leading_star_ || trailing_star_) ? Kind::any : Kind::equals;
    return;
  }
  if (!any_wild && segments_.size() == 1) {
    literal_ = segments_[0].chars;
    if (leading_star_ && trailing_star_) kind_ = Kind::contains;
    else if (leading_star_) kind_ = Kind::ends_with;
    else if (trailing_star_) kind_ = Kind::starts_with;
    else kind_ = Kind::equals;
    return;
  }
  kind_ = Kind::glob;
}

namespace {
inline size_t utf8_len(unsigned char c) noexcept {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}
// True when text[s] begins a character: a `?` may not start inside a multi-byte UTF-8 character
// (a continuation byte covered by the lead byte before it). Invalid bytes count as characters.
inline bool char_start(std::string_view t, size_t s) noexcept {
  if ((static_cast<unsigned char>(t[s]) & 0xC0) != 0x80) return true;
  for (size_t k = 1; k <= 3 && k <= s; ++k) {
    unsigned char c = static_cast<unsigned char>(t[s - k]);
    if ((c & 0xC0) != 0x80) return utf8_len(c) <= k;
  }
  return true;
}
}  // namespace

size_t Pattern::match_at(const Segment& seg, std::string_view text, size_t pos) noexcept {
  if (!seg.has_any) {
    if (pos > text.size() || text.size() - pos < seg.chars.size()) return std::string_view::npos;
    return text.compare(pos, seg.chars.size(), seg.chars) == 0 ? pos + seg.chars.size() : std::string_view::npos;
  }
  size_t p = pos;
  for (size_t i = 0; i < seg.chars.size(); ++i) {
    if (p >= text.size()) return std::string_view::npos;
    if (seg.any[i]) {
      size_t n = utf8_len(static_cast<unsigned char>(text[p]));
      p += n;
      if (p > text.size()) return std::string_view::npos;
    } else {
      if (text[p] != seg.chars[i]) return std::string_view::npos;
      ++p;
    }
  }
  return p;
}

size_t Pattern::find_from(const Segment& seg, std::string_view text, size_t pos, size_t& end) noexcept {
  if (!seg.has_any) {
    size_t at = find_text(text, seg.chars, pos);
    if (at != std::string_view::npos) end = at + seg.chars.size();
    return at;
  }
  // A segment that starts with a literal byte can only match where that byte is.
  const bool literal_first = !seg.chars.empty() && !seg.any[0];
  for (size_t s = pos; s < text.size(); ++s) {
    if (literal_first) {
      const void* at = std::memchr(text.data() + s, seg.chars[0], text.size() - s);
      if (!at) break;
      s = static_cast<size_t>(static_cast<const char*>(at) - text.data());
    }
    if (!char_start(text, s)) continue;
    size_t e = match_at(seg, text, s);
    if (e != std::string_view::npos) {
      end = e;
      return s;
    }
  }
  return std::string_view::npos;
}

bool Pattern::match(std::string_view t) const noexcept {
  switch (kind_) {
    case Kind::any: return true;
    case Kind::equals: return t == literal_;
    case Kind::contains: return find_text(t, literal_, 0) != std::string_view::npos;
    case Kind::starts_with: return starts_with(t, literal_);
    case Kind::ends_with: return ends_with(t, literal_);
    case Kind::glob: break;
  }
  const size_t n = segments_.size();
  size_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    const Segment& seg = segments_[i];
    bool first = i == 0, last = i + 1 == n;
    if (first && !leading_star_) {
      size_t e = match_at(seg, t, 0);
      if (e == std::string_view::npos) return false;
      if (last && !trailing_star_) return e == t.size();
      pos = e;
      continue;
    }
    if (last && !trailing_star_) {
      // Anchored at the end: try every start at or after pos whose match ends at the end.
      if (!seg.has_any) return t.size() >= pos + seg.chars.size() && ends_with(t, seg.chars);
      for (size_t s = pos; s < t.size(); ++s)
        if (char_start(t, s) && match_at(seg, t, s) == t.size()) return true;
      return false;
    }
    size_t end = 0;
    if (find_from(seg, t, pos, end) == std::string_view::npos) return false;
    pos = end;
  }
  return true;
}

}  // namespace lachan::match
