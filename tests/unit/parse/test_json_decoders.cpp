// json, windows, winlogbeat, suricata, zeek: validation, pass-through, the winlogbeat rewrite,
// and the fields the log-source mappings (config/logsources/*.yml) select on.
#include "parse_test_util.h"

namespace lachan::parse::test {
namespace {

TEST(JsonDecoder, PassesObjectsThroughAndReportsBadRecords) {
  auto r = decode_body("json", "{\"a\":1,\"@timestamp\":\"2024-04-06T01:02:03.5Z\"}\n[1]\n{bad\n\"str\"\n{\"b\":2}\n");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0], "{\"a\":1,\"@timestamp\":\"2024-04-06T01:02:03.5Z\"}");
  EXPECT_EQ(r.times[0], 1712365323500);
  EXPECT_EQ(r.times[1], 0);
  EXPECT_EQ(r.lines, (std::vector<uint64_t>{1, 5}));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].message, "line 2: expected a JSON object");
  EXPECT_EQ(r.errors[1].code, Errc::malformed);
  EXPECT_EQ(r.errors[1].message.rfind("line 3: invalid JSON", 0), 0u);
  EXPECT_EQ(r.error_lines, (std::vector<uint64_t>{2, 3, 4}));
}

TEST(JsonDecoder, TimesOutOfRangeAreNoTime) {
  auto r = decode_body("json", "{\"@timestamp\":\"9999-12-31T23:59:59Z\"}\n{\"ts\":1e300}\n{\"time\":\"2024-01-01\"}\n");
  ASSERT_EQ(r.times.size(), 3u);
  EXPECT_EQ(r.times[0], 0);
  EXPECT_EQ(r.times[1], 0);
  EXPECT_EQ(r.times[2], 1704067200000);
}

TEST(JsonDecoder, DepthLimitInNdjson) {
  Limits l;
  l.max_depth = 4;
  auto r = decode_body("json", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}\n{\"a\":{\"b\":1}}\n", l);
  EXPECT_EQ(r.events.size(), 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, Errc::limit);
  EXPECT_NE(r.errors[0].message.find("max_depth (4)"), std::string::npos);
}

TEST(JsonDecoder, ArrayElementsComeOutOnOneLine) {
  auto r = decode_body("json", "[\n {\n  \"a\": \"x y\",\n  \"b\": [1, 2]\n }\n]");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], "{\"a\":\"x y\",\"b\":[1,2]}");
}

TEST(WindowsDecoder, ValidatesTheEvtxShape) {
  std::string ev =
      R"({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,)"
      R"("TimeCreated":{"#attributes":{"SystemTime":"2019-04-27 15:57:25.868864"}},"Channel":"Microsoft-Windows-Sysmon/Operational"},)"
      R"("EventData":{"Image":"C:\\x.exe"}}})";
  auto r = decode_body("windows", ev + "\n{\"Event\":{\"EventData\":{}}}\n{\"System\":{}}\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], ev);
  EXPECT_EQ(r.times[0], 1556380645868);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].code, Errc::malformed);
  EXPECT_NE(r.errors[0].message.find("evtx_dump shape"), std::string::npos);
}

TEST(WindowsDecoder, RealEvtxSamples) {
  auto path = shared_path("logs/windows/evtx-attack-samples.jsonl");
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  std::string body = read_file(path);
  auto r = decode_body("windows", body);
  EXPECT_EQ(r.events.size(), 8255u);
  EXPECT_TRUE(r.errors.empty()) << r.errors[0].message;
  size_t timed = 0;
  for (auto t : r.times) timed += t > 0;
  EXPECT_EQ(timed, r.events.size());
}

TEST(WinlogbeatDecoder, SysmonProcessCreationBecomesEvtxShape) {
  auto r = decode_body("winlogbeat", read_file(data_path("winlogbeat_sysmon1.json")));
  ASSERT_EQ(r.events.size(), 1u) << (r.errors.empty() ? "" : r.errors[0].message);
  EXPECT_EQ(r.times[0], 1712365323456);
  Fields f(r.events[0]);
  // windows.yml {product: windows, category: process_creation} variant sysmon:
  // when {Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1}
  EXPECT_EQ(f.get("Channel"), "Microsoft-Windows-Sysmon/Operational");
  EXPECT_EQ(f.get("EventID"), "1");
  EXPECT_EQ(f.get("Event.System.EventID"), "1");  // a number, as in evtx
  EXPECT_EQ(f.get("Provider_Name"), "Microsoft-Windows-Sysmon");
  EXPECT_EQ(f.get("Provider_Guid"), "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}");
  EXPECT_EQ(f.get("Computer"), "WS01.corp.example");
  EXPECT_EQ(f.get("EventRecordID"), "123456");
  EXPECT_EQ(f.get("Execution_ProcessID"), "2944");
  EXPECT_EQ(f.get("Execution_ThreadID"), "3400");
  EXPECT_EQ(f.get("Security_UserID"), "S-1-5-18");
  EXPECT_EQ(f.get("TimeCreated_SystemTime"), "2024-04-06T01:02:03.456Z");
  EXPECT_EQ(f.get("Level"), "4");
  // Sigma process_creation fields, by their EventData names.
  EXPECT_EQ(f.get("Image"), "C:\\Windows\\System32\\cmd.exe");
  EXPECT_EQ(f.get("CommandLine"), "cmd.exe /c whoami /all");
  EXPECT_EQ(f.get("ParentImage"), "C:\\Windows\\explorer.exe");
  EXPECT_FALSE(f.has("agent.type"));
}

TEST(WinlogbeatDecoder, EventCodeFallbackUserDataAndErrors) {
  std::string ev =
      R"({"@timestamp":"2024-04-06T00:00:00Z","event":{"code":"1102"},"winlog":{"channel":"Security",)"
      R"("provider_name":"Microsoft-Windows-Eventlog","user_data":{"xml_name":"LogFileCleared","SubjectUserName":"bob"}}})";
  auto r = decode_body("winlogbeat", ev + "\n{\"winlog\":{}}\n{\"message\":\"no winlog\"}\n");
  ASSERT_EQ(r.events.size(), 1u);
  Fields f(r.events[0]);
  EXPECT_EQ(f.get("EventID"), "1102");
  EXPECT_EQ(f.get("Channel"), "Security");
  EXPECT_EQ(f.get("SubjectUserName"), "bob");
  EXPECT_EQ(f.get("Event.UserData.LogFileCleared.SubjectUserName"), "bob");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].message.find("neither channel nor event_id"), std::string::npos);
  EXPECT_NE(r.errors[1].message.find("not a Winlogbeat event"), std::string::npos);
}

TEST(SuricataDecoder, RealEveAlertsArray) {
  auto path = shared_path("logs/suricata/wrccdc-2018-alerts.json");
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  auto r = decode_body("suricata", read_file(path));
  EXPECT_EQ(r.events.size(), 207u);
  EXPECT_TRUE(r.errors.empty());
  Fields f(r.events[0]);
  // network.yml {product: suricata, service: alert}: when {event_type: alert}
  EXPECT_EQ(f.get("event_type"), "alert");
  EXPECT_TRUE(f.has("timestamp"));
  EXPECT_EQ(r.times[0], 1521923839037);  // 2018-03-24T14:37:19.037299-0600
  EXPECT_EQ(r.events[0].find('\n'), std::string::npos);
}

TEST(SuricataDecoder, RequiresEventType) {
  auto r = decode_body("suricata", "{\"timestamp\":\"2024-01-01T00:00:00Z\"}\n{\"event_type\":5}\n");
  EXPECT_TRUE(r.events.empty());
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].message.find("event_type"), std::string::npos);
}

TEST(ZeekDecoder, NamedLogAddsPathOnlyWhenMissing) {
  std::string plain = R"({"ts":1588316619.797806,"uid":"CyLse01Jig9yHofDXc","id.orig_h":"10.0.1.5","conn_state":"SF"})";
  std::string stream = R"({"@stream":"conn","ts":1588316619.5,"uid":"C1"})";
  std::string empty = R"({})";
  auto r = decode_body("zeek_conn", plain + "\n" + stream + "\n" + empty + "\n");
  ASSERT_EQ(r.events.size(), 2u);
  Fields f(r.events[0]);
  // network.yml {product: zeek, service: conn} variant path: when {_path: conn}
  EXPECT_EQ(f.get("_path"), "conn");
  EXPECT_EQ(f.get("id.orig_h"), "10.0.1.5");
  EXPECT_EQ(r.times[0], 1588316619798);
  EXPECT_EQ(r.events[1], stream);  // @stream already says which log: unchanged
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("not a Zeek log record"), std::string::npos);

  auto bare = decode_body("zeek", plain);
  ASSERT_EQ(bare.events.size(), 1u);
  EXPECT_EQ(bare.events[0], plain);
}

TEST(ZeekDecoder, RealZeekLogs) {
  auto path = shared_path("logs/zeek/dns.log");
  if (!exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  auto r = decode_body("zeek_dns", read_file(path));
  EXPECT_GT(r.events.size(), 10u);
  EXPECT_TRUE(r.errors.empty());
  Fields f(r.events[0]);
  EXPECT_EQ(f.get("@stream"), "dns");  // network.yml zeek dns variant stream
  EXPECT_FALSE(f.has("_path"));
  EXPECT_GT(r.times[0], 1500000000000);
}

}  // namespace
}  // namespace lachan::parse::test
