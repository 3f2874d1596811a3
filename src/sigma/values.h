// Value transformations of the Sigma modifiers that rewrite text: windash, base64, base64offset,
// utf16le/utf16be/utf16 (wide), and placeholder expansion.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "match/pattern.h"

namespace lachan::sigma {

// All permutations of flag dashes as pySigma does: a '-' or '/' at a word start (no word
// character before it, one after it) becomes each of - / – — ―.
std::vector<std::vector<match::Token>> windash_variants(const std::vector<match::Token>& tokens);

std::string base64_encode(std::string_view bytes);
// The three shifted encodings whose stable middle part appears wherever `bytes` sits in a
// base64-encoded text (pySigma's base64offset).
std::vector<std::string> base64_offset_variants(std::string_view bytes);

enum class Utf16 { le, be, bom };
// UTF-8 text to UTF-16 bytes; invalid UTF-8 bytes are encoded as U+FFFD.
std::string to_utf16(std::string_view utf8, Utf16 kind);

}  // namespace lachan::sigma
