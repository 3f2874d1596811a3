#include "notify/mail_compose.h"

#include <vmime/contentDispositionField.hpp>
#include <vmime/contentTypeField.hpp>
#include <vmime/vmime.hpp>

#include <ctime>

#include "notify/mail_vmime.h"

namespace lachan::notify {
namespace {

// vmime's defaultAttachment writes Content-Disposition: attachment but leaves the file name out;
// mail clients then show "noname". The name goes into both places clients look for it.
class NamedAttachment : public vmime::defaultAttachment {
 public:
  NamedAttachment(const MailAttachment& a)
      : vmime::defaultAttachment(vmime::make_shared<vmime::stringContentHandler>(a.bytes),
                                 vmime::encoding(vmime::encodingTypes::BASE64),
                                 vmime::mediaType(a.media_type.empty() ? "application/octet-stream" : a.media_type),
                                 vmime::text(), vmime::word(a.name, vmime::charsets::UTF_8)) {}

 protected:
  void generatePart(vmime::shared_ptr<vmime::bodyPart> part) const override {
    vmime::defaultAttachment::generatePart(part);
    if (m_name.isEmpty()) return;
    auto hdr = part->getHeader();
    vmime::dynamicCast<vmime::contentDispositionField>(hdr->ContentDisposition())->setFilename(m_name);
    vmime::dynamicCast<vmime::contentTypeField>(hdr->ContentType())
        ->appendParameter(vmime::make_shared<vmime::parameter>("name", m_name));
  }
};

// One UTF-8 word for the whole string. vmime's text(string, charset) splits it into ASCII and
// non-ASCII words and, when folding a display name, drops the space between an encoded word and
// the next one ("sát An" came back as "sátAn"); a single word is split by the encoder alone,
// which keeps the spaces inside the encoded words.
vmime::text utf8_text(const std::string& s) {
  bool ascii = true;
  for (const char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return vmime::text(s, vmime::charsets::US_ASCII);  // stays readable: no encoded word
  vmime::text t;
  if (!s.empty()) t.appendWord(vmime::make_shared<vmime::word>(s, vmime::charsets::UTF_8));
  return t;
}

vmime::mailbox to_mailbox(const MailAddress& a) {
  if (a.name.empty()) return vmime::mailbox(vmime::emailAddress(a.address));  // not `""  <addr>`
  return vmime::mailbox(utf8_text(a.name), vmime::emailAddress(a.address));
}

// An addr-spec we would put on the wire: local@domain, no spaces or angle brackets (vmime would
// otherwise quietly write whatever it managed to parse).
bool plausible_address(const std::string& a) {
  const auto at = a.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == a.size()) return false;
  for (const char c : a)
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == '"') return false;
  return true;
}

bool valid_header_name(const std::string& n) {
  if (n.empty()) return false;
  for (const char c : n)
    if (c <= ' ' || c >= 127 || c == ':') return false;
  return true;
}

}  // namespace

Result<std::string> compose_mail(const OutgoingMail& mail) {
  if (!plausible_address(mail.from.address))
    return make_error(Errc::invalid_config, "from address is not local@domain: '" + mail.from.address + "'");
  if (mail.to.empty()) return make_error(Errc::invalid_config, "no recipient");
  for (const auto& t : mail.to)
    if (!plausible_address(t.address))
      return make_error(Errc::invalid_config, "recipient address is not local@domain: '" + t.address + "'");
  if (mail.reply_to && !plausible_address(mail.reply_to->address))
    return make_error(Errc::invalid_config, "reply-to address is not local@domain: '" + mail.reply_to->address + "'");
  for (const auto& h : mail.headers)
    if (!valid_header_name(h.name)) return make_error(Errc::invalid_config, "bad header name: '" + h.name + "'");

  detail::ensure_vmime_platform();
  try {
    vmime::messageBuilder mb;
    mb.setExpeditor(to_mailbox(mail.from));
    for (const auto& t : mail.to) mb.getRecipients().appendAddress(vmime::make_shared<vmime::mailbox>(to_mailbox(t)));
    mb.setSubject(utf8_text(mail.subject));

    if (mail.html.empty()) {
      auto part = vmime::dynamicCast<vmime::plainTextPart>(mb.getTextPart());
      part->setCharset(vmime::charsets::UTF_8);
      part->setText(vmime::make_shared<vmime::stringContentHandler>(mail.text));
    } else {
      mb.constructTextPart(vmime::mediaType(vmime::mediaTypes::TEXT, vmime::mediaTypes::TEXT_HTML));
      auto part = vmime::dynamicCast<vmime::htmlTextPart>(mb.getTextPart());
      part->setCharset(vmime::charsets::UTF_8);
      part->setText(vmime::make_shared<vmime::stringContentHandler>(mail.html));
      part->setPlainText(vmime::make_shared<vmime::stringContentHandler>(mail.text));
    }
    for (const auto& a : mail.attachments) mb.appendAttachment(vmime::make_shared<NamedAttachment>(a));

    auto msg = mb.construct();
    auto hdr = msg->getHeader();
    if (mail.reply_to) {
      hdr->ReplyTo()->setValue(to_mailbox(*mail.reply_to));  // a mailbox, not a list, in vmime 0.9
    }
    const std::time_t when = std::chrono::system_clock::to_time_t(mail.date.value_or(std::chrono::system_clock::now()));
    hdr->Date()->setValue(vmime::datetime(when, vmime::datetime::GMT));

    bool have_id = false;
    for (const auto& h : mail.headers) {
      // A field vmime knows (Message-ID, References, ...) parses the value into its own type; any
      // other is free text, encoded as UTF-8 words where it is not ASCII.
      auto field = vmime::headerFieldFactory::getInstance()->create(h.name, "");
      if (auto text = vmime::dynamicCast<vmime::text>(field->getValue())) {
        field->setValue(utf8_text(h.value));
      } else {
        field->getValue()->parse(h.value);
      }
      if (vmime::utility::stringUtils::isStringEqualNoCase(h.name, std::string("Message-ID"))) have_id = true;
      // One value per name: a second header of the same name replaces the first.
      if (hdr->hasField(h.name)) hdr->removeAllFields(h.name);
      hdr->appendField(field);
    }
    if (!have_id) hdr->MessageId()->setValue(vmime::messageId::generateId());

    std::string out;
    vmime::utility::outputStreamStringAdapter os(out);
    // vmime overshoots its line limit by a few characters with encoded words; aiming lower keeps
    // header lines within the 78 that RFC 5322 asks for.
    vmime::generationContext ctx;
    ctx.setMaxLineLength(72);
    msg->generate(ctx, os);
    return out;
  } catch (const vmime::exception& e) {
    return make_error(Errc::internal, std::string("vmime: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(Errc::internal, e.what());
  }
}

}  // namespace lachan::notify
