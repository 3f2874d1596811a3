// Outgoing e-mail: one RFC 5322 message (UTF-8 throughout) from the fields a delivery channel
// knows. Built with vmime; vmime stays inside the .cpp files.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace lachan::notify {

struct MailAddress {
  std::string name;     // display name, UTF-8; may be empty
  std::string address;  // addr-spec, local@domain
};

struct MailAttachment {
  std::string name;        // file name, UTF-8
  std::string media_type;  // "application/pdf"; empty means application/octet-stream
  std::string bytes;       // decoded contents
};

struct MailHeader {
  std::string name;   // "Message-ID", "In-Reply-To", "References", "X-Lachan-Ref", ...
  std::string value;  // message ids with their angle brackets; other values UTF-8 text
};

struct OutgoingMail {
  MailAddress from;
  std::vector<MailAddress> to;
  std::optional<MailAddress> reply_to;
  std::string subject;
  std::string text;  // text/plain body, UTF-8
  std::string html;  // optional text/html alternative; empty: text/plain only
  std::vector<MailAttachment> attachments;
  // Extra header fields. A Message-ID given here is used as is; without one a unique id is
  // generated (the caller that threads replies should choose its own and keep it).
  std::vector<MailHeader> headers;
  // The Date header; unset means now. Tests set it so that the output is reproducible.
  std::optional<std::chrono::system_clock::time_point> date;
};

// The message as bytes (CRLF line ends, lines within 78 characters): non-ASCII subject, display
// names and file names RFC 2047/2231-encoded as UTF-8; bodies quoted-printable or base64 as vmime
// decides from their contents; text+html as multipart/alternative, attachments under
// multipart/mixed; Date, Message-ID and MIME-Version always present.
// Errors: invalid_config for a missing or unparseable sender/recipient address or header name,
// internal if vmime fails.
[[nodiscard]] Result<std::string> compose_mail(const OutgoingMail& mail);

}  // namespace lachan::notify
