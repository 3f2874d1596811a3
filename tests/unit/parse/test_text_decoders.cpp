// auditd, web_access, cef, syslog: fields, escapes, malformed lines, log-source fields.
#include "parse_test_util.h"

namespace lachan::parse::test {
namespace {

TEST(AuditdDecoder, SyscallRecord) {
  auto r = decode_body("auditd",
                       "type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 "
                       "a0=7fffd19c5592 a1=0 ppid=2686 pid=3538 auid=500 uid=500 comm=\"cat\" exe=\"/bin/cat\" "
                       "key=\"sshd_config\"");
  ASSERT_EQ(r.events.size(), 1u) << r.errors[0].message;
  Fields f(r.events[0]);
  // linux.yml {product: linux, service: auditd} variant auditd-record: type and msg exist.
  EXPECT_EQ(f.get("type"), "SYSCALL");
  EXPECT_EQ(f.get("msg"), "audit(1364481363.243:24287)");
  EXPECT_EQ(f.get("serial"), "24287");
  EXPECT_EQ(f.get("timestamp"), "2013-03-28T14:36:03.243000Z");
  EXPECT_EQ(r.times[0], 1364481363243);
  EXPECT_EQ(f.get("syscall"), "2");
  EXPECT_EQ(f.get("a0"), "7fffd19c5592");  // SYSCALL arguments are numbers, not hex text
  EXPECT_EQ(f.get("comm"), "cat");
  EXPECT_EQ(f.get("key"), "sshd_config");
  EXPECT_EQ(f.get("exit"), "-13");
}

TEST(AuditdDecoder, HexEncodedExecveArgsAndProctitle) {
  auto r = decode_body("auditd",
                       "type=EXECVE msg=audit(1604994496.155:92733): argc=3 a0=\"sh\" a1=\"-c\" "
                       "a2=63686D6F64202B78202F746D702F78\n"
                       "type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61\n"
                       "type=PATH msg=audit(1604994496.155:92733): item=0 name=2F746D702F6120622E7368 nametype=CREATE\n");
  ASSERT_EQ(r.events.size(), 3u);
  Fields e(r.events[0]);
  EXPECT_EQ(e.get("a0"), "sh");
  EXPECT_EQ(e.get("a2"), "chmod +x /tmp/x");
  EXPECT_EQ(Fields(r.events[1]).get("proctitle"), "arp -a");
  EXPECT_EQ(Fields(r.events[2]).get("name"), "/tmp/a b.sh");
}

TEST(AuditdDecoder, UserMessageNodePrefixEnrichedAndDuplicates) {
  auto r = decode_body(
      "auditd",
      "node=web01 type=USER_AUTH msg=audit(1700000000.001:77): pid=1 uid=0 auid=4294967295 "
      "msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" addr=203.0.113.5 res=failed'"
      "\x1dUID=\"root\" AUID=\"unset\" pid=2");
  ASSERT_EQ(r.events.size(), 1u) << r.errors[0].message;
  Fields f(r.events[0]);
  EXPECT_EQ(f.get("node"), "web01");
  EXPECT_EQ(f.get("type"), "USER_AUTH");
  EXPECT_EQ(f.get("msg"), "audit(1700000000.001:77)");
  EXPECT_EQ(f.get("acct"), "root");
  EXPECT_EQ(f.get("res"), "failed");
  EXPECT_EQ(f.get("UID"), "root");
  EXPECT_EQ(f.all().at("pid").size(), 1u);  // the first pid wins, no duplicate key
  EXPECT_EQ(f.get("pid"), "1");
}

TEST(AuditdDecoder, MalformedLines) {
  auto r = decode_body("auditd",
                       "msg=audit(1.2:3): a=b\ntype=SYSCALL a=b\ntype=X msg=audit(abc:1): a=1\n"
                       "type=X msg=audit(17000000001.000:1): a=1\n");  // ns would overflow int64
  EXPECT_TRUE(r.events.empty());
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].message, "line 1: auditd record has no type=");
  EXPECT_EQ(r.errors[1].message, "line 2: auditd record has no msg=audit(...) stamp");
  EXPECT_EQ(r.errors[2].code, Errc::malformed);
}

TEST(AuditdDecoder, RealRecording) {
  auto path = shared_path("logs/linux/sh_arp_cache_2020-11-10074812.log");
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  auto r = decode_body("auditd", read_file(path));
  EXPECT_EQ(r.events.size(), 12u);
  EXPECT_TRUE(r.errors.empty()) << r.errors[0].message;
  bool arp = false;
  for (auto& e : r.events) {
    Fields f(e);
    if (f.get("type") == "EXECVE" && f.get("a0") == "arp") arp = f.get("a1") == "-a";
  }
  EXPECT_TRUE(arp);
}

TEST(WebAccessDecoder, CombinedLogFormat) {
  auto r = decode_body("web_access",
                       "203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] \"GET /cgi-bin/x.php?id=1%27+or+1=1 HTTP/1.1\" "
                       "200 2326 \"http://www.example.com/start.html\" \"Mozilla/5.0 (X11; \\\"q\\\")\"");
  ASSERT_EQ(r.events.size(), 1u) << r.errors[0].message;
  Fields f(r.events[0]);
  // network.yml {category: webserver} variant taxonomy-fields: cs-method exists.
  EXPECT_EQ(f.get("cs-method"), "GET");
  EXPECT_EQ(f.get("c-ip"), "203.0.113.9");
  EXPECT_EQ(f.get("cs-username"), "frank");
  EXPECT_EQ(f.get("cs-uri-stem"), "/cgi-bin/x.php");
  EXPECT_EQ(f.get("cs-uri-query"), "id=1%27+or+1=1");
  EXPECT_EQ(f.get("cs-version"), "HTTP/1.1");
  EXPECT_EQ(f.get("sc-status"), "200");
  EXPECT_EQ(f.get("sc-bytes"), "2326");
  EXPECT_EQ(f.get("cs-referer"), "http://www.example.com/start.html");
  EXPECT_EQ(f.get("cs-user-agent"), "Mozilla/5.0 (X11; \"q\")");
  EXPECT_EQ(f.get("timestamp"), "2000-10-10T20:55:36.000000Z");
  EXPECT_EQ(r.times[0], 971211336000);
}

TEST(WebAccessDecoder, CommonFormatProbesAndErrors) {
  auto r = decode_body("web_access",
                       "192.0.2.1 - - [01/Jan/2024:00:00:00 +0000] \"\\x16\\x03\\x01\" 400 -\n"
                       "192.0.2.1 - - [01/Jan/2024:00:00:00 +0000] \"GET /\" 200 0 \"-\" \"-\"\n"
                       "192.0.2.1 - - 01/Jan/2024 \"GET / HTTP/1.0\" 200 1\n"
                       "192.0.2.1 - - [01/Jan/2024:00:00:00 +0000] \"GET / HTTP/1.0\" OK 1\n"
                       "192.0.2.1 - - [32/Foo/2024:00:00:00 +0000] \"GET / HTTP/1.0\" 200 1\n");
  ASSERT_EQ(r.events.size(), 2u);
  Fields probe(r.events[0]);
  EXPECT_EQ(probe.get("cs-uri-stem"), "\\x16\\x03\\x01");
  EXPECT_FALSE(probe.has("cs-method"));
  EXPECT_FALSE(probe.has("cs-username"));
  EXPECT_FALSE(probe.has("sc-bytes"));
  Fields nover(r.events[1]);
  EXPECT_EQ(nover.get("cs-method"), "GET");
  EXPECT_EQ(nover.get("cs-uri-stem"), "/");
  EXPECT_FALSE(nover.has("cs-referer"));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.error_lines, (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_NE(r.errors[1].message.find("status"), std::string::npos);
}

TEST(CefDecoder, HeaderAndExtensionEscapesAndSpaces) {
  auto r = decode_body("cef",
                       "CEF:0|Security|threat\\|manager|1.0|100|worm successfully stopped|10|"
                       "src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a threat. No action needed\\=ok "
                       "cs1=C:\\\\Windows\\nnext cs1Label=Path rt=1712365323456");
  ASSERT_EQ(r.events.size(), 1u) << r.errors[0].message;
  Fields f(r.events[0]);
  EXPECT_EQ(f.get("cef.version"), "0");
  EXPECT_EQ(f.get("cef.device_vendor"), "Security");
  EXPECT_EQ(f.get("cef.device_product"), "threat|manager");
  EXPECT_EQ(f.get("cef.signature_id"), "100");
  EXPECT_EQ(f.get("cef.name"), "worm successfully stopped");
  EXPECT_EQ(f.get("cef.severity"), "10");
  EXPECT_EQ(f.get("cef.extensions.src"), "10.0.0.1");
  EXPECT_EQ(f.get("cef.extensions.msg"), "Detected a threat. No action needed=ok");
  EXPECT_EQ(f.get("cef.extensions.cs1"), "C:\\Windows\nnext");
  EXPECT_EQ(f.get("cef.extensions.cs1Label"), "Path");
  EXPECT_EQ(r.times[0], 1712365323456);
}

TEST(CefDecoder, SyslogHeaderAndErrors) {
  auto r = decode_body("cef",
                       "<134>Apr  6 01:02:03 fw01 CEF:0|Fortinet|FortiGate|7.2|0000000013|traffic|3|src=192.0.2.7 act=deny\n"
                       "CEF:0|a|b|c|d\n"
                       "just text\n"
                       "CEF:0|a|b|c|d|e|f|=novalue\n"
                       "CEF:0|a|b|c|d|e|f\n");
  ASSERT_EQ(r.events.size(), 2u);
  Fields f(r.events[0]);
  EXPECT_EQ(f.get("hostname"), "fw01");
  EXPECT_EQ(f.get("facility"), "16");
  EXPECT_EQ(f.get("cef.device_product"), "FortiGate");
  EXPECT_EQ(f.get("cef.extensions.act"), "deny");
  EXPECT_GT(r.times[0], 0);
  Fields bare(r.events[1]);
  EXPECT_EQ(bare.get("cef.severity"), "f");
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].message, "line 2: CEF header has 5 fields, expected 7");
  EXPECT_EQ(r.errors[1].message, "line 3: no CEF: header");
  EXPECT_NE(r.errors[2].message.find("CEF extension"), std::string::npos);
}

TEST(SyslogDecoder, Rfc3164AndCefInside) {
  auto r = decode_body("syslog",
                       "<38>Jan  5 10:00:00 host1 sshd[4242]: Failed password for root from 203.0.113.5 port 22 ssh2\n"
                       "<165>1 2024-04-06T01:02:03.5Z fw02 cef - - - CEF:0|V|P|1|sig|Name|5|src=198.51.100.1\n"
                       "<13>Jan  5 10:00:00 host1 app: CEF:not really\n"
                       "CEF:0|V|P|1|sig|Bare|5|act=x\n"
                       "CEF:broken\n");
  ASSERT_EQ(r.events.size(), 5u) << r.errors[0].message;
  EXPECT_TRUE(r.errors.empty());
  Fields f(r.events[0]);
  // linux.yml {product: linux, service: sshd}: app_name sshd; {product: linux}: hostname + message.
  EXPECT_EQ(f.get("app_name"), "sshd");
  EXPECT_EQ(f.get("procid"), "4242");
  EXPECT_EQ(f.get("hostname"), "host1");
  EXPECT_EQ(f.get("message"), "Failed password for root from 203.0.113.5 port 22 ssh2");
  EXPECT_GT(r.times[0], 0);
  Fields c(r.events[1]);
  EXPECT_EQ(c.get("hostname"), "fw02");
  EXPECT_EQ(c.get("cef.name"), "Name");
  EXPECT_EQ(c.get("cef.extensions.src"), "198.51.100.1");
  EXPECT_EQ(r.times[1], 1712365323500);
  Fields n(r.events[2]);
  EXPECT_EQ(n.get("message"), "CEF:not really");
  EXPECT_FALSE(n.has("cef.version"));
  Fields bare(r.events[3]);  // no syslog header: the line is the message, CEF decoded too
  EXPECT_EQ(bare.get("message"), "CEF:0|V|P|1|sig|Bare|5|act=x");
  EXPECT_EQ(bare.get("cef.extensions.act"), "x");
  EXPECT_EQ(Fields(r.events[4]).get("message"), "CEF:broken");  // kept as a plain message
}

TEST(SyslogDecoder, RealLinuxSyslog) {
  auto path = shared_path("logs/syslog/linux-2k.log");
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  auto r = decode_body("syslog", read_file(path));
  EXPECT_EQ(r.events.size(), 2000u);
  EXPECT_TRUE(r.errors.empty());
  size_t with_host = 0;
  for (auto& e : r.events) with_host += Fields(e).has("hostname");
  EXPECT_EQ(with_host, 2000u);
}

TEST(CertFeedDecoder, ShadowserverRowsAndVictimHints) {
  auto r = decode_body("cert_feed", read_file(data_path("shadowserver_scan.csv")));
  ASSERT_EQ(r.events.size(), 2u) << r.errors[0].message;
  EXPECT_TRUE(r.errors.empty());
  Fields a(r.events[0]);
  EXPECT_EQ(a.get("ip"), "203.0.113.10");
  EXPECT_EQ(a.get("port"), "3389");
  EXPECT_EQ(a.get("sector"), "Communications, Service Provider, and Hosting Service");
  EXPECT_FALSE(a.has("naics"));  // empty cells are left out
  EXPECT_EQ(r.times[0], 1712297228000);
  EXPECT_EQ(r.hints[0].ips, (std::vector<std::string>{"203.0.113.10"}));
  EXPECT_EQ(r.hints[0].domains, (std::vector<std::string>{"rdp1.example.vn"}));
  EXPECT_EQ(r.hints[0].asns, (std::vector<uint32_t>{64500}));
  Fields b(r.events[1]);
  EXPECT_EQ(b.get("tag"), "smb;\"eternal\"");
  EXPECT_EQ(r.hints[1].asns, (std::vector<uint32_t>{64501}));
  EXPECT_TRUE(r.hints[1].domains.empty());
}

TEST(CertFeedDecoder, BadRowsAndLimits) {
  Limits l;
  l.max_fields = 3;
  auto r = decode_body("cert_feed", "# comment\nip,asn,x\n1.2.3.4,AS1,y,extra\n5.6.7.8,,\n1,2,3,4,5\n", l);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], "{\"ip\":\"5.6.7.8\"}");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].code, Errc::limit);
  EXPECT_EQ(r.error_lines, (std::vector<uint64_t>{3, 5}));

  auto wide = decode_body("cert_feed", "ip\n1.2.3.4,5\n");
  ASSERT_EQ(wide.errors.size(), 1u);
  EXPECT_EQ(wide.errors[0].message, "line 2: row has 2 columns, the header 1");

  // Types other than cert_feed report no hints: the sender is the victim.
  auto j = decode_body("json", "{\"ip\":\"1.2.3.4\"}");
  ASSERT_EQ(j.hints.size(), 1u);
  EXPECT_TRUE(j.hints[0].empty());
}

}  // namespace
}  // namespace lachan::parse::test
