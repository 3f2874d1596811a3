// Plain feeds: definitions from TOML, CSV / line-list / JSON-lines parsing, and every bundled
// definition (config/feeds/) against the provider's real sample in shared/data/intel/feeds/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "intel/feed.h"
#include "intel/stix_pattern.h"

namespace lachan::intel {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

FeedDefinition def_of(std::string_view toml) {
  auto d = parse_feed_definition(toml, "test.toml");
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
  return d.ok() ? d.value() : FeedDefinition{};
}

ImportBatch parsed(std::string_view toml, std::string_view body) {
  auto b = parse_feed(def_of(toml), body, kNow);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
  return b.ok() ? std::move(b.value()) : ImportBatch{};
}

std::vector<std::string> values(const ImportBatch& b) {
  std::vector<std::string> out;
  for (const auto& i : b.indicators) out.push_back(i.any_of.at(0).at(0).value);
  return out;
}

TEST(FeedDefinition, ParsesEveryKey) {
  auto bad = parse_feed_definition("name = \"x\"\nurl = \"https://e.org/\"\ntype_separator_unused = 1\n", "f.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_config);
  EXPECT_NE(bad.error().message.find("f.toml"), std::string::npos);
  EXPECT_NE(bad.error().message.find("type_separator_unused"), std::string::npos);

  auto ok = parse_feed_definition(R"(
name = "cert.feed_1"
url = "https://example.org/feed.csv"
format = "csv"
delimiter = "\t"
header = true
skip_lines = 1
comment = ";"
type = "auto"
time_format = "unix"
tlp = "green"
confidence = 55
tags = ["a", "b"]
source = "Example"
schedule = "1h30m"
expire_after = "7d"
max_bytes = 1000
max_invalid_ratio = 0.5
enabled = false
[columns]
value = "indicator"
tags = "kind"
first_seen = 3
)", "f.toml");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->name, "cert.feed_1");
  EXPECT_EQ(ok->format, FeedFormat::csv);
  EXPECT_EQ(ok->delimiter, '\t');
  EXPECT_TRUE(ok->header);
  EXPECT_EQ(ok->skip_lines, 1u);
  EXPECT_EQ(ok->comment_prefixes, std::vector<std::string>{";"});
  EXPECT_FALSE(ok->type);
  EXPECT_EQ(ok->time_format, TimeFormat::unix_s);
  EXPECT_EQ(ok->tlp, Tlp::green);
  EXPECT_EQ(ok->confidence, 55);
  EXPECT_EQ(ok->schedule_ms, 5'400'000);
  EXPECT_EQ(ok->expire_after_ms, 7 * 86'400'000LL);
  EXPECT_EQ(ok->max_bytes, 1000u);
  EXPECT_DOUBLE_EQ(ok->max_invalid_ratio, 0.5);
  EXPECT_FALSE(ok->enabled);
  EXPECT_EQ(ok->value, (FeedColumn{-1, "indicator"}));
  EXPECT_EQ(ok->tags_column, (FeedColumn{-1, "kind"}));
  EXPECT_EQ(ok->first_seen_column, (FeedColumn{3, ""}));
}

TEST(FeedDefinition, ErrorsNameTheKey) {
  struct Case {
    const char* toml;
    const char* key;
  } cases[] = {
      {"url = \"https://e.org/\"", "name"},
      {"name = \"bad name\"\nurl = \"https://e.org/\"", "name"},
      {"name = \"x\"", "url"},
      {"name = \"x\"\nurl = \"ftp://e.org/\"", "url"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nfile = \"a\"", "url"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nformat = \"xml\"", "format"},
      {"name = \"x\"\nurl = \"https://e.org/\"\ndelimiter = \"ab\"", "delimiter"},
      {"name = \"x\"\nurl = \"https://e.org/\"\ntype = \"sha512\"", "type"},
      {"name = \"x\"\nurl = \"https://e.org/\"\ntlp = \"purple\"", "tlp"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nconfidence = 101", "confidence"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nschedule = \"soon\"", "schedule"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nmax_invalid_ratio = 2.0", "max_invalid_ratio"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nformat = \"csv\"\n[columns]\nvalue = \"ip\"", "columns.value"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nformat = \"csv\"\n[columns]\nwhatever = 1", "columns.whatever"},
      {"name = \"x\"\nurl = \"https://e.org/\"\n[columns]\nvalue = 2", "columns"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nformat = \"csv\"\n[columns]\ntype = 1", "types"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nformat = \"csv\"\n[columns]\ntype = 1\n[types]\nIP = \"ipv4\"", "types.IP"},
      {"name = \"x\"\nurl = [1]", "url"},
      {"name = \"x\"\nurl = \"https://e.org/\"\nheader = \"yes\"", "header"},
  };
  for (const auto& c : cases) {
    auto r = parse_feed_definition(c.toml, "feeds/x.toml");
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_EQ(r.error().code, Errc::invalid_config) << c.toml;
    EXPECT_NE(r.error().message.find("feeds/x.toml"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(std::string("'") + c.key + "'"), std::string::npos) << r.error().message;
  }
  auto syntax = parse_feed_definition("name = \"x\nurl=", "feeds/x.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, Errc::invalid_config);
  EXPECT_NE(syntax.error().message.find("feeds/x.toml:1"), std::string::npos) << syntax.error().message;
}

TEST(FeedHelpers, DurationsTimesPatternsTypes) {
  EXPECT_EQ(parse_duration_ms("15m"), 900'000);
  EXPECT_EQ(parse_duration_ms("1d"), 86'400'000);
  EXPECT_EQ(parse_duration_ms("1h30m"), 5'400'000);
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_FALSE(parse_duration_ms("1"));
  EXPECT_FALSE(parse_duration_ms("h"));
  EXPECT_FALSE(parse_duration_ms("1y"));

  EXPECT_EQ(parse_time_ms("1970-01-02", TimeFormat::rfc3339), 86'400'000);
  EXPECT_EQ(parse_time_ms("2016-11-12 18:02", TimeFormat::rfc3339), 1478973720000);
  EXPECT_EQ(parse_time_ms("2016-11-12 18:02:05", TimeFormat::rfc3339), 1478973725000);
  EXPECT_EQ(parse_time_ms("2016-11-12T18:02:05.250Z", TimeFormat::rfc3339), 1478973725250);
  EXPECT_EQ(parse_time_ms("2016-11-12T20:02:05+02:00", TimeFormat::rfc3339), 1478973725000);
  EXPECT_EQ(parse_time_ms("2016-11-12 18:02:05 UTC", TimeFormat::rfc3339), 1478973725000);
  EXPECT_EQ(parse_time_ms("1478973725", TimeFormat::unix_s), 1478973725000);
  EXPECT_EQ(parse_time_ms("1478973725000", TimeFormat::unix_ms), 1478973725000);
  EXPECT_FALSE(parse_time_ms("2016-13-12", TimeFormat::rfc3339));
  EXPECT_FALSE(parse_time_ms("12/11/2016", TimeFormat::rfc3339));
  EXPECT_FALSE(parse_time_ms("2016-11-12 18", TimeFormat::rfc3339));
  EXPECT_FALSE(parse_time_ms("-5", TimeFormat::unix_s));
  EXPECT_FALSE(parse_time_ms("2016-11-12T18:02:05+2", TimeFormat::rfc3339));

  EXPECT_EQ(pattern_for({ValueType::ip, "1.2.3.4"}), "[ipv4-addr:value = '1.2.3.4']");
  EXPECT_EQ(pattern_for({ValueType::ip, "2001:db8::/32"}), "[ipv6-addr:value = '2001:db8::/32']");
  EXPECT_EQ(pattern_for({ValueType::url, "http://e.example/a'b\\c"}), "[url:value = 'http://e.example/a\\'b\\\\c']");
  EXPECT_EQ(pattern_for({ValueType::sha256, "ab"}), "[file:hashes.'SHA-256' = 'ab']");
  EXPECT_EQ(pattern_for({ValueType::md5, "ab"}), "[file:hashes.MD5 = 'ab']");
  EXPECT_EQ(pattern_for({ValueType::email, "a@b.example"}), "[email-addr:value = 'a@b.example']");
  EXPECT_EQ(pattern_for({ValueType::file_name, "x.exe"}), "[file:name = 'x.exe']");

  EXPECT_EQ(detect_value_type("198.51.100.0/24"), ValueType::ip);
  EXPECT_EQ(detect_value_type("2001:db8::1"), ValueType::ip);
  EXPECT_EQ(detect_value_type("https://e.example/x"), ValueType::url);
  EXPECT_EQ(detect_value_type("a@e.example"), ValueType::email);
  EXPECT_EQ(detect_value_type("d41d8cd98f00b204e9800998ecf8427e"), ValueType::md5);
  EXPECT_EQ(detect_value_type(std::string(40, 'a')), ValueType::sha1);
  EXPECT_EQ(detect_value_type(std::string(64, 'F')), ValueType::sha256);
  EXPECT_EQ(detect_value_type("evil.example"), ValueType::domain);
  EXPECT_EQ(detect_value_type("evil.example/path"), ValueType::url);
}

constexpr std::string_view kCsv = R"(name = "t"
url = "https://e.org/"
format = "csv"
header = true
type = "auto"
tlp = "green"
confidence = 40
tags = ["fixed"]
expire_after = "1d"
[columns]
value = "Indicator"
tags = "Tags"
description = "Note"
first_seen = "First"
last_seen = "Last"
)";

TEST(ParseFeed, CsvWithQuotesHeaderCommentsAndDedup) {
  auto b = parsed(kCsv,
                  "\xEF\xBB\xBF# leading comment\r\n"
                  "Indicator,Tags,Note,First,Last\r\n"
                  "\r\n"
                  "198.51.100.7,\"scan,ssh\",\"a \"\"quoted\"\" note\",2024-01-01 00:00:00,2024-01-02 00:00:00\r\n"
                  "  ; not a comment prefix here, so a value that is no indicator\r\n"
                  "hxxps://Evil[.]Example/Path,phish,\"two\nlines\",,\r\n"
                  "198.51.100.7,\"ssh,brute\",,2023-12-31T00:00:00Z,2024-01-03 00:00:00\r\n"
                  "D41D8CD98F00B204E9800998ECF8427E,,,,\r\n"
                  "a@Evil.Example,,,,\r\n"
                  "2001:DB8::/32,,,,\r\n"
                  "evil.example,,,,\r\n"
                  "ok.example,,,,\r\n"
                  "fine.example,,,,\r\n"
                  "good.example,,,,\r\n"
                  "   # indented comment\r\n");
  ASSERT_EQ(values(b), (std::vector<std::string>{"198.51.100.7", "https://evil.example/Path",
                                                  "d41d8cd98f00b204e9800998ecf8427e", "a@evil.example",
                                                  "2001:DB8::/32", "evil.example", "ok.example", "fine.example",
                                                  "good.example"}));
  const Indicator& ip = b.indicators[0];
  EXPECT_EQ(ip.ref, "feed--t--ip--198.51.100.7");
  EXPECT_EQ(ip.pattern, "[ipv4-addr:value = '198.51.100.7']");
  EXPECT_EQ(ip.tags, (std::vector<std::string>{"fixed", "scan", "ssh", "brute"}));
  EXPECT_EQ(ip.description, "a \"quoted\" note");
  EXPECT_EQ(ip.source, "t");
  EXPECT_EQ(ip.source_ref, "https://e.org/");
  EXPECT_EQ(ip.tlp, Tlp::green);
  EXPECT_EQ(ip.confidence, 40);
  EXPECT_EQ(ip.valid_from_ms, *parse_time_ms("2023-12-31", TimeFormat::rfc3339));  // the earliest first seen
  EXPECT_EQ(ip.valid_until_ms, *parse_time_ms("2024-01-04", TimeFormat::rfc3339));  // latest last seen + 1d
  EXPECT_EQ(ip.modified_ms, kNow);
  const Indicator& url = b.indicators[1];
  EXPECT_EQ(url.description, "two\nlines");
  EXPECT_EQ(url.valid_from_ms, kNow);
  EXPECT_EQ(url.valid_until_ms, kNow + 86'400'000);
  EXPECT_EQ(url.pattern, "[url:value = 'https://evil.example/Path']");
  EXPECT_EQ(b.indicators[2].pattern, "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']");
  EXPECT_EQ(b.indicators[4].pattern, "[ipv6-addr:value = '2001:DB8::/32']");
  // The ';' line is data, not a comment: one invalid record of 11 (9 %, under the default 10 %).
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_EQ(b.notes[0].substr(0, 7), "line 5:");
}

TEST(ParseFeed, TooManyInvalidRecordsFailTheWholeFeed) {
  auto d = def_of("name = \"t\"\nurl = \"https://e.org/\"\ntype = \"ip\"\n");
  auto r = parse_feed(d, "198.51.100.1\nnot-an-ip\n198.51.100.2\n", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  d.max_invalid_ratio = 0.5;
  auto ok = parse_feed(d, "198.51.100.1\nnot-an-ip\n198.51.100.2\n", kNow);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->indicators.size(), 2u);
  EXPECT_EQ(ok->notes, std::vector<std::string>{"line 2: 'not-an-ip' is not a valid ip"});
}

TEST(ParseFeed, NotesAreCappedWithACount) {
  auto d = def_of("name = \"t\"\nurl = \"https://e.org/\"\ntype = \"domain\"\nmax_invalid_ratio = 1.0\n");
  std::string body;
  for (int i = 0; i < 25; ++i) body += "bad value\n";
  auto r = parse_feed(d, body, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->indicators.empty());
  ASSERT_EQ(r->notes.size(), 21u);
  EXPECT_EQ(r->notes[19].substr(0, 8), "line 20:");
  EXPECT_NE(r->notes[20].find("5 more"), std::string::npos);
}

TEST(ParseFeed, OversizeAndEmptyBodies) {
  auto d = def_of("name = \"t\"\nurl = \"https://e.org/\"\ntype = \"ip\"\nmax_bytes = 10\n");
  auto big = parse_feed(d, "198.51.100.1\n", kNow);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::limit);
  d.max_bytes = 1000;
  for (std::string_view empty : {"", "# only comments\n\n", "\n\n\n"}) {
    auto r = parse_feed(d, empty, kNow);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->indicators.empty());
  }
  auto hd = def_of("name = \"t\"\nurl = \"https://e.org/\"\nformat = \"csv\"\nheader = true\n[columns]\nvalue = \"ip\"\n");
  auto no_header = parse_feed(hd, "# nothing\n", kNow);
  ASSERT_TRUE(no_header.ok());
  auto missing = parse_feed(hd, "address,kind\n198.51.100.1,x\n", kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::malformed);
  EXPECT_NE(missing.error().message.find("'ip'"), std::string::npos);
}

TEST(ParseFeed, TypeColumnMapsFeedTypesAndSkipsOthers) {
  auto b = parsed(R"(name = "t"
url = "https://e.org/"
format = "csv"
[columns]
type = 0
value = 1
[types]
IPv4 = "ip"
FQDN = "domain"
"SHA-256" = "sha256"
)",
                  "ipv4,198.51.100.9\nfqdn,evil.example\nasn,AS64496\nsha-256," + std::string(64, 'a') + "\n");
  EXPECT_EQ(values(b), (std::vector<std::string>{"198.51.100.9", "evil.example", std::string(64, 'a')}));
  EXPECT_EQ(b.indicators[2].any_of[0][0].type, ValueType::sha256);
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("'asn' is not mapped"), std::string::npos);
}

TEST(ParseFeed, ValuePreprocessing) {
  // Spamhaus DROP: the value before " ;", ';' comments.
  auto drop = parsed("name = \"drop\"\nurl = \"https://e.org/\"\ncomment = \";\"\nvalue_before = \";\"\ntype = \"ip\"\n",
                     "; header\n192.0.2.0/24 ; SBL1\n2001:db8::/32 ; SBL2\n");
  EXPECT_EQ(values(drop), (std::vector<std::string>{"192.0.2.0/24", "2001:db8::/32"}));
  // DShield: start address + prefix column.
  auto dshield = parsed(
      "name = \"ds\"\nurl = \"https://e.org/\"\nformat = \"csv\"\ndelimiter = \"\\t\"\nheader = true\ntype = \"ip\"\n"
      "[columns]\nvalue = \"Start\"\nprefix = \"Netblock\"\n",
      "Start\tEnd\tNetblock\n192.0.2.0\t192.0.2.255\t24\n");
  EXPECT_EQ(values(dshield), std::vector<std::string>{"192.0.2.0/24"});
  // Scheme-less URLs get the default scheme.
  auto mp = parsed("name = \"mp\"\nurl = \"https://e.org/\"\ntype = \"url\"\ndefault_scheme = \"http\"\n",
                   "example.com/malware/\nhttps://x.example/\n");
  EXPECT_EQ(values(mp), (std::vector<std::string>{"http://example.com/malware/", "https://x.example/"}));
  // Defanged values, unless defang = false.
  auto fanged = parsed("name = \"f\"\nurl = \"https://e.org/\"\n", "hxxp://evil[.]example/a\nphish[@]evil(.)example\n");
  EXPECT_EQ(values(fanged), (std::vector<std::string>{"http://evil.example/a", "phish@evil.example"}));
  auto raw = parse_feed(def_of("name = \"f\"\nurl = \"https://e.org/\"\ndefang = false\n"), "hxxp://evil[.]example/a\n", kNow);
  EXPECT_FALSE(raw.ok());
  // Blank-separated columns.
  auto ws = parsed("name = \"w\"\nurl = \"https://e.org/\"\nformat = \"csv\"\ndelimiter = \"whitespace\"\ntype = \"url\"\n"
                   "[columns]\nvalue = 2\n",
                   "/  a.example\t http://a.example/u   b.example  \n");
  EXPECT_EQ(values(ws), std::vector<std::string>{"http://a.example/u"});
}

TEST(ParseFeed, PerRecordConfidenceTlpAndTimes) {
  auto d = def_of(R"(name = "t"
url = "https://e.org/"
format = "csv"
type = "ip"
time_format = "unix"
tlp = "clear"
[columns]
value = 0
confidence = 1
tlp = 2
last_seen = 3
)");
  d.max_invalid_ratio = 1.0;
  auto r = parse_feed(d, "192.0.2.1,80,amber,1441008970\n192.0.2.2,,,\n192.0.2.3,200,,\n192.0.2.4,,purple,\n192.0.2.5,,,x\n", kNow);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(values(*r), (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(r->indicators[0].confidence, 80);
  EXPECT_EQ(r->indicators[0].tlp, Tlp::amber);
  EXPECT_EQ(r->indicators[1].confidence, -1);
  EXPECT_EQ(r->indicators[1].tlp, Tlp::clear);
  EXPECT_EQ(r->indicators[0].valid_until_ms, 0);  // no expire_after: open-ended
  EXPECT_EQ(r->notes.size(), 3u);
}

TEST(ParseFeed, JsonLines) {
  auto b = parsed(R"(name = "j"
url = "https://e.org/"
format = "json-lines"
type = "auto"
[columns]
value = "indicator"
tags = "labels"
first_seen = "seen"
)",
                  "{\"indicator\": \"198.51.100.3\", \"labels\": [\"c2\", \"x\"], \"seen\": \"2024-01-01\"}\n"
                  "{\"indicator\": \"evil.example\"}\n");
  EXPECT_EQ(values(b), (std::vector<std::string>{"198.51.100.3", "evil.example"}));
  EXPECT_EQ(b.indicators[0].tags, (std::vector<std::string>{"c2", "x"}));
  EXPECT_EQ(b.indicators[0].valid_from_ms, *parse_time_ms("2024-01-01", TimeFormat::rfc3339));
  auto bad = parse_feed(def_of("name = \"j\"\nurl = \"https://e.org/\"\nformat = \"json-lines\"\n[columns]\nvalue = \"v\"\n"),
                        "{\"v\": \"evil.example\"}\n[1,2]\n", kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::malformed);
}

TEST(ParseFeed, UnclosedQuoteIsAnInvalidRecord) {
  auto d = def_of("name = \"t\"\nurl = \"https://e.org/\"\nformat = \"csv\"\ntype = \"domain\"\n");
  auto r = parse_feed(d, "evil.example\n\"open.example\nmore\n", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::malformed);
}

// ---- Bundled definitions against the providers' real samples --------------------------------------

struct Bundled {
  const char* name;         // definition name (config/feeds/<name>.toml)
  const char* sample;       // under shared/data/intel/feeds/
  size_t count;             // indicators, counted independently with grep/awk
  ValueType type;           // of every indicator
  const char* spot;         // one normalised value that must be there
};

// Counts: unique non-empty values of the data lines, by grep -v '^#' | awk | sort -u (sshclient has a
// third, truncated line with an empty address field: skipped with a note, not counted).
const Bundled kBundled[] = {
    {"bambenek-c2-domain", "bambenek/c2-dommasterlist.txt", 1, ValueType::domain, "sfkh21okrrnlu.com"},
    {"bambenek-c2-ip", "bambenek/c2-ipmasterlist.txt", 1, ValueType::ip, "213.247.47.190"},
    {"bambenek-dga", "bambenek/dga-feed.txt", 1, ValueType::domain, "xqmclnusaswvof.com"},
    {"blocklistde-imap", "blocklistde/imap.txt", 6, ValueType::ip, "203.0.113.254"},
    {"dataplane-dnsrd", "dataplane/dnsrd.txt", 1, ValueType::ip, "185.142.236.35"},
    {"dataplane-dnsrdany", "dataplane/dnsrdany.txt", 1, ValueType::ip, "63.224.250.215"},
    {"dataplane-dnsversion", "dataplane/dnsversion.txt", 1, ValueType::ip, "185.142.236.35"},
    {"dataplane-proto41", "dataplane/proto41.txt", 1, ValueType::ip, "45.6.192.1"},
    {"dataplane-sipinvitation", "dataplane/sipinvitation.txt", 1, ValueType::ip, "74.208.149.231"},
    {"dataplane-sipquery", "dataplane/sipquery.txt", 1, ValueType::ip, "65.157.42.6"},
    {"dataplane-sipregistration", "dataplane/sipregistration.txt", 1, ValueType::ip, "74.208.152.208"},
    {"dataplane-smtpdata", "dataplane/smtpdata.txt", 1, ValueType::ip, "213.234.207.188"},
    {"dataplane-smtpgreet", "dataplane/smtpgreet.txt", 1, ValueType::ip, "185.142.236.34"},
    {"dataplane-sshclient", "dataplane/sshclient.txt", 2, ValueType::ip, "5.157.7.82"},
    {"dataplane-sshpwauth", "dataplane/sshpwauth.txt", 2, ValueType::ip, "117.21.224.121"},
    {"dataplane-telnetlogin", "dataplane/telnetlogin.txt", 1, ValueType::ip, "24.220.77.46"},
    {"dataplane-vncrfb", "dataplane/vncrfb.txt", 1, ValueType::ip, "128.31.0.13"},
    {"dshield-block", "dshield/block.txt", 2, ValueType::ip, "43.229.53.0/24"},
    {"dyn-ponmocup", "dyn/ponmocup-infected-domains-CIF-latest.txt", 2, ValueType::url, "http://36015.example.com/url"},
    {"malwarepatrol-dansguardian", "malwarepatrol/getfile", 2, ValueType::url, "http://example.com/malwarehere/"},
    {"netlab360-dga", "netlab_360/dga.txt", 2, ValueType::domain, "difficultdress.net"},
    {"netlab360-magnitude", "netlab_360/magnitude.txt", 1, ValueType::url,
     "http://3ebo08o4ct0f6n2336.insides.party/d97cc5cfab47e305536690a9987115ac"},
    {"openphish", "openphish/feed.txt", 2, ValueType::url, "http://www..example.invalid/phishing"},
    {"spamhaus-drop", "spamhaus/drop.txt", 2, ValueType::ip, "2a06:e480::/29"},
};

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(BundledFeeds, EveryDefinitionLoadsAndHasASample) {
  auto defs = load_feed_definitions(std::filesystem::path(LACHAN_SOURCE_DIR) / "config/feeds");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  ASSERT_EQ(defs->size(), std::size(kBundled));
  for (const auto& d : *defs) {
    auto it = std::find_if(std::begin(kBundled), std::end(kBundled), [&](const Bundled& b) { return d.name == b.name; });
    EXPECT_NE(it, std::end(kBundled)) << d.name << " has no sample in the table";
    EXPECT_TRUE(d.url.starts_with("https://") || d.url.starts_with("http://")) << d.name;
    EXPECT_GE(d.schedule_ms, 3'600'000) << d.name;
    EXPECT_GT(d.expire_after_ms, 0) << d.name;
  }
}

TEST(BundledFeeds, EverySampleParses) {
  const std::filesystem::path data = std::filesystem::path(LACHAN_SHARED_DATA) / "intel/feeds";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << data << " is missing";
  auto defs = load_feed_definitions(std::filesystem::path(LACHAN_SOURCE_DIR) / "config/feeds");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  for (const Bundled& b : kBundled) {
    SCOPED_TRACE(b.name);
    auto d = std::find_if(defs->begin(), defs->end(), [&](const FeedDefinition& x) { return x.name == b.name; });
    ASSERT_NE(d, defs->end());
    auto body = read_all(data / b.sample);
    ASSERT_FALSE(body.empty()) << b.sample;
    auto r = parse_feed(*d, body, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->indicators.size(), b.count);
    bool spotted = false;
    for (const auto& i : r->indicators) {
      ASSERT_EQ(i.any_of.size(), 1u);
      EXPECT_EQ(i.any_of[0][0].type, b.type) << i.ref;
      EXPECT_EQ(i.source, b.name);
      EXPECT_EQ(i.source_ref, d->url);
      EXPECT_GT(i.valid_until_ms, 0);
      spotted |= i.any_of[0][0].value == b.spot;
    }
    EXPECT_TRUE(spotted) << b.spot;
  }
}

}  // namespace
}  // namespace lachan::intel
