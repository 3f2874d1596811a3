// Flattener: JSON records -> Event fields by the names rules use. Windows events in the
// evtx_dump shape expose fields as the Sigma rules specification names them ("Field Usage":
// EventData values by their Name, System attributes as Tag_Attribute such as Provider_Name and
// Execution_ProcessID, names "as they appear in the log source" with spaces stripped); other
// JSON by dotted paths; array elements as several values of one field.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/event.h"
#include "detect/flatten.h"
#include "sigma/ruleset.h"

using namespace lachan;
using lachan::detect::Flattener;

namespace {

struct Flat {
  FieldRegistry fields;
  Event event;
  std::string buf;

  explicit Flat(std::vector<std::string> names) {
    for (const auto& n : names) fields.intern(n);
  }
  // Flattens `json` (kept with simdjson padding); returns the error code name or "" on success.
  Result<void> run(std::string_view json, bool keywords = false, bool full_paths = false) {
    flat = std::make_unique<Flattener>(fields, keywords, full_paths);
    buf.assign(json);
    buf.append(64, ' ');
    return flat->flatten(std::string_view(buf.data(), json.size()), event);
  }
  std::vector<std::string> values(const std::string& name) const {
    std::vector<std::string> out;
    FieldId f = fields.find(name);
    if (f == kNoField) return out;
    for (uint32_t i = event.first(f); i != Event::kNone; i = event.value(i).next)
      out.emplace_back(event.value(i).text);
    return out;
  }
  bool present(const std::string& name) const { return event.has(fields.find(name)); }
  ValueKind kind(const std::string& name) const { return event.value(event.first(fields.find(name))).kind; }
  std::vector<std::string> keyword_texts() const {
    std::vector<std::string> out;
    for (uint32_t i : event.keyword_values()) out.emplace_back(event.value(i).text);
    return out;
  }
  std::unique_ptr<Flattener> flat;
};

using V = std::vector<std::string>;

const char* kSysmon = R"({"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},
 "System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},
  "EventID":1,"Version":5,"Level":4,"Task":1,"Opcode":0,"Keywords":"0x8000000000000000",
  "TimeCreated":{"#attributes":{"SystemTime":"2019-04-27T15:57:25.868864Z"}},
  "EventRecordID":12345,"Correlation":null,
  "Execution":{"#attributes":{"ProcessID":788,"ThreadID":792}},
  "Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS01.corp.local",
  "Security":{"#attributes":{"UserID":"S-1-5-18"}}},
 "EventData":{"RuleName":"-","UtcTime":"2019-04-27 15:57:25.868","Image":"C:\\Windows\\System32\\cmd.exe",
  "CommandLine":"cmd.exe /c whoami","ProcessId":4242,"IntegrityLevel":"High","ParentImage":"C:\\Windows\\explorer.exe"}}})";

}  // namespace

TEST(Flatten, WindowsEventDataByName) {
  Flat f({"Image", "CommandLine", "ProcessId", "ParentImage", "Event.EventData.Image"});
  ASSERT_TRUE(f.run(kSysmon).ok());
  EXPECT_EQ(f.values("Image"), V{R"(C:\Windows\System32\cmd.exe)"});
  EXPECT_EQ(f.values("CommandLine"), V{"cmd.exe /c whoami"});
  EXPECT_EQ(f.values("ProcessId"), V{"4242"});
  EXPECT_EQ(f.kind("ProcessId"), ValueKind::number);
  EXPECT_EQ(f.values("ParentImage"), V{R"(C:\Windows\explorer.exe)"});
  // Full dotted paths only when asked for.
  EXPECT_FALSE(f.present("Event.EventData.Image"));
  ASSERT_TRUE(f.run(kSysmon, false, true).ok());
  EXPECT_EQ(f.values("Event.EventData.Image"), V{R"(C:\Windows\System32\cmd.exe)"});
  EXPECT_EQ(f.values("Image"), V{R"(C:\Windows\System32\cmd.exe)"});
}

TEST(Flatten, WindowsSystemFields) {
  Flat f({"EventID", "Channel", "Computer", "Level", "Keywords", "EventRecordID", "Provider_Name", "Provider_Guid",
          "Execution_ProcessID", "Execution_ThreadID", "TimeCreated_SystemTime", "Security_UserID", "Version"});
  ASSERT_TRUE(f.run(kSysmon).ok());
  EXPECT_EQ(f.values("EventID"), V{"1"});
  EXPECT_EQ(f.values("Channel"), V{"Microsoft-Windows-Sysmon/Operational"});
  EXPECT_EQ(f.values("Computer"), V{"WS01.corp.local"});
  EXPECT_EQ(f.values("Level"), V{"4"});
  EXPECT_EQ(f.values("Keywords"), V{"0x8000000000000000"});
  EXPECT_EQ(f.values("EventRecordID"), V{"12345"});
  EXPECT_EQ(f.values("Version"), V{"5"});
  // Spec: <Provider Name="..."> will be Provider_Name; <Execution ProcessID="788"> will be Execution_ProcessID.
  EXPECT_EQ(f.values("Provider_Name"), V{"Microsoft-Windows-Sysmon"});
  EXPECT_EQ(f.values("Provider_Guid"), V{"5770385F-C22A-43E0-BF4C-06F5698FFBD9"});
  EXPECT_EQ(f.values("Execution_ProcessID"), V{"788"});
  EXPECT_EQ(f.values("Execution_ThreadID"), V{"792"});
  EXPECT_EQ(f.values("TimeCreated_SystemTime"), V{"2019-04-27T15:57:25.868864Z"});
  EXPECT_EQ(f.values("Security_UserID"), V{"S-1-5-18"});
}

TEST(Flatten, EventIdWithQualifiers) {
  Flat f({"EventID", "EventID_Qualifiers", "ServiceName"});
  const char* json = R"({"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},
    "Channel":"System"},"EventData":{"ServiceName":"evil"}}})";
  ASSERT_TRUE(f.run(json).ok());
  EXPECT_EQ(f.values("EventID"), V{"7045"});
  EXPECT_EQ(f.values("EventID_Qualifiers"), V{"16384"});
  EXPECT_EQ(f.values("ServiceName"), V{"evil"});
}

TEST(Flatten, UserDataValuesByName) {
  Flat f({"EventID", "SubjectUserName", "Channel", "LogFileCleared"});
  const char* json = R"({"Event":{"System":{"EventID":1102,"Channel":"Security"},
    "UserData":{"LogFileCleared":{"#attributes":{"xmlns":"http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
    "SubjectUserSid":"S-1-5-21-1","SubjectUserName":"admin","SubjectDomainName":"CORP"}}}})";
  ASSERT_TRUE(f.run(json).ok());
  EXPECT_EQ(f.values("EventID"), V{"1102"});
  EXPECT_EQ(f.values("SubjectUserName"), V{"admin"});
  EXPECT_FALSE(f.present("LogFileCleared"));  // the wrapper element is not a value
}

// Spec, "Field Usage" 2.: "use them as they appear in the log source and strip all spaces"
// (`New Value` -> `NewValue`, `SAM User Account` -> `SAMUserAccount`).
TEST(Flatten, NamesWithSpacesAreStrippedWhenARuleUsesTheStrippedName) {
  const char* json = R"({"Event":{"System":{"EventID":4738},"EventData":{"SAM User Account":"bob","New Value":"x"}}})";
  Flat stripped({"SAMUserAccount", "NewValue"});
  ASSERT_TRUE(stripped.run(json).ok());
  EXPECT_EQ(stripped.values("SAMUserAccount"), V{"bob"});
  EXPECT_EQ(stripped.values("NewValue"), V{"x"});
  Flat spaced({"SAM User Account"});
  ASSERT_TRUE(spaced.run(json).ok());
  EXPECT_EQ(spaced.values("SAM User Account"), V{"bob"});
}

// Nested elements and attributes are named Parent_Key; a space anywhere in the built name strips
// them all when a rule uses the stripped name, else the name is looked up as it is.
TEST(Flatten, NamesWithSpacesInNestedElements) {
  const char* json = R"({"Event":{"System":{"EventID":1},"EventData":{
    "Data Item":{"#attributes":{"Sub Name":"v","Plain":"p"},"#text":"t"},"Outer":{"#attributes":{"Has Space":"w"}}}}})";
  Flat stripped({"DataItem", "DataItem_SubName", "DataItem_Plain", "Outer_HasSpace"});
  ASSERT_TRUE(stripped.run(json, true).ok());
  EXPECT_EQ(stripped.values("DataItem"), V{"t"});
  EXPECT_EQ(stripped.values("DataItem_SubName"), V{"v"});
  EXPECT_EQ(stripped.values("DataItem_Plain"), V{"p"});
  EXPECT_EQ(stripped.values("Outer_HasSpace"), V{"w"});
  EXPECT_EQ(stripped.keyword_texts(), (V{"1", "v", "p", "t", "w"}));
  Flat spaced({"Data Item_Sub Name", "Outer_Has Space"});
  ASSERT_TRUE(spaced.run(json).ok());
  EXPECT_EQ(spaced.values("Data Item_Sub Name"), V{"v"});
  EXPECT_EQ(spaced.values("Outer_Has Space"), V{"w"});
}

// Windows values nested deeper than 64 levels are dropped (the same limit as generic JSON).
TEST(Flatten, WindowsNestingLimit) {
  auto nested = [](int levels) {
    std::string json = R"({"Event":{"System":{"EventID":1},"EventData":{"A":)";
    for (int i = 1; i < levels; ++i) json += R"({"k":)";
    json += R"("deep")";
    for (int i = 0; i < levels + 2; ++i) json += "}";
    return json;
  };
  Flat f({"A"});
  ASSERT_TRUE(f.run(nested(65), true).ok());  // "deep" at depth 64 under A
  EXPECT_EQ(f.keyword_texts(), (V{"1", "deep"}));
  ASSERT_TRUE(f.run(nested(66), true).ok());
  EXPECT_EQ(f.keyword_texts(), V{"1"});
}

TEST(Flatten, GenericNestedJsonDottedPaths) {
  Flat f({"a.b.c", "a.x", "top", "flag", "ratio", "nothing", "big"});
  const char* json = R"({"a":{"b":{"c":"deep"},"x":-3},"top":"t","flag":true,"ratio":1.5,"nothing":null,
    "big":18446744073709551615})";
  ASSERT_TRUE(f.run(json).ok());
  EXPECT_EQ(f.values("a.b.c"), V{"deep"});
  EXPECT_EQ(f.values("a.x"), V{"-3"});
  EXPECT_EQ(f.values("top"), V{"t"});
  EXPECT_EQ(f.values("flag"), V{"true"});
  EXPECT_EQ(f.kind("flag"), ValueKind::boolean);
  EXPECT_EQ(f.values("ratio"), V{"1.5"});
  EXPECT_EQ(f.values("big"), V{"18446744073709551615"});
  EXPECT_TRUE(f.present("nothing"));  // JSON null is a present field with a null value
  EXPECT_EQ(f.kind("nothing"), ValueKind::null);
}

TEST(Flatten, ArraysGiveEveryElementAsAValue) {
  Flat f({"dns.answers.rdata", "tags", "empty"});
  const char* json = R"({"dns":{"answers":[{"rdata":"1.2.3.4"},{"rdata":"5.6.7.8"}]},"tags":["a",["b"],"c"],"empty":[]})";
  ASSERT_TRUE(f.run(json).ok());
  EXPECT_EQ(f.values("dns.answers.rdata"), (V{"1.2.3.4", "5.6.7.8"}));
  EXPECT_EQ(f.values("tags"), (V{"a", "b", "c"}));
  EXPECT_FALSE(f.present("empty"));  // documented: an empty array yields no field
}

TEST(Flatten, ZeekKeysWithDots) {
  Flat f({"id.orig_h", "id.resp_p"});
  ASSERT_TRUE(f.run(R"({"ts":1.5,"id.orig_h":"10.0.0.1","id.resp_p":443})").ok());
  EXPECT_EQ(f.values("id.orig_h"), V{"10.0.0.1"});
  EXPECT_EQ(f.values("id.resp_p"), V{"443"});
}

TEST(Flatten, EventKeyWithoutSystemIsGenericJson) {
  Flat f({"Event.Name", "Name"});
  ASSERT_TRUE(f.run(R"({"Event":{"Name":"x"}})").ok());
  EXPECT_EQ(f.values("Event.Name"), V{"x"});
  EXPECT_FALSE(f.present("Name"));
}

TEST(Flatten, KeywordValuesCoverEveryLeaf) {
  Flat f({"a"});
  ASSERT_TRUE(f.run(R"({"a":"one","b":{"c":"two"},"d":[3,null,"four"]})", true).ok());
  EXPECT_EQ(f.keyword_texts(), (V{"one", "two", "3", "four"}));
  ASSERT_TRUE(f.run(R"({"a":"one","b":"two"})", false).ok());
  EXPECT_TRUE(f.keyword_texts().empty());
  EXPECT_EQ(f.values("a"), V{"one"});
}

TEST(Flatten, EventIsResetBetweenRecords) {
  Flat f({"a", "b"});
  ASSERT_TRUE(f.run(R"({"a":"1","b":"2"})").ok());
  ASSERT_TRUE(f.run(R"({"a":"3"})").ok());
  EXPECT_EQ(f.values("a"), V{"3"});
  EXPECT_FALSE(f.present("b"));
}

TEST(Flatten, InvalidJsonIsMalformed) {
  Flat f({"a"});
  for (const char* bad : {R"({"a":)", R"({"a":"x")", "not json", R"({"a":"x"}})", ""}) {
    auto r = f.run(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::malformed) << bad;
  }
}

TEST(Flatten, NonObjectRecordIsAnError) {
  Flat f({"a"});
  for (const char* bad : {R"([{"a":"x"}])", R"("a")", "42", "null", "true"}) {
    auto r = f.run(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::malformed) << bad;
  }
}

// The whole record is validated, not only the values a rule reads: a record that is invalid
// anywhere is malformed, and none of it is matched.
TEST(Flatten, InvalidAnywhereIsMalformed) {
  Flat f({"a", "Image"});
  const char* sys = R"({"Event":{"System":{"EventID":1},"EventData":{"Image":"x"})";
  for (std::string bad : {
           std::string(R"({"a":"x"} trailing)"),
           std::string(R"({"a":"x"}{"b":"y"})"),
           std::string(R"({"a":"x"}})"),
           std::string(R"({"a":"x","unused":tru})"),
           std::string(R"({"a":"x","unused":"\q"})"),
           std::string(R"({"a":"x","unused":[1,]})"),
           std::string(R"({"a":"x","unused":01})"),
           std::string(R"({"a":"x","unused\q":1})"),
           std::string(R"({"a":"x","n":1e400})"),
           std::string(R"({"a":"x","n":18446744073709551616})"),
           std::string(R"({"a":"x","n":-9223372036854775809})"),
           std::string(R"({"a":{"b":1]})"),
           std::string(R"({"a":"x" "b":"y"})"),
           std::string("{\"a\":\"\x01\"}"),
           std::string(sys) + R"(,"after":nul})",
           std::string(sys) + R"(,"after":"\u12"})",
           std::string(sys) + "} x",
           std::string(R"({"Event":{"System":{"EventID":1},"EventData":{"#attributes":{"q":"\q"},"Image":"x"}}})"),
           std::string(R"({"Event":{"System":{"EventID":1},"EventData":{"Image":"x"},"Other":[tru]}})"),
           std::string(R"({"Event":{"System":{"EventID":1},"UserData":{"W":{"S":"x"},"V":falsy}}})"),
       }) {
    auto r = f.run(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::malformed) << bad;
  }
  std::string deep = R"({"a":)" + std::string(1100, '[') + "1" + std::string(1100, ']') + "}";
  EXPECT_FALSE(f.run(deep).ok());  // deeper than the parser's limit (1024)
}

TEST(Flatten, NumbersRenderAsParsed) {
  Flat f({"z", "nz", "d", "long", "tiny", "e", "max"});
  ASSERT_TRUE(f.run(R"({"z":-0,"nz":-0.0,"d":0.1,"long":90.013139963150024414,"tiny":1e-400,"e":1E5,
    "max":-9223372036854775808})")
                  .ok());
  EXPECT_EQ(f.values("z"), V{"0"});
  EXPECT_EQ(f.values("nz"), V{"-0"});
  EXPECT_EQ(f.values("d"), V{"0.1"});
  EXPECT_EQ(f.values("long"), V{"90.01313996315002"});  // more than 19 digits: the slow path
  EXPECT_EQ(f.values("tiny"), V{"0"});
  EXPECT_EQ(f.values("e"), V{"1e+05"});  // a double, in its shortest form
  EXPECT_EQ(f.values("max"), V{"-9223372036854775808"});
  EXPECT_EQ(f.kind("long"), ValueKind::number);
}

TEST(Flatten, EscapedKeysAndStrings) {
  Flat f({"Image", "nul", "a.b"});
  // Keys are compared unescaped: the root's Event, the System section, a value's name.
  ASSERT_TRUE(f.run(R"({"\u0045vent":{"\u0053ystem":{"EventID":1},"Event\u0044ata":{"Ima\u0067e":"x"}}})", true).ok());
  EXPECT_EQ(f.values("Image"), V{"x"});
  EXPECT_EQ(f.keyword_texts(), (V{"1", "x"}));
  ASSERT_TRUE(f.run(R"({"a":{"\u0062":"y"},"nul":"p\u0000q"})").ok());
  EXPECT_EQ(f.values("a.b"), V{"y"});
  EXPECT_EQ(f.values("nul"), V{std::string("p\0q", 3)});
}

TEST(Flatten, DuplicateKeysGiveEveryValue) {
  Flat f({"a", "Image", "EventID"});
  ASSERT_TRUE(f.run(R"({"a":"1","a":["2"],"a":{"b":"3"}})").ok());
  EXPECT_EQ(f.values("a"), (V{"1", "2"}));
  ASSERT_TRUE(f.run(R"({"Event":{"System":{"EventID":1},"EventData":{"Image":"x","Image":"y"},
    "EventData":{"Image":"z"}}})")
                  .ok());
  EXPECT_EQ(f.values("Image"), (V{"x", "y", "z"}));
  // Only the first Event key decides whether the record is a Windows event.
  ASSERT_TRUE(f.run(R"({"Event":{"System":{"EventID":1}},"Event":{"System":{"EventID":2}}})").ok());
  EXPECT_EQ(f.values("EventID"), V{"1"});
  Flat g({"Event.System.EventID", "EventID"});
  ASSERT_TRUE(g.run(R"({"Event":5,"Event":{"System":{"EventID":2}}})").ok());
  EXPECT_EQ(g.values("Event.System.EventID"), V{"2"});
  EXPECT_FALSE(g.present("EventID"));
}

// A Windows event is told by an Event object with a System key, wherever the keys are.
TEST(Flatten, WindowsEventWhateverTheKeyOrder) {
  Flat f({"Image", "EventID", "x", "Event.EventData.Image"});
  ASSERT_TRUE(
      f.run(R"({"x":"before","Event":{"EventData":{"Image":"i"},"System":{"EventID":1}},"y":"after"})", true).ok());
  EXPECT_EQ(f.values("Image"), V{"i"});
  EXPECT_EQ(f.values("EventID"), V{"1"});
  EXPECT_FALSE(f.present("x"));  // only the Event object is read as a Windows event
  EXPECT_EQ(f.keyword_texts(), (V{"i", "1"}));
  // Without System, the same record is generic JSON.
  ASSERT_TRUE(f.run(R"({"x":"before","Event":{"EventData":{"Image":"i"}}})", true).ok());
  EXPECT_EQ(f.values("x"), V{"before"});
  EXPECT_EQ(f.values("Event.EventData.Image"), V{"i"});
  EXPECT_FALSE(f.present("Image"));
  EXPECT_EQ(f.keyword_texts(), (V{"before", "i"}));
}

TEST(Flatten, EmptyContainersAndDeepGenericValues) {
  Flat f({"a", "e", "w", "Image"});
  ASSERT_TRUE(f.run(R"({"a":{},"e":[[],{}],"w":[]})", true).ok());
  EXPECT_FALSE(f.present("a"));
  EXPECT_FALSE(f.present("e"));
  EXPECT_TRUE(f.keyword_texts().empty());
  ASSERT_TRUE(f.run(R"({"Event":{"System":{},"EventData":{},"UserData":{}}})", true).ok());
  EXPECT_TRUE(f.keyword_texts().empty());
  // Generic values deeper than 64 levels are dropped, not the record.
  auto nested = [](int levels) {
    return R"({"k":)" + std::string(levels - 1, '[') + R"("deep")" + std::string(levels - 1, ']') + "}";
  };
  ASSERT_TRUE(f.run(nested(64), true).ok());
  EXPECT_EQ(f.keyword_texts(), V{"deep"});
  ASSERT_TRUE(f.run(nested(65), true).ok());
  EXPECT_TRUE(f.keyword_texts().empty());
}

// --- end to end: a ruleset over flattened Windows events ----------------------------------------

namespace {
std::vector<std::string> fire(const std::vector<std::string>& rules, const std::string& mapping, std::string_view json) {
  sigma::RulesetOptions o;
  for (size_t i = 0; i < rules.size(); ++i) o.rule_texts.emplace_back("r" + std::to_string(i), rules[i]);
  o.mapping_text = mapping;
  sigma::Diagnostics d;
  sigma::LoadStats st;
  auto rs = sigma::Ruleset::load(o, d, st);
  EXPECT_EQ(d.error_count(), 0u);
  Flattener flat(rs->fields(), rs->needs_keyword_values(), rs->has_event_paths());
  std::string buf(json);
  buf.append(64, ' ');
  Event ev;
  EXPECT_TRUE(flat.flatten(std::string_view(buf.data(), json.size()), ev).ok());
  sigma::MatchContext ctx(*rs);
  std::vector<uint32_t> hits;
  rs->match(ev, ctx, hits);
  std::vector<std::string> out;
  for (uint32_t h : hits) out.push_back(rs->rules()[rs->compiled(h).rule].title);
  return out;
}
}  // namespace

TEST(FlattenEndToEnd, Security4688RenamesImage) {
  const std::string mapping = R"(
logsources:
  - match: {product: windows, category: process_creation}
    variants:
      - name: sysmon
        when: {Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1}
      - name: security-4688
        when: {Channel: Security, EventID: 4688}
        fields:
          Image: NewProcessName
)";
  const std::string rule = "title: whoami\nlogsource:\n  product: windows\n  category: process_creation\n"
                           "detection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n";
  EXPECT_EQ(fire({rule}, mapping, R"({"Event":{"System":{"Channel":"Security","EventID":4688},
      "EventData":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe"}}})"),
            std::vector<std::string>{"whoami"});
  EXPECT_EQ(fire({rule}, mapping, kSysmon).size(), 0u);  // cmd.exe
  std::string sysmon_whoami = kSysmon;
  sysmon_whoami.replace(sysmon_whoami.find("cmd.exe\""), 7, "whoami.exe");
  EXPECT_EQ(fire({rule}, mapping, sysmon_whoami), std::vector<std::string>{"whoami"});
}

TEST(FlattenEndToEnd, SystemAndStrippedNamesInRules) {
  const std::string rule = "title: t\nlogsource:\n  product: windows\ndetection:\n  sel:\n"
                           "    Provider_Name: Microsoft-Windows-Security-Auditing\n    SAMUserAccount|startswith: adm\n"
                           "    EventID: 4738\n  condition: sel\n";
  const char* ev = R"({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},
      "EventID":{"#attributes":{"Qualifiers":0},"#text":4738},"Channel":"Security"},
      "EventData":{"SAM User Account":"admin1"}}})";
  EXPECT_EQ(fire({rule}, "", ev), std::vector<std::string>{"t"});
}

TEST(FlattenEndToEnd, FullEventPathsWhenARuleUsesThem) {
  const std::string rule = "title: t\nlogsource:\n  product: windows\ndetection:\n  sel:\n"
                           "    Event.EventData.CommandLine|contains: whoami\n  condition: sel\n";
  EXPECT_EQ(fire({rule}, "", kSysmon), std::vector<std::string>{"t"});
}
