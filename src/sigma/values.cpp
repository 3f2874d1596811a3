#include "sigma/values.h"

namespace lachan::sigma {
namespace {
bool is_word(const match::Token& t) {
  if (t.kind != match::Token::literal) return false;
  unsigned char c = static_cast<unsigned char>(t.c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}
}  // namespace

std::vector<std::vector<match::Token>> windash_variants(const std::vector<match::Token>& tokens) {
  static const char* const kDashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
  std::vector<size_t> spots;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (t.kind != match::Token::literal || (t.c != '-' && t.c != '/')) continue;
    bool before_ok = i == 0 || !is_word(tokens[i - 1]);
    bool after_ok = i + 1 < tokens.size() && is_word(tokens[i + 1]);
    if (before_ok && after_ok) spots.push_back(i);
  }
  std::vector<std::vector<match::Token>> out;
  if (spots.empty()) {
    out.push_back(tokens);
    return out;
  }
  size_t combos = 1;
  for (size_t k = 0; k < spots.size() && combos <= 3125; ++k) combos *= 5;
  if (combos > 3125) combos = 3125;  // at most 5 flag positions permuted
  for (size_t n = 0; n < combos; ++n) {
    std::vector<match::Token> v;
    size_t code = n, spot = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (spot < spots.size() && spots[spot] == i && spot < 5) {
        const char* d = kDashes[code % 5];
        code /= 5;
        ++spot;
        for (const char* p = d; *p; ++p) v.push_back({match::Token::literal, *p});
      } else {
        if (spot < spots.size() && spots[spot] == i) ++spot;
        v.push_back(tokens[i]);
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::vector<std::string> base64_offset_variants(std::string_view bytes) {
  // pySigma: b64encode(i * b" " + val)[start[i] : end[(len(val) + i) % 3]]
  static const size_t start[3] = {0, 2, 3};
  static const int end[3] = {0, -3, -2};  // 0 means "to the end"
  std::vector<std::string> out;
  for (size_t i = 0; i < 3; ++i) {
    std::string padded(i, ' ');
    padded.append(bytes);
    std::string enc = base64_encode(padded);
    int e = end[(bytes.size() + i) % 3];
    size_t stop = e == 0 ? enc.size() : (enc.size() >= static_cast<size_t>(-e) ? enc.size() - static_cast<size_t>(-e) : 0);
    size_t from = start[i];
    out.push_back(from < stop ? enc.substr(from, stop - from) : std::string());
  }
  return out;
}

std::string to_utf16(std::string_view s, Utf16 kind) {
  std::string out;
  auto put = [&](uint16_t u) {
    if (kind == Utf16::be) {
      out.push_back(static_cast<char>(u >> 8));
      out.push_back(static_cast<char>(u & 0xff));
    } else {
      out.push_back(static_cast<char>(u & 0xff));
      out.push_back(static_cast<char>(u >> 8));
    }
  };
  if (kind == Utf16::bom) {
    out.push_back('\xFF');
    out.push_back('\xFE');
  }
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t n = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 6 && i + 1 < s.size()) {
      cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
      n = 2;
    } else if ((c >> 4) == 14 && i + 2 < s.size()) {
      cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
      n = 3;
    } else if ((c >> 3) == 30 && i + 3 < s.size()) {
      cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
      n = 4;
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(static_cast<uint16_t>(0xD800 + (cp >> 10)));
      put(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      put(static_cast<uint16_t>(cp));
    }
  }
  return out;
}

}  // namespace lachan::sigma
