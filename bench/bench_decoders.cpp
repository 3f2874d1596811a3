// Records per second for each source decoder (split + decode, as the ingest path runs them),
// over real samples from ../shared/data when present, else built-in lines.
// usage: bench_decoders [--benchmark_filter=...]   (items_per_second = records/s on one core)
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "parse/decoder.h"

using namespace lachan::parse;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string shared(const std::string& rel) {
#ifdef LACHAN_SHARED_DATA
  return read_file(std::string(LACHAN_SHARED_DATA) + "/" + rel);
#else
  std::string s = read_file("../shared/data/" + rel);
  return s.empty() ? read_file("/work/shared/data/" + rel) : s;
#endif
}

// Repeats `lines` until the body holds about `target` bytes.
std::string repeat(const std::string& lines, size_t target = 4u << 20) {
  std::string body;
  if (lines.empty()) return body;
  while (body.size() < target) {
    body += lines;
    if (body.back() != '\n') body.push_back('\n');
  }
  return body;
}

// A JSON array (pretty-printed) as NDJSON, through the json decoder (which minifies).
std::string to_ndjson(const std::string& array_body) {
  Decoder d(Source{SourceType::json, {}});
  std::string out, lines;
  d.decode_body(
      array_body, out,
      [&](const Decoded& e, uint64_t) {
        lines.append(out, e.offset, e.length);
        lines.push_back('\n');
      },
      [](uint64_t, const lachan::Error&) {});
  return lines;
}

const char* kWinlogbeat =
    R"JSON({"@timestamp":"2024-04-06T01:02:03.456Z","agent":{"type":"winlogbeat","version":"8.12.0"},"event":{"code":"1","kind":"event"},"host":{"name":"ws01"},"log":{"level":"information"},"message":"Process Create","winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"WS01.corp.example","event_id":"1","provider_guid":"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}","provider_name":"Microsoft-Windows-Sysmon","record_id":123456,"process":{"pid":2944,"thread":{"id":3400}},"task":"Process Create (rule: ProcessCreate)","opcode":"Info","version":5,"user":{"identifier":"S-1-5-18"},"event_data":{"RuleName":"-","UtcTime":"2024-04-06 01:02:03.450","ProcessGuid":"{2a5c5e1f-0000-0000-0000-000000000000}","ProcessId":"5012","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami /all","CurrentDirectory":"C:\\Users\\alice\\","User":"CORP\\alice","IntegrityLevel":"High","Hashes":"SHA256=ABCDEF0123456789","ParentImage":"C:\\Windows\\explorer.exe","ParentCommandLine":"C:\\Windows\\Explorer.EXE"}}}
)JSON";

const char* kAuditd =
    "type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes exit=0 a0=558e251634a0 "
    "a1=558e25162a50 a2=558e25160800 a3=8 items=2 ppid=29002 pid=1631 auid=1000 uid=1000 gid=1000 euid=1000 "
    "suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=104 comm=\"arp\" exe=\"/usr/sbin/arp\" key=(null)\n"
    "type=EXECVE msg=audit(1604994496.155:92733): argc=3 a0=\"sh\" a1=\"-c\" a2=63686D6F64202B78202F746D702F78\n"
    "type=CWD msg=audit(1604994496.155:92733): cwd=\"/home/wardog\"\n"
    "type=PATH msg=audit(1604994496.155:92733): item=0 name=\"/usr/sbin/arp\" inode=13181 dev=08:01 mode=0100755 "
    "ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=PROCTITLE msg=audit(1604994496.155:92733): proctitle=617270002D61\n";

const char* kWebAccess =
    "203.0.113.9 - - [10/Oct/2023:13:55:36 +0700] \"GET /wp-login.php?redirect_to=%2Fwp-admin%2F HTTP/1.1\" 200 "
    "4523 \"https://www.example.vn/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0 Safari/537.36\"\n"
    "198.51.100.23 - admin [10/Oct/2023:13:55:37 +0700] \"POST /api/v1/login HTTP/1.1\" 401 87 \"-\" "
    "\"python-requests/2.31.0\"\n"
    "192.0.2.44 - - [10/Oct/2023:13:55:38 +0700] \"GET /index.php?page=../../../../etc/passwd HTTP/1.0\" 404 196 "
    "\"-\" \"sqlmap/1.7\"\n";

const char* kCef =
    "<134>Apr  6 01:02:03 fw01 CEF:0|Fortinet|FortiGate|7.2.5|0000000013|traffic:forward deny|3|src=192.0.2.7 "
    "spt=51234 dst=203.0.113.80 dpt=445 proto=6 act=deny deviceInboundInterface=port1 msg=policy 12 denied the "
    "session cs1=web-filter cs1Label=profile rt=1712365323456\n"
    "CEF:0|Trend Micro|Deep Security Agent|20.0|4000000|Eicar_test_file|6|cn1=1 cn1Label=Host ID dvchost=ws-17 "
    "act=Quarantine filePath=C:\\\\Users\\\\bob\\\\eicar.com msg=Realtime suser=CORP\\\\bob\n";

const char* kCertFeed =
    "\"timestamp\",\"ip\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\",\"region\",\"city\",\"naics\",\"sic\",\"sector\"\n";
const char* kCertRows =
    "\"2024-04-05 06:07:08\",\"203.0.113.10\",3389,\"rdp1.example.vn\",\"rdp\",64500,\"VN\",\"HA NOI\",\"HANOI\",,,"
    "\"Communications, Service Provider, and Hosting Service\"\n"
    "\"2024-04-05 06:07:09\",\"198.51.100.7\",445,,\"smb\",64501,\"VN\",\"HO CHI MINH\",\"HO CHI MINH CITY\",517311,,\n";

void run(benchmark::State& state, const char* source, const std::string& body) {
  auto src = parse_source(source);
  if (!src || body.empty()) {
    state.SkipWithError("no input");
    return;
  }
  Decoder decoder(*src);
  std::string out;
  size_t records = 0, errors = 0;
  for (auto _ : state) {
    out.clear();
    records += decoder.decode_body(
        body, out, [&](const Decoded&, uint64_t) {}, [&](uint64_t, const lachan::Error&) { ++errors; });
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["errors"] = static_cast<double>(errors);
}

void register_all() {
  static std::string json = repeat(shared("logs/zeek/conn.log"));
  static std::string windows = repeat(shared("logs/windows/evtx-attack-samples.jsonl"), 8u << 20);
  static std::string winlogbeat = repeat(kWinlogbeat);
  static std::string suricata = repeat(to_ndjson(shared("logs/suricata/wrccdc-2018-alerts.json")));
  static std::string zeek = repeat(shared("logs/zeek/conn.log"));
  static std::string auditd = repeat(kAuditd);
  static std::string web = repeat(kWebAccess);
  static std::string cef = repeat(kCef);
  static std::string cert = std::string(kCertFeed) + repeat(kCertRows);
  static std::string syslog = repeat(shared("logs/syslog/linux-2k.log") + shared("logs/syslog/openssh-2k.log"));
  auto reg = [](const char* name, const char* source, const std::string* body) {
    benchmark::RegisterBenchmark(name, [source, body](benchmark::State& s) { run(s, source, *body); })
        ->Unit(benchmark::kMillisecond);
  };
  reg("json/zeek_conn", "json", &json);
  reg("windows/evtx_attack_samples", "windows", &windows);
  reg("winlogbeat/sysmon1", "winlogbeat", &winlogbeat);
  reg("suricata/eve_alerts", "suricata", &suricata);
  reg("zeek_conn/conn", "zeek_conn", &zeek);
  reg("auditd/execve_records", "auditd", &auditd);
  reg("web_access/combined", "web_access", &web);
  reg("cef/syslog_and_bare", "cef", &cef);
  reg("cert_feed/shadowserver", "cert_feed", &cert);
  reg("syslog/loghub_linux_openssh", "syslog", &syslog);
}

const bool kRegistered = (register_all(), true);

}  // namespace

BENCHMARK_MAIN();
