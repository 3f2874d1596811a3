// String patterns as Sigma defines them: literal text with `*` (any run) and `?` (one character)
// wildcards, `\` escaping `*`, `?` and itself. A pattern is compiled once and classified so that
// the common cases (equals, contains, starts with, ends with) take a direct path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lachan::match {

// One piece of a Sigma value after escape processing.
struct Token {
  enum Kind : unsigned char { literal, star, any_one } kind;
  char c;  // for literal
};

// Parses a Sigma string value into tokens (spec "Escaping": \* \? literal; \\ before a wildcard is
// a backslash; a backslash before anything else is itself).
std::vector<Token> tokenize_sigma_string(std::string_view value);
// Renders tokens back to Sigma syntax (used for messages and for modifiers that rewrite text).
std::string render_tokens(const std::vector<Token>& tokens);
// The literal text of tokens that contain no wildcard; false if there is a wildcard.
bool tokens_literal(const std::vector<Token>& tokens, std::string& out);

class Pattern {
 public:
  enum class Kind { any, equals, contains, starts_with, ends_with, glob };

  Pattern() = default;
  // `case_sensitive` false: the pattern is ASCII-lowercased; match() must then get lowered text.
  Pattern(const std::vector<Token>& tokens, bool case_sensitive);

  bool match(std::string_view text) const noexcept;
  Kind kind() const noexcept { return kind_; }
  bool case_sensitive() const noexcept { return cased_; }
  // The longest wildcard-free run of literal text: a string that every match must contain.
  const std::string& longest_literal() const noexcept { return longest_; }
  const std::string& text() const noexcept { return literal_; }  // for equals/contains/starts/ends

 private:
  struct Segment {
    std::string chars;      // '?' positions hold '\0' and are flagged in `any`
    std::vector<bool> any;  // true where the segment has a `?`
    bool has_any = false;
  };
  // Matches `seg` at `pos`; returns the end offset or npos.
  static size_t match_at(const Segment& seg, std::string_view text, size_t pos) noexcept;
  static size_t find_from(const Segment& seg, std::string_view text, size_t pos, size_t& end) noexcept;

  Kind kind_ = Kind::any;
  bool cased_ = false;
  bool leading_star_ = false, trailing_star_ = false;
  std::string literal_;
  std::string longest_;
  std::vector<Segment> segments_;
};

}  // namespace lachan::match
