// parse_mail on messages shaped like what real clients send (tests/unit/notify/mail/*.eml):
// every decoded field checked exactly; limits and broken input; find_incident_ref.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "notify/mail_parse.h"

using namespace lachan::notify;
using lachan::Errc;

namespace {

std::string load(const std::string& name) {
  std::ifstream in(std::string(LACHAN_SOURCE_DIR) + "/tests/unit/notify/mail/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string bytes_0_255() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s;
}

// The error code, or ok: a test that expects an error must not crash when there is none.
Errc code_of(const lachan::Result<ParsedMail>& r) {
  return r.ok() ? Errc::ok : r.error().code;
}

int64_t unix_time(const ParsedMail& m) {
  return m.date ? m.date->time_since_epoch().count() : -1;
}

}  // namespace

TEST(MailParse, OutlookAlternativeWithBase64Attachment) {
  auto r = parse_mail(load("outlook_alternative_attachment.eml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ParsedMail& m = *r;
  EXPECT_EQ(m.from.name, "Nguyễn Văn An");
  EXPECT_EQ(m.from.address, "an.nv@soyte.hanoi.gov.vn");
  ASSERT_EQ(m.to.size(), 1u);
  EXPECT_EQ(m.to[0].name, "canhbao@ncsc.gov.vn");
  EXPECT_EQ(m.to[0].address, "canhbao@ncsc.gov.vn");
  ASSERT_EQ(m.cc.size(), 2u);
  EXPECT_EQ(m.cc[0].name, "Trần Thị Bình");
  EXPECT_EQ(m.cc[0].address, "binh.tt@soyte.hanoi.gov.vn");
  EXPECT_EQ(m.cc[1].name, "");
  EXPECT_EQ(m.cc[1].address, "it@soyte.hanoi.gov.vn");
  EXPECT_EQ(m.subject, "RE: [LC-2026-000123] Cảnh báo an ninh mạng: mã độc tống tiền");
  EXPECT_EQ(m.message_id, "SG2PR06MB5288A1B2C3D4E5F6@SG2PR06MB5288.apcprd06.prod.outlook.com");
  EXPECT_EQ(m.in_reply_to, "LC-2026-000123.1@lachan.ncsc.gov.vn");
  EXPECT_EQ(m.references, std::vector<std::string>{"LC-2026-000123.1@lachan.ncsc.gov.vn"});
  EXPECT_EQ(unix_time(m), 1796006466);  // 2026-11-30T02:41:06Z
  EXPECT_EQ(m.text,
            "Kính gửi Trung tâm,\n\nSở Y tế Hà Nội xác nhận đã cô lập máy chủ 10.0.0.5 lúc 09:30.\n"
            "Nhật ký kèm theo.\n\nTrân trọng,\nNguyễn Văn An\n");
  EXPECT_FALSE(m.text_from_html);
  ASSERT_EQ(m.attachments.size(), 1u);
  EXPECT_EQ(m.attachments[0].name, "Nhật ký sự cố LC-2026-000123.docx");
  EXPECT_EQ(m.attachments[0].media_type, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_EQ(m.attachments[0].bytes, "PK\x03\x04" + bytes_0_255() + "word/document.xml");
  EXPECT_EQ(find_incident_ref(m.subject), "LC-2026-000123");
}

TEST(MailParse, ThunderbirdReplyQuotedPrintableVietnamese) {
  auto r = parse_mail(load("thunderbird_reply_qp.eml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ParsedMail& m = *r;
  EXPECT_EQ(m.from.name, "Trần Thị Bình");
  EXPECT_EQ(m.from.address, "binh.tt@soyte.hanoi.gov.vn");
  ASSERT_EQ(m.to.size(), 1u);
  EXPECT_EQ(m.to[0].name, "Trung tâm Giám sát");
  EXPECT_EQ(m.to[0].address, "canhbao@ncsc.gov.vn");
  EXPECT_EQ(m.subject, "Re: [LC-2026-000123] Cảnh báo an ninh mạng: mã độc tống tiền");
  EXPECT_EQ(m.message_id, "7c1e0b2a-5f3d-4d8e-9a61-2b7f0c9e1d44@soyte.hanoi.gov.vn");
  EXPECT_EQ(m.in_reply_to, "SG2PR06MB5288A1B2C3D4E5F6@SG2PR06MB5288.apcprd06.prod.outlook.com");
  EXPECT_EQ(m.references,
            (std::vector<std::string>{"LC-2026-000123.1@lachan.ncsc.gov.vn",
                                      "SG2PR06MB5288A1B2C3D4E5F6@SG2PR06MB5288.apcprd06.prod.outlook.com"}));
  EXPECT_EQ(unix_time(m), 1796007933);  // 2026-11-30T10:05:33+07:00
  EXPECT_EQ(m.text,
            "Chào anh/chị,\n\nChúng tôi đã chặn địa chỉ 203.0.113.7 trên tường lửa và đang khôi phục dữ liệu "
            "từ bản sao lưu ngày 28/11.\n\nĐính kèm: không có.\n\nOn 30/11/2026 08:00, Trung tâm Giám sát wrote:\n"
            "> Cảnh báo an ninh mạng: mã độc tống tiền tại Sở Y tế Hà Nội\n> Mức độ: Cao\n");
  EXPECT_TRUE(m.attachments.empty());
  EXPECT_EQ(find_incident_ref(m.subject), "LC-2026-000123");
}

TEST(MailParse, Windows1258PlainComposedToPrecomposedUtf8) {
  auto r = parse_mail(load("windows1258_plain.eml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ParsedMail& m = *r;
  // windows-1258 writes "ố" as "ô" + a combining acute; we hand out the precomposed letters.
  EXPECT_EQ(m.from.name, "Lê Thị Hồng Nhung");
  EXPECT_EQ(m.from.address, "nhung.lth@benhvien.hanoi.gov.vn");
  EXPECT_EQ(m.subject, "Báo cáo xử lý sự cố mã độc");
  EXPECT_EQ(m.text,
            "Kính gửi Trung tâm,\nĐơn vị đã xử lý xong sự cố mã độc tống tiền.\nNgười báo cáo: Lê Thị Hồng Nhung\n");
  EXPECT_EQ(m.message_id, "20261129162000.4711@benhvien.hanoi.gov.vn");
  EXPECT_EQ(m.in_reply_to, "");
  EXPECT_TRUE(m.references.empty());
  EXPECT_EQ(unix_time(m), 1795944000);  // 2026-11-29T09:20:00Z
}

TEST(MailParse, Rfc2231And2047FileNamesNestedPartsAndForwardedMessage) {
  auto r = parse_mail(load("rfc2231_forward.eml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ParsedMail& m = *r;
  EXPECT_EQ(m.from.name, "CERT-FR (test)");
  EXPECT_EQ(m.from.address, "cert@example.fr");
  EXPECT_EQ(m.subject, "Fwd: sample for LC-2026-000123");
  // iso-8859-1 quoted-printable inside multipart/related inside multipart/mixed.
  EXPECT_EQ(m.text, "Prière de trouver ci-joint le rapport d'analyse (échantillon reçu à 10h).\n");
  ASSERT_EQ(m.attachments.size(), 4u);
  EXPECT_EQ(m.attachments[0].name, "");  // the inline logo of the related part
  EXPECT_EQ(m.attachments[0].media_type, "image/png");
  EXPECT_EQ(m.attachments[0].bytes, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(13, '\0'));
  EXPECT_EQ(m.attachments[1].name, "Phân tích mẫu độc hại (bản đầy đủ).pdf");  // RFC 2231, two sections
  EXPECT_EQ(m.attachments[1].media_type, "application/pdf");
  EXPECT_EQ(m.attachments[1].bytes, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  EXPECT_EQ(m.attachments[2].name, "Mẫu mã độc.zip");  // RFC 2047 in a quoted name=
  EXPECT_EQ(m.attachments[2].media_type, "application/zip");
  EXPECT_EQ(m.attachments[2].bytes, "PK\x05\x06" + std::string(18, '\0'));
  EXPECT_EQ(m.attachments[3].name, "Hoa don thang 11.eml");
  EXPECT_EQ(m.attachments[3].media_type, "message/rfc822");
  EXPECT_EQ(m.attachments[3].bytes,
            "From: attacker@evil.example\r\nTo: ketoan@soyte.hanoi.gov.vn\r\nSubject: Hoa don thang 11\r\n"
            "Date: Fri, 27 Nov 2026 08:00:00 +0000\r\nMessage-ID: <phish-1@evil.example>\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\nVui long mo tep dinh kem de xem hoa don.\r\n");
  // The forwarded message is kept whole: it parses on its own.
  auto inner = parse_mail(m.attachments[3].bytes);
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->from.address, "attacker@evil.example");
  EXPECT_EQ(inner->text, "Vui long mo tep dinh kem de xem hoa don.\n");
}

TEST(MailParse, HtmlOnlyMessageGivesStrippedText) {
  auto r = parse_mail(load("html_only.eml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const ParsedMail& m = *r;
  EXPECT_EQ(m.from.name, "Pham Duc");
  EXPECT_EQ(m.subject, "Xác nhận LC-2026-000777");  // raw UTF-8 in the header, no encoded word
  EXPECT_EQ(m.message_id, "CAF=abc123@mail.gmail.example");
  EXPECT_TRUE(m.text_from_html);
  EXPECT_EQ(m.text, "Đã nhận cảnh báo & xử lý.\nMáy chủ <10.0.0.5> đã tắt.\n");
  EXPECT_EQ(find_incident_ref(m.subject), "LC-2026-000777");
}

TEST(MailParse, BrokenMessagesAreErrorsNamingTheProblem) {
  auto no_from = parse_mail(load("broken_no_from.eml"));
  ASSERT_FALSE(no_from.ok());
  EXPECT_EQ(no_from.error().code, Errc::malformed);
  EXPECT_FALSE(no_from.error().message.empty());

  auto garbage = parse_mail(load("broken_not_a_message.eml"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, Errc::malformed);

  EXPECT_EQ(code_of(parse_mail("")), Errc::malformed);
  EXPECT_EQ(code_of(parse_mail("\r\n\r\n")), Errc::malformed);
  EXPECT_EQ(code_of(parse_mail("From: nobody\r\n\r\nx")), Errc::malformed);  // no address
}

TEST(MailParse, MboxFromLineIsSkipped) {
  auto r = parse_mail("From an@example.vn Mon Nov 30 09:00:00 2026\nFrom: an@example.vn\nSubject: x\n\nhi\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->from.address, "an@example.vn");
  EXPECT_EQ(r->text, "hi\n");
}

TEST(MailParse, Limits) {
  const std::string msg = load("rfc2231_forward.eml");
  MailParseLimits small;
  small.max_bytes = msg.size() - 1;
  EXPECT_EQ(code_of(parse_mail(msg, small)), Errc::limit);

  MailParseLimits few;
  few.max_attachments = 3;
  EXPECT_EQ(code_of(parse_mail(msg, few)), Errc::limit);
  few.max_attachments = 4;
  EXPECT_TRUE(parse_mail(msg, few).ok());

  // Multipart nesting: each level its own boundary.
  std::string nested = "From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n";
  std::string tail;
  for (int i = 1; i <= 30; ++i) {
    nested += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" + std::to_string(i) +
              "\"\r\n\r\n";
    tail = "--b" + std::to_string(i - 1) + "--\r\n" + tail;
  }
  nested += "--b30\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b30--\r\n" + tail;
  EXPECT_EQ(code_of(parse_mail(nested)), Errc::limit);
  MailParseLimits deep;
  deep.max_depth = 40;
  auto ok = parse_mail(nested, deep);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->text, "deep");

  // Thousands of boundaries are refused before vmime recurses into them.
  std::string bomb = "From: a@b.vn\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 0; i < 5000; ++i) bomb += "--b\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  EXPECT_EQ(code_of(parse_mail(bomb)), Errc::limit);
}

TEST(MailParse, UnknownCharsetFallsBack) {
  const std::string latin1_bytes = "caf\xe9";
  auto r = parse_mail("From: a@b.vn\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n" + latin1_bytes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "café");
  auto u = parse_mail("From: a@b.vn\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nmã độc");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->text, "mã độc");  // labelled us-ascii, sent as UTF-8
}

TEST(MailParse, MultipartWithoutItsBoundaryIsReadAsText) {
  auto r = parse_mail("From: a@b.vn\r\nContent-Type: multipart/mixed\r\n\r\nĐã xử lý.\r\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "Đã xử lý.\n");
  EXPECT_TRUE(r->attachments.empty());
}

// Found by fuzz_mail_parse: vmime copies "utf-8 to utf-8" without checking, so ill-formed bytes
// reached the caller.
TEST(MailParse, IllFormedUtf8BecomesReplacementCharacters) {
  auto r = parse_mail(
      "From: a@b.vn\r\nSubject: =?utf-8?B?w6M=?= \xF0oo\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nm\xC3\xA3 \xF0owed \xED\xA0\x80 \xC3");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "mã \uFFFDowed \uFFFD\uFFFD\uFFFD \uFFFD");
  EXPECT_EQ(r->subject, "ã ðoo");  // raw 8-bit header text that is not UTF-8 is read as windows-1252
}

// Found by fuzz_mail_parse under UBSan: the zone overflowed an int.
TEST(MailParse, AbsurdDateIsNoDate) {
  for (const char* date :
       {"Mon, 30 Nov 2026 10:05:33 +99999999", "Mon, 30 Nov 99999 10:05:33 +0700", "yesterday", ""}) {
    auto r = parse_mail(std::string("From: a@b.vn\r\nDate: ") + date + "\r\n\r\nx");
    ASSERT_TRUE(r.ok()) << date;
    EXPECT_FALSE(r->date.has_value()) << date;
  }
}

TEST(MailIncidentRef, FindsTheReference) {
  EXPECT_EQ(find_incident_ref("Re: [LC-2026-000123] Cảnh báo an ninh mạng"), "LC-2026-000123");
  EXPECT_EQ(find_incident_ref("RE: Fwd: mã độc tống tiền tại Sở Y tế Hà Nội LC-2026-000123"), "LC-2026-000123");
  EXPECT_EQ(find_incident_ref("Re: lc-2026-000456: đã xử lý"), "LC-2026-000456");
  EXPECT_EQ(find_incident_ref("LC-2026-000123 and LC-2026-000999"), "LC-2026-000123");
  EXPECT_EQ(find_incident_ref("(LC-2026-0001234)"), "LC-2026-0001234");
  EXPECT_EQ(find_incident_ref("Re: cảnh báo"), std::nullopt);
  EXPECT_EQ(find_incident_ref("LC-2026-00012"), std::nullopt);    // too few digits
  EXPECT_EQ(find_incident_ref("XLC-2026-000123"), std::nullopt);  // part of a longer word
  EXPECT_EQ(find_incident_ref("LC-2026-000123a"), std::nullopt);
  EXPECT_EQ(find_incident_ref("LC-26-000123"), std::nullopt);
  EXPECT_EQ(find_incident_ref(""), std::nullopt);
}
