// compose_mail: the message parses back (with parse_mail) to exactly what went in, Vietnamese
// included, and has the MIME structure and encodings mail clients expect.
#include <gtest/gtest.h>

#include "notify/mail_compose.h"
#include "notify/mail_parse.h"

using namespace lachan::notify;
using lachan::Errc;

namespace {

const std::string kSubject = "Cảnh báo an ninh mạng: mã độc tống tiền tại Sở Y tế Hà Nội";
const std::string kName = "Trung tâm Giám sát An toàn Không gian mạng Quốc gia (NCSC) — Đội ứng cứu";
const std::string kText =
    "Kính gửi Sở Y tế Hà Nội,\n\n"
    "Cảnh báo an ninh mạng: mã độc tống tiền tại Sở Y tế Hà Nội.\n"
    "Máy chủ 10.0.0.5 đã kết nối tới địa chỉ điều khiển lúc 03:14.\n"
    ".Dòng bắt đầu bằng dấu chấm\n"
    "From dòng bắt đầu bằng From\n"
    "Một dòng rất dài để kiểm tra việc ngắt dòng mềm của quoted-printable: "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.\n";

OutgoingMail base_mail() {
  OutgoingMail m;
  m.from = {kName, "canhbao@ncsc.gov.vn"};
  m.to = {{"Sở Y tế Hà Nội", "soyte@hanoi.gov.vn"}, {"", "it@hanoi.gov.vn"}};
  m.reply_to = MailAddress{"Lachan", "reply+LC-2026-000123@ncsc.gov.vn"};
  m.subject = kSubject;
  m.text = kText;
  m.headers = {{"Message-ID", "<LC-2026-000123.1@lachan.ncsc.gov.vn>"},
               {"In-Reply-To", "<abc@hanoi.gov.vn>"},
               {"References", "<root@hanoi.gov.vn> <abc@hanoi.gov.vn>"},
               {"X-Lachan-Ref", "LC-2026-000123"}};
  m.date = std::chrono::sys_seconds(std::chrono::seconds(1790000000));  // 2026-09-21T14:13:20Z
  return m;
}

bool header_line(const std::string& msg, const std::string& prefix) {
  return msg.rfind(prefix, 0) == 0 || msg.find("\r\n" + prefix) != std::string::npos ||
         msg.find("\n" + prefix) != std::string::npos;
}

}  // namespace

TEST(MailCompose, PlainTextRoundTripsVietnamese) {
  auto bytes = compose_mail(base_mail());
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  const std::string& m = *bytes;
  // Headers are ASCII: the subject and names are RFC 2047 encoded words in UTF-8.
  const std::string head = m.substr(0, m.find("\r\n\r\n"));
  for (const char c : head) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << head;
  EXPECT_NE(head.find("Subject: =?utf-8?"), std::string::npos) << head;
  EXPECT_TRUE(header_line(m, "Date: ")) << head;
  EXPECT_TRUE(header_line(m, "Mime-Version: 1.0")) << head;  // vmime's spelling; names are case-blind
  EXPECT_TRUE(header_line(m, "X-Lachan-Ref: LC-2026-000123")) << head;
  // vmime picks base64 for mostly non-ASCII text, quoted-printable for mostly ASCII.
  EXPECT_NE(head.find("Content-Transfer-Encoding: base64"), std::string::npos) << head;
  EXPECT_NE(head.find("charset=utf-8"), std::string::npos) << head;
  EXPECT_NE(m.find("\r\n"), std::string::npos);
  for (size_t start = 0, nl; (nl = m.find("\r\n", start)) != std::string::npos; start = nl + 2)
    EXPECT_LE(nl - start, 78u) << m.substr(start, nl - start);

  auto p = parse_mail(m);
  ASSERT_TRUE(p.ok()) << p.error().message << "\n" << m;
  EXPECT_EQ(p->subject, kSubject);
  EXPECT_EQ(p->from.name, kName);
  EXPECT_EQ(p->from.address, "canhbao@ncsc.gov.vn");
  ASSERT_EQ(p->to.size(), 2u);
  EXPECT_EQ(p->to[0].name, "Sở Y tế Hà Nội");
  EXPECT_EQ(p->to[0].address, "soyte@hanoi.gov.vn");
  EXPECT_EQ(p->to[1].name, "");
  EXPECT_EQ(p->to[1].address, "it@hanoi.gov.vn");
  EXPECT_EQ(p->text, kText);
  EXPECT_FALSE(p->text_from_html);
  EXPECT_EQ(p->message_id, "LC-2026-000123.1@lachan.ncsc.gov.vn");
  EXPECT_EQ(p->in_reply_to, "abc@hanoi.gov.vn");
  EXPECT_EQ(p->references, (std::vector<std::string>{"root@hanoi.gov.vn", "abc@hanoi.gov.vn"}));
  ASSERT_TRUE(p->date.has_value());
  EXPECT_EQ(p->date->time_since_epoch().count(), 1790000000);
  EXPECT_TRUE(p->attachments.empty());
  EXPECT_EQ(find_incident_ref(p->subject), std::nullopt);
}

TEST(MailCompose, ReplyToHeaderPresent) {
  auto bytes = compose_mail(base_mail());
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(header_line(*bytes, "Reply-To: \"Lachan\" <reply+LC-2026-000123@ncsc.gov.vn>")) << *bytes;
}

TEST(MailCompose, HtmlAlternativeAndAttachments) {
  OutgoingMail m = base_mail();
  m.html = "<p>Cảnh báo: <b>mã độc tống tiền</b> tại Sở Y tế Hà Nội</p>";
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  m.attachments = {{"Báo cáo sự cố LC-2026-000123.pdf", "application/pdf", "%PDF-1.7\n" + binary},
                   {"ioc.csv", "text/csv", "type,value\nipv4,203.0.113.7\n"}};
  auto bytes = compose_mail(m);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_NE(bytes->find("multipart/mixed"), std::string::npos);
  EXPECT_NE(bytes->find("multipart/alternative"), std::string::npos);
  EXPECT_NE(bytes->find("Content-Transfer-Encoding: base64"), std::string::npos);

  auto p = parse_mail(*bytes);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->subject, kSubject);
  EXPECT_EQ(p->text, kText);  // text/plain wins over the HTML alternative
  ASSERT_EQ(p->attachments.size(), 2u) << *bytes;
  EXPECT_EQ(p->attachments[0].name, "Báo cáo sự cố LC-2026-000123.pdf");
  EXPECT_EQ(p->attachments[0].media_type, "application/pdf");
  EXPECT_EQ(p->attachments[0].bytes, "%PDF-1.7\n" + binary);
  EXPECT_EQ(p->attachments[1].name, "ioc.csv");
  EXPECT_EQ(p->attachments[1].media_type, "text/csv");
  EXPECT_EQ(p->attachments[1].bytes, "type,value\nipv4,203.0.113.7\n");
}

TEST(MailCompose, HtmlOnlyReaderGetsText) {
  OutgoingMail m = base_mail();
  m.text.clear();
  m.html =
      "<html><head><style>p{}</style></head><body><p>Cảnh báo &amp; khuyến nghị</p><p>Dòng&nbsp;2</p></body></html>";
  auto bytes = compose_mail(m);
  ASSERT_TRUE(bytes.ok());
  auto p = parse_mail(*bytes);
  ASSERT_TRUE(p.ok());
  // No text/plain half is written for an empty text; the reader falls back to the HTML.
  EXPECT_EQ(p->text, "Cảnh báo & khuyến nghị\nDòng 2\n");
  EXPECT_TRUE(p->text_from_html);
}

TEST(MailCompose, MostlyAsciiBodyIsQuotedPrintable) {
  OutgoingMail m = base_mail();
  m.text =
      "Incident LC-2026-000123: ransomware at the Ha Noi Department of Health (Sở Y tế Hà Nội).\n"
      "Please isolate host 10.0.0.5 and reply to this message with the results.\n";
  auto bytes = compose_mail(m);
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(bytes->find("Content-Transfer-Encoding: quoted-printable"), std::string::npos) << *bytes;
  auto p = parse_mail(*bytes);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->text, m.text);
}

TEST(MailCompose, GeneratesMessageIdWhenNoneGiven) {
  OutgoingMail m = base_mail();
  m.headers.clear();
  m.date.reset();
  auto bytes = compose_mail(m);
  ASSERT_TRUE(bytes.ok());
  auto p = parse_mail(*bytes);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p->message_id.find('@'), std::string::npos);
  ASSERT_TRUE(p->date.has_value());
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - *p->date), std::chrono::minutes(5));
}

TEST(MailCompose, RejectsBadAddressesAndHeaderNames) {
  OutgoingMail m = base_mail();
  m.from.address = "not an address";
  EXPECT_EQ(compose_mail(m).error().code, Errc::invalid_config);
  m = base_mail();
  m.to.clear();
  EXPECT_EQ(compose_mail(m).error().code, Errc::invalid_config);
  m = base_mail();
  m.to.push_back({"x", "a@b>\r\nBcc: evil@example.com"});
  EXPECT_EQ(compose_mail(m).error().code, Errc::invalid_config);
  m = base_mail();
  m.headers.push_back({"X-Bad: Name", "v"});
  EXPECT_EQ(compose_mail(m).error().code, Errc::invalid_config);
}

TEST(MailCompose, HeaderValuesCannotInjectFields) {
  OutgoingMail m = base_mail();
  m.subject = "Cảnh báo\r\nBcc: evil@example.com";
  m.headers.push_back({"X-Lachan-Note", "ghi chú\r\nBcc: evil@example.com"});
  auto bytes = compose_mail(m);
  ASSERT_TRUE(bytes.ok());
  EXPECT_FALSE(header_line(*bytes, "Bcc:")) << *bytes;
}
