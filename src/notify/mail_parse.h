// Incoming e-mail (`lachan mail-in`: an MTA pipes one message to stdin): the fields a reply to a
// warning carries, decoded to UTF-8. Parsed with vmime; vmime stays inside the .cpp files.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "notify/mail_compose.h"

namespace lachan::notify {

struct MailParseLimits {
  size_t max_bytes = 25u << 20;  // the whole message as received
  size_t max_attachments = 100;
  size_t max_depth = 16;  // multipart nesting; deeper input is an attack, not mail
};

struct ParsedMail {
  MailAddress from;
  std::vector<MailAddress> to;
  std::vector<MailAddress> cc;
  std::string subject;                  // RFC 2047 decoded, UTF-8
  std::string message_id;               // without angle brackets; empty if absent
  std::string in_reply_to;              // first id of In-Reply-To, without angle brackets
  std::vector<std::string> references;  // without angle brackets, in header order
  std::optional<std::chrono::sys_seconds> date;
  // The first text/plain part that is not an attachment; failing that, the first text/html
  // part reduced to text (tags dropped, entities decoded, block ends as new lines).
  std::string text;
  bool text_from_html = false;
  // Every other leaf part, in message order: decoded bytes, file name from Content-Disposition
  // (RFC 2231) or Content-Type `name` (RFC 2047 tolerated), decoded to UTF-8. A message/rfc822
  // part is one attachment holding the enclosed message's bytes, not opened.
  std::vector<MailAttachment> attachments;
};

// Parses one message. Text in utf-8, windows-1258, iso-8859-x, us-ascii and every other charset
// vmime's (ICU) converter knows becomes UTF-8: 8-bit text without a charset or labelled us-ascii
// is read as UTF-8 when it is valid UTF-8, else as windows-1252; an unknown charset as
// windows-1252; ill-formed UTF-8 bytes become U+FFFD; Vietnamese vowel + combining tone mark
// pairs (windows-1258, macOS) are composed to the precomposed letters. Text bodies get LF line
// ends. Errors: limit (size, attachment count, nesting, MIME boundary count), malformed (empty
// input, no header, no usable From address) with a message naming what is wrong. Never throws.
[[nodiscard]] Result<ParsedMail> parse_mail(std::string_view bytes, const MailParseLimits& limits = {});

// The incident reference (LC-YYYY-NNNNNN, six or more digits) in a subject such as
// "Re: [LC-2026-000123] ..." or "RE: Fwd: ... LC-2026-000123"; the first one wins.
std::optional<std::string> find_incident_ref(std::string_view subject);

}  // namespace lachan::notify
