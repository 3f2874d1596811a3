#include "notify/mail_parse.h"

#include <vmime/vmime.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <utility>

#include "core/strings.h"
#include "core/time.h"
#include "notify/mail_vmime.h"

namespace lachan::notify {
namespace {

// The length of the well-formed UTF-8 sequence at s[i], 0 if there is none (overlong forms,
// surrogates and values past U+10FFFF are not UTF-8).
size_t utf8_length_at(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3;
    cp = c & 0x07;
  } else
    return 0;
  if (i + n >= s.size()) return 0;
  for (size_t k = 1; k <= n; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n + 1;
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_length_at(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Every ill-formed byte becomes U+FFFD. Needed after conversion too: vmime copies text whose
// source and target charsets are both UTF-8 without looking at it.
std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_length_at(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

// Vietnamese vowels and their precomposed forms with each tone mark (Unicode NFC).
constexpr char32_t kBases[] = {0x0061, 0x0103, 0x00E2, 0x0065, 0x00EA, 0x0069, 0x006F, 0x00F4,
                               0x01A1, 0x0075, 0x01B0, 0x0079, 0x0041, 0x0102, 0x00C2, 0x0045,
                               0x00CA, 0x0049, 0x004F, 0x00D4, 0x01A0, 0x0055, 0x01AF, 0x0059};
constexpr char32_t kTones[] = {0x0300, 0x0301, 0x0303, 0x0309, 0x0323};
constexpr char32_t kComposed[][5] = {
    {0x00E0, 0x00E1, 0x00E3, 0x1EA3, 0x1EA1},  // a
    {0x1EB1, 0x1EAF, 0x1EB5, 0x1EB3, 0x1EB7},  // ă
    {0x1EA7, 0x1EA5, 0x1EAB, 0x1EA9, 0x1EAD},  // â
    {0x00E8, 0x00E9, 0x1EBD, 0x1EBB, 0x1EB9},  // e
    {0x1EC1, 0x1EBF, 0x1EC5, 0x1EC3, 0x1EC7},  // ê
    {0x00EC, 0x00ED, 0x0129, 0x1EC9, 0x1ECB},  // i
    {0x00F2, 0x00F3, 0x00F5, 0x1ECF, 0x1ECD},  // o
    {0x1ED3, 0x1ED1, 0x1ED7, 0x1ED5, 0x1ED9},  // ô
    {0x1EDD, 0x1EDB, 0x1EE1, 0x1EDF, 0x1EE3},  // ơ
    {0x00F9, 0x00FA, 0x0169, 0x1EE7, 0x1EE5},  // u
    {0x1EEB, 0x1EE9, 0x1EEF, 0x1EED, 0x1EF1},  // ư
    {0x1EF3, 0x00FD, 0x1EF9, 0x1EF7, 0x1EF5},  // y
    {0x00C0, 0x00C1, 0x00C3, 0x1EA2, 0x1EA0},  // A
    {0x1EB0, 0x1EAE, 0x1EB4, 0x1EB2, 0x1EB6},  // Ă
    {0x1EA6, 0x1EA4, 0x1EAA, 0x1EA8, 0x1EAC},  // Â
    {0x00C8, 0x00C9, 0x1EBC, 0x1EBA, 0x1EB8},  // E
    {0x1EC0, 0x1EBE, 0x1EC4, 0x1EC2, 0x1EC6},  // Ê
    {0x00CC, 0x00CD, 0x0128, 0x1EC8, 0x1ECA},  // I
    {0x00D2, 0x00D3, 0x00D5, 0x1ECE, 0x1ECC},  // O
    {0x1ED2, 0x1ED0, 0x1ED6, 0x1ED4, 0x1ED8},  // Ô
    {0x1EDC, 0x1EDA, 0x1EE0, 0x1EDE, 0x1EE2},  // Ơ
    {0x00D9, 0x00DA, 0x0168, 0x1EE6, 0x1EE4},  // U
    {0x1EEA, 0x1EE8, 0x1EEE, 0x1EEC, 0x1EF0},  // Ư
    {0x1EF2, 0x00DD, 0x1EF8, 0x1EF6, 0x1EF4},  // Y
};

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The code point at s[i] (valid UTF-8 assumed) and its length.
std::pair<char32_t, size_t> utf8_at(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return {c, 1};
  const size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  char32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return {cp, n};
}

// windows-1258 writes most Vietnamese letters as a vowel plus a combining tone mark, and macOS
// mail sends decomposed text too; the precomposed form is what users type and what a search for
// "mã độc" must find. Only vowel + tone pairs are composed: a partial NFC, enough for Vietnamese.
std::string compose_vietnamese(std::string s) {
  bool has_tone = false;
  for (size_t i = 0; i + 1 < s.size() && !has_tone; ++i)
    has_tone = static_cast<unsigned char>(s[i]) == 0xCC || static_cast<unsigned char>(s[i]) == 0xCD;
  if (!has_tone || !valid_utf8(s)) return s;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto [cp, n] = utf8_at(s, i);
    if (i + n < s.size()) {
      const auto [next, m] = utf8_at(s, i + n);
      const auto* base = std::find(std::begin(kBases), std::end(kBases), cp);
      const auto* tone = std::find(std::begin(kTones), std::end(kTones), next);
      if (base != std::end(kBases) && tone != std::end(kTones)) {
        append_utf8(out, kComposed[base - std::begin(kBases)][tone - std::begin(kTones)]);
        i += n + m;
        continue;
      }
    }
    out.append(s, i, n);
    i += n;
  }
  return out;
}

bool is_ascii(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

std::string convert(const std::string& in, const std::string& from) {
  std::string out;
  vmime::charset::convert(in, out, vmime::charset(from), vmime::charsets::UTF_8);
  return out;
}

// Bytes in a declared charset to UTF-8. Mail lies about charsets: 8-bit text labelled us-ascii
// (or not labelled at all) is nearly always UTF-8 today, and Windows-1252 otherwise.
std::string to_utf8_raw(const std::string& bytes, std::string charset) {
  if (is_ascii(bytes)) return bytes;
  charset = to_lower(charset);
  const bool utf8 = charset == "utf-8" || charset == "utf8";
  const bool unlabelled = charset.empty() || charset == "us-ascii" || charset == "ascii" ||
                          charset == "ansi_x3.4-1968" || charset == "unknown-8bit" || charset == "x-unknown";
  if (utf8 || (unlabelled && valid_utf8(bytes))) return repair_utf8(bytes);
  if (unlabelled) charset = "windows-1252";
  for (const std::string& cs : {charset, std::string("windows-1252")}) {
    try {
      return repair_utf8(convert(bytes, cs));
    } catch (const vmime::exception&) {
      // An unknown charset name: read it as Windows-1252, the usual unlabelled 8-bit text.
    }
  }
  return repair_utf8(bytes);
}

std::string to_utf8(const std::string& bytes, const std::string& charset) {
  return compose_vietnamese(to_utf8_raw(bytes, charset));
}

std::string text_to_utf8(const vmime::text& t) {
  std::string out;
  for (const auto& w : t.getWordList()) out += to_utf8(w->getBuffer(), w->getCharset().getName());
  return out;
}

// Parameter values: RFC 2231 is decoded by vmime; Outlook and others put RFC 2047 words inside
// quotes instead (against RFC 2047 section 5), which vmime leaves as they are.
std::string word_to_utf8(const vmime::word& w) {
  const std::string& buf = w.getBuffer();
  if (buf.find("=?") != std::string::npos && buf.find("?=") != std::string::npos)
    return text_to_utf8(*vmime::text::decodeAndUnfold(buf));
  return to_utf8(buf, w.getCharset().getName());
}

MailAddress to_address(const vmime::mailbox& m) {
  return MailAddress{text_to_utf8(m.getName()), m.getEmail().toString()};
}

std::vector<MailAddress> address_list(const vmime::header& hdr, const char* field) {
  std::vector<MailAddress> out;
  if (!hdr.hasField(field)) return out;
  auto list = hdr.findField(field)->getValue<vmime::addressList>();
  if (!list) return out;
  for (const auto& m : list->toMailboxList()->getMailboxList()) out.push_back(to_address(*m));
  return out;
}

std::string strip_brackets(std::string id) {
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return id;
}

std::vector<std::string> id_list(const vmime::header& hdr, const char* field) {
  std::vector<std::string> out;
  if (!hdr.hasField(field)) return out;
  auto seq = hdr.findField(field)->getValue<vmime::messageIdSequence>();
  if (!seq) return out;
  for (const auto& id : seq->getMessageIdList()) out.push_back(strip_brackets(id->getId()));
  return out;
}

// Crude on purpose: enough to read a reply written in an HTML-only client, not a renderer.
std::string html_to_text(std::string_view html) {
  std::string out;
  size_t i = 0;
  auto lower_at = [&](size_t at, std::string_view word) {
    return at + word.size() <= html.size() && iequals(html.substr(at, word.size()), word);
  };
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      for (const std::string_view skip :
           {std::string_view("script"), std::string_view("style"), std::string_view("head")}) {
        if (lower_at(i + 1, skip)) {
          const std::string close = "</" + std::string(skip);
          size_t j = i;
          while (j < html.size() && !lower_at(j, close)) ++j;
          i = j;
          break;
        }
      }
      if (html.substr(i, 4) == "<!--") {
        const size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      const size_t end = html.find('>', i);
      const std::string_view tag = html.substr(i, end == std::string_view::npos ? html.size() - i : end - i);
      auto is_tag = [&](std::string_view name) {
        return tag.size() > name.size() && iequals(tag.substr(1, name.size()), name) &&
               (tag.size() == name.size() + 1 || !std::isalnum(static_cast<unsigned char>(tag[name.size() + 1])));
      };
      if (is_tag("br") || is_tag("/p") || is_tag("/div") || is_tag("/tr") || is_tag("/li") || is_tag("/h1") ||
          is_tag("/h2") || is_tag("/h3") || is_tag("/blockquote"))
        out += '\n';
      i = end == std::string_view::npos ? html.size() : end + 1;
    } else if (c == '&') {
      const size_t semi = html.find(';', i);
      if (semi == std::string_view::npos || semi - i > 10) {
        out += c;
        ++i;
        continue;
      }
      const std::string_view ent = html.substr(i + 1, semi - i - 1);
      char32_t cp = 0;
      if (ent == "amp")
        cp = '&';
      else if (ent == "lt")
        cp = '<';
      else if (ent == "gt")
        cp = '>';
      else if (ent == "quot")
        cp = '"';
      else if (ent == "apos")
        cp = '\'';
      else if (ent == "nbsp")
        cp = ' ';
      else if (ent.size() > 1 && ent[0] == '#') {
        const bool hex = ent[1] == 'x' || ent[1] == 'X';
        for (const char d : ent.substr(hex ? 2 : 1)) {
          const int v = std::isdigit(static_cast<unsigned char>(d))           ? d - '0'
                        : hex && std::isxdigit(static_cast<unsigned char>(d)) ? std::tolower(d) - 'a' + 10
                                                                              : -1;
          if (v < 0 || cp > 0x10FFFF) {
            cp = 0;
            break;
          }
          cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(v);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0;
      }
      if (cp == 0) {
        out += c;
        ++i;
        continue;
      }
      append_utf8(out, cp);
      i = semi + 1;
    } else {
      out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
      ++i;
    }
  }
  // Collapse runs of blanks inside lines and trim each line; drop empty lines at both ends.
  std::string text;
  size_t start = 0;
  while (start <= out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    std::string line;
    for (size_t k = start; k < nl; ++k) {
      if (out[k] == ' ' && (line.empty() || line.back() == ' ')) continue;
      line += out[k];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line;
    text += '\n';
    start = nl + 1;
  }
  const size_t first = text.find_first_not_of('\n');
  if (first == std::string::npos) return {};
  const size_t last = text.find_last_not_of('\n');
  return text.substr(first, last - first + 1) + "\n";
}

// Text for people and the database: one line end, LF, whatever the wire used.
std::string lf_lines(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
  return out;
}

std::string param(const vmime::header& hdr, const char* field, const char* name) {
  if (!hdr.hasField(field)) return {};
  auto f = vmime::dynamicCast<vmime::parameterizedHeaderField>(hdr.findField(field));
  if (!f) return {};
  auto p = f->findParameter(name);
  return p ? word_to_utf8(p->getValue()) : std::string();
}

std::string decoded_body(const vmime::body& body) {
  std::string out;
  vmime::utility::outputStreamStringAdapter os(out);
  body.getContents()->extract(os);
  return out;
}

struct Walk {
  const MailParseLimits& limits;
  ParsedMail& mail;
  bool have_plain = false;
  std::string html;
  std::optional<Error> error;

  void part(const vmime::bodyPart& p, size_t depth) {
    if (error) return;
    if (depth > limits.max_depth) {
      error = make_error(Errc::limit, "multipart nesting deeper than " + std::to_string(limits.max_depth));
      return;
    }
    const auto& hdr = *p.getHeader();
    const auto& body = *p.getBody();
    std::string type = "text", subtype = "plain";
    if (hdr.hasField(vmime::fields::CONTENT_TYPE)) {
      if (auto mt = hdr.ContentType()->getValue<vmime::mediaType>()) {
        type = to_lower(mt->getType());
        subtype = to_lower(mt->getSubType());
      }
    }
    if (body.getPartCount() > 0) {
      for (size_t i = 0; i < body.getPartCount(); ++i) part(*body.getPartAt(i), depth + 1);
      return;
    }
    if (type == "multipart") {  // no boundary, or none found: what is there is all there is
      type = "text";
      subtype = "plain";
    }
    std::string disposition;
    if (hdr.hasField(vmime::fields::CONTENT_DISPOSITION))
      if (auto d = hdr.ContentDisposition()->getValue<vmime::contentDisposition>())
        disposition = to_lower(d->getName());
    std::string name = param(hdr, vmime::fields::CONTENT_DISPOSITION, "filename");
    if (name.empty()) name = param(hdr, vmime::fields::CONTENT_TYPE, "name");

    const bool inline_text =
        type == "text" && (subtype == "plain" || subtype == "html") && disposition != "attachment" && name.empty();
    if (inline_text) {
      // Further inline text parts are the other half of an alternative, or list footers.
      const std::string charset = param(hdr, vmime::fields::CONTENT_TYPE, "charset");
      if (subtype == "plain" && !have_plain) {
        mail.text = lf_lines(to_utf8(decoded_body(body), charset));
        have_plain = true;
      } else if (subtype == "html" && html.empty()) {
        html = to_utf8(decoded_body(body), charset);
      }
      return;
    }
    if (mail.attachments.size() >= limits.max_attachments) {
      error = make_error(Errc::limit, "more than " + std::to_string(limits.max_attachments) + " attachments");
      return;
    }
    mail.attachments.push_back(MailAttachment{name, type + "/" + subtype, decoded_body(body)});
  }
};

// Case-insensitive count of `needle` in `hay`, stopping once it passes `cap`.
size_t count_ci(std::string_view hay, std::string_view needle, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i + needle.size() <= hay.size() && n <= cap; ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) ++n;
  return n;
}

// vmime hands back whatever numbers the Date header held (a zone of +99999999 included); a date
// outside these ranges is no date, and the arithmetic stays in 64 bits. vmime reads a Date it
// cannot parse at all as 1970-01-01T00:00:00Z: no date either.
std::optional<std::chrono::sys_seconds> to_time(const vmime::datetime& d) {
  const int64_t year = d.getYear(), month = d.getMonth(), day = d.getDay();
  const int64_t hour = d.getHour(), minute = d.getMinute(), second = d.getSecond(), zone = d.getZone();
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 60 || zone < -1440 || zone > 1440)
    return std::nullopt;
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t t = days * 86400 + hour * 3600 + minute * 60 + second - zone * 60;
  if (t == 0) return std::nullopt;
  return std::chrono::sys_seconds(std::chrono::seconds(t));
}

}  // namespace

Result<ParsedMail> parse_mail(std::string_view bytes, const MailParseLimits& limits) {
  if (bytes.size() > limits.max_bytes)
    return make_error(Errc::limit, "message of " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                                       std::to_string(limits.max_bytes));
  // An mbox "From " line (pipes with the F flag) is not a header field.
  if (starts_with(bytes, "From ")) {
    const size_t nl = bytes.find('\n');
    bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
  }
  if (bytes.find_first_not_of(" \t\r\n") == std::string_view::npos) return make_error(Errc::malformed, "empty message");
  {
    const size_t nl = bytes.find('\n');
    const std::string_view first = bytes.substr(0, nl);
    const size_t colon = first.find(':');
    bool name_ok = colon != std::string_view::npos && colon > 0;
    for (size_t i = 0; name_ok && i < colon; ++i)
      name_ok = first[i] > ' ' && static_cast<unsigned char>(first[i]) < 127;
    if (!name_ok) return make_error(Errc::malformed, "the message does not start with a header field");
  }
  // vmime parses nested multiparts recursively before we can count the depth; every multipart
  // level needs a boundary, so bounding their number bounds vmime's recursion too.
  const size_t max_boundaries = limits.max_depth * 64 + limits.max_attachments;
  if (count_ci(bytes, "boundary", max_boundaries) > max_boundaries)
    return make_error(Errc::limit, "more than " + std::to_string(max_boundaries) + " MIME boundaries");

  detail::ensure_vmime_platform();
  try {
    vmime::message msg;
    msg.parse(std::string(bytes));
    const auto& hdr = *msg.getHeader();
    ParsedMail mail;

    if (!hdr.hasField(vmime::fields::FROM)) return make_error(Errc::malformed, "no From header");
    auto from = hdr.From()->getValue<vmime::mailbox>();
    if (!from || from->getEmail().isEmpty() || from->getEmail().getDomainName().isEmpty())
      return make_error(Errc::malformed, "the From header holds no address");
    mail.from = to_address(*from);
    // vmime completes an address without '@' with this host's name; such a From is not one.
    {
      const size_t at = mail.from.address.rfind('@');
      const std::string domain = at == std::string::npos ? std::string() : "@" + mail.from.address.substr(at + 1);
      const std::string_view head = bytes.substr(0, std::min(bytes.find("\n\r\n"), bytes.find("\n\n")));
      if (domain.empty() ||
          (domain.find("xn--") == std::string::npos && to_lower(head).find(to_lower(domain)) == std::string::npos))
        return make_error(Errc::malformed, "the From header holds no address");
    }
    mail.to = address_list(hdr, vmime::fields::TO);
    mail.cc = address_list(hdr, vmime::fields::CC);
    if (hdr.hasField(vmime::fields::SUBJECT))
      if (auto s = hdr.Subject()->getValue<vmime::text>()) mail.subject = text_to_utf8(*s);
    if (hdr.hasField(vmime::fields::MESSAGE_ID))
      if (auto id = hdr.MessageId()->getValue<vmime::messageId>()) mail.message_id = strip_brackets(id->getId());
    if (auto ids = id_list(hdr, vmime::fields::IN_REPLY_TO); !ids.empty()) mail.in_reply_to = ids.front();
    mail.references = id_list(hdr, vmime::fields::REFERENCES);
    if (hdr.hasField(vmime::fields::DATE))
      if (auto d = hdr.Date()->getValue<vmime::datetime>()) mail.date = to_time(*d);

    Walk walk{limits, mail, false, {}, std::nullopt};
    walk.part(msg, 0);
    if (walk.error) return std::move(*walk.error);
    if (!walk.have_plain && !walk.html.empty()) {
      mail.text = html_to_text(walk.html);
      mail.text_from_html = true;
    }
    return mail;
  } catch (const vmime::exception& e) {
    return make_error(Errc::malformed, std::string("vmime: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(Errc::malformed, e.what());
  }
}

std::optional<std::string> find_incident_ref(std::string_view s) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (size_t i = 0; i + 3 + 4 + 1 + 6 <= s.size(); ++i) {
    if (ascii_lower(s[i]) != 'l' || ascii_lower(s[i + 1]) != 'c' || s[i + 2] != '-') continue;
    if (i > 0 && std::isalnum(static_cast<unsigned char>(s[i - 1]))) continue;
    size_t j = i + 3;
    size_t year = 0;
    while (j < s.size() && digit(s[j]) && year < 5) {
      ++j;
      ++year;
    }
    if (year != 4 || j >= s.size() || s[j] != '-') continue;
    const size_t num_start = ++j;
    while (j < s.size() && digit(s[j])) ++j;
    const size_t num = j - num_start;
    if (num < 6 || num > 12) continue;
    if (j < s.size() && std::isalnum(static_cast<unsigned char>(s[j]))) continue;
    return "LC-" + std::string(s.substr(i + 3, j - i - 3));
  }
  return std::nullopt;
}

}  // namespace lachan::notify
