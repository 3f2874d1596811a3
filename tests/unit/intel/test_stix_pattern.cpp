// STIX 2.1 patterning: the grammar (spec section 9 examples), errors with offsets, DNF terms.
#include <gtest/gtest.h>

#include "intel/stix_pattern.h"

namespace lachan::intel {
namespace {

Pattern parse_ok(std::string_view text) {
  auto r = parse_pattern(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : Pattern{};
}

Error parse_err(std::string_view text) {
  auto r = parse_pattern(text);
  EXPECT_FALSE(r.ok()) << text << " parsed";
  return r.ok() ? Error{} : r.error();
}

using Dnf = std::vector<std::vector<Observable>>;

Dnf terms(std::string_view text) {
  auto p = parse_pattern(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().message);
  if (!p.ok()) return {};
  auto t = indexable_terms(*p);
  EXPECT_TRUE(t.ok()) << text << ": " << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : Dnf{};
}

Observable ip(const char* v) { return {ValueType::ip, v}; }
Observable dom(const char* v) { return {ValueType::domain, v}; }

TEST(StixPattern, SpecExamplesParse) {
  // STIX 2.1 section 9.9 and the OASIS pattern examples.
  const char* examples[] = {
      "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
      "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']",
      "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'] WITHIN 300 SECONDS",
      "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']",
      "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
      "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
      "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
      "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
      "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']",
      "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS",
      "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
      "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
      "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
      "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\ControlSet001\\\\Services\\\\MSADL3\\\\Parameters' AND windows-registry-key:values[*].name = 'ServiceDll']",
      "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']",
      "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']",
      "[x-usb-device:usbdrive.serial_number = '575833344E30314C']",
      "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
      "[network-traffic:src_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
      "[ipv4-addr:value ISSUPERSET '198.51.100.0/24']",
      "[file:name LIKE 'invoice%.exe' AND file:size <= 1024 AND file:size >= -1 AND file:size < +5 AND file:size != 3]",
      "[file:size IN (1, 2.5, 'x', true, t'2020-01-01T00:00:00Z', h'00ff', b'AAE=')]",
      "[file:name NOT = 'a.exe' AND file:name NOT IN ('b', 'c') AND NOT_A_TYPE:x NOT LIKE 'y']",
      "[EXISTS windows-registry-key:values AND file:hashes.SHA-256 = 'x']",
      "[ipv4-addr:value = '1.2.3.4'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
      "([ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '5.6.7.8']) AND [domain-name:value = 'x.example'] within 5.5 seconds",
      "[process:pid = 4 AND process:is_hidden = false AND process:child_refs[0].pid = 8 AND process:x[-1].y = 1]",
      "[file:size IN ()]",
      "  [ ipv4-addr:value = '10.0.0.0' ]  ",
  };
  for (const char* e : examples) parse_ok(e);
}

TEST(StixPattern, AstShape) {
  Pattern p = parse_ok(
      "([file:hashes.'SHA-256' = 'a\\'b\\\\c' OR file:size > 10] AND [x:y = 1]) FOLLOWEDBY "
      "[ipv4-addr:value IN ('1.2.3.4')] REPEATS 2 TIMES WITHIN 60 SECONDS START t'2020-01-01T00:00:00Z' STOP "
      "t'2020-01-02T00:00:00.5Z'");
  ASSERT_EQ(p.root.kind, ObservationExpr::Kind::followed_by);
  ASSERT_EQ(p.root.operands.size(), 2u);
  const auto& left = p.root.operands[0];
  ASSERT_EQ(left.kind, ObservationExpr::Kind::all);
  ASSERT_EQ(left.operands.size(), 2u);
  const auto& first = left.operands[0];
  ASSERT_EQ(first.kind, ObservationExpr::Kind::observation);
  ASSERT_EQ(first.comparisons.kind, ComparisonExpr::Kind::any);
  const Comparison& hash = first.comparisons.operands[0].comparison;
  EXPECT_EQ(hash.path.object_type, "file");
  ASSERT_EQ(hash.path.steps.size(), 2u);
  EXPECT_EQ(hash.path.steps[1].name, "SHA-256");
  EXPECT_EQ(hash.path.text(), "file:hashes.'SHA-256'");
  EXPECT_EQ(hash.value.text, "a'b\\c");
  EXPECT_EQ(hash.offset, 2u);
  const Comparison& size = first.comparisons.operands[1].comparison;
  EXPECT_EQ(size.op, CompareOp::gt);
  EXPECT_EQ(size.value.kind, PatternConstant::Kind::integer);
  EXPECT_EQ(size.value.integer, 10);
  const auto& right = p.root.operands[1];
  EXPECT_EQ(right.comparisons.comparison.op, CompareOp::in);
  ASSERT_EQ(right.qualifiers.size(), 3u);
  EXPECT_EQ(right.qualifiers[0].kind, Qualifier::Kind::repeats);
  EXPECT_EQ(right.qualifiers[0].times, 2);
  EXPECT_EQ(right.qualifiers[1].kind, Qualifier::Kind::within);
  EXPECT_EQ(right.qualifiers[1].seconds, 60);
  EXPECT_EQ(right.qualifiers[2].start_ms, 1577836800000);
  EXPECT_EQ(right.qualifiers[2].stop_ms, 1577923200500);

  Pattern q = parse_ok("[a:b[*].c[3] NOT MATCHES 'x' AND a:d = h'0A' AND a:e = b'AA==' AND a:f = -2.5]");
  const auto& ops = q.root.comparisons.operands;
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_TRUE(ops[0].comparison.negated);
  EXPECT_EQ(ops[0].comparison.op, CompareOp::matches);
  ASSERT_EQ(ops[0].comparison.path.steps.size(), 4u);
  EXPECT_EQ(ops[0].comparison.path.steps[1].kind, PathStep::Kind::any_index);
  EXPECT_EQ(ops[0].comparison.path.steps[3].index, 3);
  EXPECT_EQ(ops[0].comparison.path.text(), "a:b[*].c[3]");
  EXPECT_EQ(ops[1].comparison.value.kind, PatternConstant::Kind::hex);
  EXPECT_EQ(ops[2].comparison.value.kind, PatternConstant::Kind::binary);
  EXPECT_EQ(ops[3].comparison.value.kind, PatternConstant::Kind::floating);
  EXPECT_DOUBLE_EQ(ops[3].comparison.value.floating, -2.5);
}

TEST(StixPattern, ErrorsNameTheOffset) {
  struct Case {
    const char* text;
    Errc code;
    const char* needle;  // part of the message: what and where
  };
  const Case cases[] = {
      {"", Errc::malformed, "empty"},
      {"   ", Errc::malformed, "empty"},
      {"[ipv4-addr:value = '1.2.3.4'", Errc::malformed, "byte 28: expected ']'"},
      {"ipv4-addr:value = '1.2.3.4']", Errc::malformed, "byte 0: expected '['"},
      {"[ipv4-addr:value = '1.2.3.4']]", Errc::malformed, "byte 29: unexpected"},
      {"([ipv4-addr:value = '1.2.3.4']", Errc::malformed, "expected ')'"},
      {"[ipv4-addr:value ~ '1.2.3.4']", Errc::malformed, "byte 17: unknown operator"},
      {"[ipv4-addr:value CONTAINS '1.2.3.4']", Errc::malformed, "unknown operator 'CONTAINS'"},
      {"[ipv4-addr:value = 'a\\nb']", Errc::malformed, "byte 21: bad escape '\\n'"},
      {"[ipv4-addr:value = 'abc]", Errc::malformed, "unterminated string"},
      {"[ipv4-addrvalue = '1']", Errc::malformed, "missing ':'"},
      {"[file:hashes. = '1']", Errc::malformed, "property name"},
      {"[a:b = t'2020-13-01T00:00:00Z']", Errc::malformed, "bad timestamp"},
      {"[a:b = t'2020-01-01 00:00:00']", Errc::malformed, "bad timestamp"},
      {"[a:b = h'abc']", Errc::malformed, "bad hex"},
      {"[a:b = b'A$==']", Errc::malformed, "bad base64"},
      {"[a:b = ]", Errc::malformed, "expected a value"},
      {"[a:b IN 'x']", Errc::malformed, "expected '('"},
      {"[a:b IN ('x' 'y')]", Errc::malformed, "expected ',' or ')'"},
      {"[a:b LIKE 5]", Errc::malformed, "LIKE needs a string"},
      {"[a:b > true]", Errc::malformed, "orderable"},
      {"[a:b = 1] WITHIN 0 SECONDS", Errc::malformed, "positive"},
      {"[a:b = 1] WITHIN 5", Errc::malformed, "expected SECONDS"},
      {"[a:b = 1] REPEATS 1.5 TIMES", Errc::malformed, "positive integer"},
      {"[a:b = 1] START t'2020-01-02T00:00:00Z' STOP t'2020-01-01T00:00:00Z'", Errc::malformed, "later"},
      {"[a:b = 99999999999999999999]", Errc::malformed, "out of range"},
      {"[a:b[x] = 1]", Errc::malformed, "list index"},
      {"[a:b = 1] AND", Errc::malformed, "expected '['"},
      {"[a:b = 1 AND]", Errc::malformed, "object path"},
  };
  for (const auto& c : cases) {
    Error e = parse_err(c.text);
    EXPECT_EQ(e.code, c.code) << c.text;
    EXPECT_NE(e.message.find(c.needle), std::string::npos) << c.text << " -> " << e.message;
  }
}

TEST(StixPattern, LimitsOnSizeAndDepth) {
  std::string deep = std::string(64, '(') + "[a:b = 1]" + std::string(64, ')');
  EXPECT_FALSE(parse_pattern(deep).ok());  // 64 parentheses + 1 bracket
  EXPECT_EQ(parse_pattern(deep).error().code, Errc::limit);
  std::string ok = std::string(63, '(') + "[a:b = 1]" + std::string(63, ')');
  parse_ok(ok);
  std::string inner = "[" + std::string(70, '(') + "a:b = 1" + std::string(70, ')') + "]";
  EXPECT_EQ(parse_pattern(inner).error().code, Errc::limit);
  std::string big = "[a:b = '" + std::string(kMaxPatternBytes, 'x') + "']";
  EXPECT_EQ(parse_pattern(big).error().code, Errc::limit);
  // A long flat chain is not nesting: fine.
  std::string flat = "[a:b = 1]";
  for (int i = 0; i < 2000; ++i) flat += " AND [a:b = 1]";
  EXPECT_EQ(parse_ok(flat).root.operands.size(), 2001u);
}

TEST(StixPattern, DnfOfOrAndIn) {
  EXPECT_EQ(terms("[ipv4-addr:value = '198.51.100.1']"), (Dnf{{ip("198.51.100.1")}}));
  EXPECT_EQ(terms("[domain-name:value = 'Evil.Example.' OR ipv4-addr:value = '10.0.0.0/8']"),
            (Dnf{{ip("10.0.0.0/8")}, {dom("evil.example")}}));
  EXPECT_EQ(terms("[ipv4-addr:value IN ('1.1.1.1', '2.2.2.2', '1.1.1.1')]"), (Dnf{{ip("1.1.1.1")}, {ip("2.2.2.2")}}));
  // AND between observations (and FOLLOWEDBY) conjoins: the cross product.
  EXPECT_EQ(terms("([ipv4-addr:value = '1.1.1.1'] OR [ipv4-addr:value = '2.2.2.2']) FOLLOWEDBY "
                  "[domain-name:value = 'a.example'] WITHIN 5 SECONDS"),
            (Dnf{{ip("1.1.1.1"), dom("a.example")}, {ip("2.2.2.2"), dom("a.example")}}));
  EXPECT_EQ(terms("[file:hashes.sha256 = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' AND "
                  "file:hashes.'sha-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709' AND file:hashes.md5 = "
                  "'d41d8cd98f00b204e9800998ecf8427e' AND file:name = 'C:\\\\x\\\\Evil.exe']"),
            (Dnf{{{ValueType::md5, "d41d8cd98f00b204e9800998ecf8427e"},
                  {ValueType::sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
                  {ValueType::sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                  {ValueType::file_name, "evil.exe"}}}));
  EXPECT_EQ(terms("[url:value = 'HTTP://Evil.Example:80/a' AND email-addr:value = 'X@Evil.Example']"),
            (Dnf{{{ValueType::url, "http://evil.example/a"}, {ValueType::email, "x@evil.example"}}}));
  EXPECT_EQ(terms("[network-traffic:dst_ref.value = '203.0.113.33' AND network-traffic:src_ref.value = 'c2.example']"),
            (Dnf{{ip("203.0.113.33"), dom("c2.example")}}));
  EXPECT_EQ(terms("[ipv6-addr:value = '2001:db8::1']"), (Dnf{{ip("2001:db8::1")}}));
}

TEST(StixPattern, DnfDropsWhatTheIndexCannotSee) {
  // Non-indexable comparison inside a conjunction: dropped (a broader match).
  EXPECT_EQ(terms("[domain-name:value = 'a.example' AND domain-name:resolves_to_refs[*].value = '1.2.3.4']"),
            (Dnf{{dom("a.example")}}));
  // A disjunct with nothing indexable: dropped.
  EXPECT_EQ(terms("[domain-name:value = 'a.example' OR file:size > 5]"), (Dnf{{dom("a.example")}}));
  EXPECT_EQ(terms("[file:name MATCHES '^x' OR ipv4-addr:value != '1.2.3.4' OR ipv4-addr:value NOT = '1.2.3.4']"),
            Dnf{});
  EXPECT_EQ(terms("[process:name = 'x'] AND [ipv4-addr:value = 5]"), Dnf{});
  EXPECT_EQ(terms("[ipv4-addr:value IN ()]"), Dnf{});
  EXPECT_EQ(terms("[file:hashes.'SHA-512' = 'ab']"), Dnf{});  // a hash we do not index
}

TEST(StixPattern, BadValuesAreErrorsOrReported) {
  auto p = parse_pattern("[domain-name:value = 'domain autuo.xicp.net' OR ipv4-addr:value = '60.10.1.115']");
  ASSERT_TRUE(p.ok());
  auto strict = indexable_terms(*p);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error().code, Errc::malformed);
  EXPECT_NE(strict.error().message.find("domain autuo.xicp.net"), std::string::npos);
  std::vector<std::string> rejected;
  auto lenient = indexable_terms(*p, &rejected);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(*lenient, (Dnf{{ip("60.10.1.115")}}));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].find("domain-name:value"), std::string::npos);
  auto md5 = parse_pattern("[file:hashes.MD5 = 'xyz']");
  ASSERT_TRUE(md5.ok());
  EXPECT_EQ(indexable_terms(*md5).error().code, Errc::malformed);
}

TEST(StixPattern, DnfIsCapped) {
  // 13 observations of 2 alternatives each: 8192 conjunctions.
  std::string p;
  for (int i = 0; i < 13; ++i) {
    if (i) p += " AND ";
    p += "[ipv4-addr:value IN ('10.0." + std::to_string(i) + ".1', '10.0." + std::to_string(i) + ".2')]";
  }
  auto parsed = parse_pattern(p);
  ASSERT_TRUE(parsed.ok());
  auto t = indexable_terms(*parsed);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, Errc::limit);
  // 12 of them: 4096, allowed.
  std::string q = p.substr(0, p.rfind(" AND "));
  auto t12 = indexable_terms(*parse_pattern(q));
  ASSERT_TRUE(t12.ok());
  EXPECT_EQ(t12->size(), 4096u);
  EXPECT_EQ((*t12)[0].size(), 12u);
}

TEST(StixPattern, PatternForRoundTrips) {
  const Observable cases[] = {
      {ValueType::ip, "198.51.100.7"},
      {ValueType::ip, "2001:db8::/32"},
      {ValueType::domain, "evil.example"},
      {ValueType::url, "http://evil.example/it's\\here"},
      {ValueType::email, "o'brien@evil.example"},
      {ValueType::md5, "d41d8cd98f00b204e9800998ecf8427e"},
      {ValueType::sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {ValueType::sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {ValueType::ja3, "e7eca2baf4458d095b7f45da28c16c34"},
      {ValueType::file_name, "invoice.exe"},
  };
  for (const auto& o : cases) {
    auto n = normalise(o.type, o.value);
    ASSERT_TRUE(n) << o.value;
    Observable want{o.type, *n};
    std::string text = pattern_for(want);
    EXPECT_EQ(terms(text), (Dnf{{want}})) << text;
  }
  EXPECT_EQ(pattern_for({ValueType::sha256, "ab"}), "[file:hashes.'SHA-256' = 'ab']");
  EXPECT_EQ(pattern_for({ValueType::url, "http://x.example/a'b"}), "[url:value = 'http://x.example/a\\'b']");
}

TEST(StixPattern, Timestamps) {
  EXPECT_EQ(parse_stix_timestamp("2016-04-06T20:03:48.000Z"), 1459973028000);
  EXPECT_EQ(parse_stix_timestamp("2016-04-06T20:03:48.1239Z"), 1459973028123);
  EXPECT_EQ(parse_stix_timestamp("2016-04-06T22:03:48+02:00"), 1459973028000);
  EXPECT_EQ(parse_stix_timestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_FALSE(parse_stix_timestamp("2016-04-06"));
  EXPECT_FALSE(parse_stix_timestamp("2016-04-06T20:03:48"));
  EXPECT_FALSE(parse_stix_timestamp("2015-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_stix_timestamp("2016-04-06T20:03:48.Z"));
  EXPECT_FALSE(parse_stix_timestamp("2016-04-06T24:00:00Z"));
  EXPECT_EQ(format_stix_timestamp(1459973028123), "2016-04-06T20:03:48.123Z");
  EXPECT_EQ(format_stix_timestamp(0), "1970-01-01T00:00:00.000Z");
  for (int64_t ms : {int64_t{951782400000}, int64_t{-86400001}, int64_t{253402300799999}})
    EXPECT_EQ(parse_stix_timestamp(format_stix_timestamp(ms)), ms) << ms;
}

}  // namespace
}  // namespace lachan::intel
