// evtx_xml_to_json: event XML (as libevtx renders it) → evtx_dump-shaped JSON.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "io/evtx_reader.h"
#include "io/evtx_xml.h"

namespace lachan::io {
namespace {

std::string conv(std::string_view xml) {
  auto r = evtx_xml_to_json(xml);
  if (!r) return "ERROR(" + std::string(errc_name(r.error().code)) + "): " + r.error().message;
  return *r;
}

Errc err_code(std::string_view xml, const evtx_xml::Limits& limits = {}) {
  auto r = evtx_xml::to_json(xml, limits);
  return r ? Errc::ok : r.error().code;
}

bool valid_json(const std::string& s) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  return parser.parse(simdjson::padded_string(s)).get(doc) == simdjson::SUCCESS;
}

TEST(EvtxXml, SysmonEventShape) {
  const char* xml = R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/>
    <EventID>7</EventID>
    <Version>3</Version>
    <Level>4</Level>
    <Task>7</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2025-11-27T07:40:10.165324000Z"/>
    <EventRecordID>571146</EventRecordID>
    <Correlation/>
    <Execution ProcessID="3544" ThreadID="4272"/>
    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
    <Computer>swachchhanda</Computer>
    <Security UserID="S-1-5-18"/>
  </System>
  <EventData>
    <Data Name="RuleName">-</Data>
    <Data Name="ProcessGuid">{0197231E-005A-6928-A50B-000000000D00}</Data>
    <Data Name="ProcessId">4460</Data>
    <Data Name="Image">C:\Windows\System32\WerFaultSecure.exe</Data>
    <Data Name="LogonId">0x000000000001eba8</Data>
    <Data Name="ParentCommandLine">"C:\WINDOWS\system32\cmd.exe" </Data>
  </EventData>
</Event>
)";
  EXPECT_EQ(conv(xml),
            R"({"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},)"
            R"("System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},)"
            R"("EventID":7,"Version":3,"Level":4,"Task":7,"Opcode":0,"Keywords":"0x8000000000000000",)"
            R"("TimeCreated":{"#attributes":{"SystemTime":"2025-11-27T07:40:10.165324Z"}},"EventRecordID":571146,)"
            R"("Correlation":null,"Execution":{"#attributes":{"ProcessID":3544,"ThreadID":4272}},)"
            R"("Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"swachchhanda",)"
            R"("Security":{"#attributes":{"UserID":"S-1-5-18"}}},)"
            R"("EventData":{"RuleName":"-","ProcessGuid":"0197231E-005A-6928-A50B-000000000D00","ProcessId":4460,)"
            R"("Image":"C:\\Windows\\System32\\WerFaultSecure.exe","LogonId":"0x1eba8",)"
            R"("ParentCommandLine":"\"C:\\WINDOWS\\system32\\cmd.exe\""}}})");
}

TEST(EvtxXml, AttributesAndText) {
  // EventID with Qualifiers: "#attributes" and "#text"; the number stays a number.
  EXPECT_EQ(conv(R"(<Event><System><EventID Qualifiers="16384">4688</EventID></System></Event>)"),
            R"({"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":4688}}}})");
  // An empty attribute is dropped; with nothing else left the element is null.
  EXPECT_EQ(conv(R"(<Event><System><EventID Qualifiers="">4688</EventID><Security UserID=""/></System></Event>)"),
            R"({"Event":{"System":{"EventID":4688,"Security":null}}})");
  // Attribute values outside System/EventData stay strings.
  EXPECT_EQ(conv(R"(<E><X a='1' b="two">t</X></E>)"), R"({"E":{"X":{"#attributes":{"a":"1","b":"two"},"#text":"t"}}})");
}

TEST(EvtxXml, EmptyElementsAreNull) {
  EXPECT_EQ(conv("<Event><System><Correlation/><Opcode></Opcode></System></Event>"),
            R"({"Event":{"System":{"Correlation":null,"Opcode":null}}})");
  EXPECT_EQ(conv("<Event/>"), R"({"Event":null})");
}

TEST(EvtxXml, EntitiesCharRefsCdataComments) {
  const char* xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- leading comment -->\n"
      "<Event><EventData>"
      "<Data Name=\"A\">&lt;x&gt; &amp; &quot;q&quot; &apos;a&apos;</Data>"
      "<Data Name=\"B\">&#65;&#x42;&#x1F600;&#xe9;</Data>"
      "<Data Name=\"C\"><![CDATA[<not> & markup]]></Data>"
      "<Data Name=\"D\">x<!-- inner -->y<?pi data?>z</Data>"
      "<Data Name=\"E&amp;F\">v</Data>"
      "<Data Name=\"G\">a &unknown; b & c</Data>"
      "</EventData></Event>\n<!-- trailing -->\n";
  EXPECT_EQ(conv(xml), "{\"Event\":{\"EventData\":{\"A\":\"<x> & \\\"q\\\" 'a'\",\"B\":\"AB\xF0\x9F\x98\x80\xC3\xA9\","
                       "\"C\":\"<not> & markup\",\"D\":\"xyz\",\"E&F\":\"v\",\"G\":\"a &unknown; b & c\"}}}");
}

TEST(EvtxXml, InvalidCharRefBecomesReplacementCharacter) {
  EXPECT_EQ(conv("<E><X>&#0;&#xD800;&#x110000;&#99999999999;</X></E>"),
            "{\"E\":{\"X\":\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}}");
}

TEST(EvtxXml, DataWithoutName) {
  // One Data without Name: {"Data":{"#text":v}}; several: an array (evtx_dump's shape).
  EXPECT_EQ(conv("<Event><EventData><Data>only</Data></EventData></Event>"),
            R"({"Event":{"EventData":{"Data":{"#text":"only"}}}})");
  EXPECT_EQ(conv("<Event><EventData><Data>a</Data><Data>12</Data><Data/><Binary>00FF</Binary></EventData></Event>"),
            R"({"Event":{"EventData":{"Data":{"#text":["a",12,""]},"Binary":"00FF"}}})");
  // When some Data has a Name, the nameless ones are dropped, as evtx_dump does.
  EXPECT_EQ(conv(R"(<Event><EventData><Data Name="k">v</Data><Data>lost</Data></EventData></Event>)"),
            R"({"Event":{"EventData":{"k":"v"}}})");
}

TEST(EvtxXml, NamedDataEmptyAndDuplicates) {
  EXPECT_EQ(conv(R"(<Event><EventData><Data Name="Unused"/><Data Name="X"></Data><Data Name="X">2</Data></EventData></Event>)"),
            R"({"Event":{"EventData":{"Unused":"","X":"","X_1":2}}})");
  // EventData with its own attribute (e.g. Application events).
  EXPECT_EQ(conv(R"(<Event><EventData Name="EVENT_X"><Data Name="param1">a</Data></EventData></Event>)"),
            R"({"Event":{"EventData":{"#attributes":{"Name":"EVENT_X"},"param1":"a"}}})");
}

TEST(EvtxXml, UserDataKeepsStructure) {
  const char* xml = R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><UserData>
    <Operation_ClientFailure xmlns="http://manifests.microsoft.com/win/2006/windows/WMI">
      <Id>{00000000-0000-0000-0000-000000000000}</Id>
      <ClientProcessId>25920</ClientProcessId>
      <Operation>Start IWbemServices::ExecMethod - ROOT\CIMV2</Operation>
      <ResultCode>0x80041003</ResultCode>
      <Nested><Inner a="b">t</Inner><Inner>u</Inner><Empty/></Nested>
    </Operation_ClientFailure>
  </UserData></Event>)";
  EXPECT_EQ(conv(xml),
            R"({"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"UserData":{)"
            R"("Operation_ClientFailure":{"#attributes":{"xmlns":"http://manifests.microsoft.com/win/2006/windows/WMI"},)"
            R"("Id":"{00000000-0000-0000-0000-000000000000}","ClientProcessId":25920,)"
            R"("Operation":"Start IWbemServices::ExecMethod - ROOT\\CIMV2","ResultCode":"0x80041003",)"
            R"("Nested":{"Inner":{"#attributes":{"a":"b"},"#text":"t"},"Inner_1":"u","Empty":null}}}}})");
}

TEST(EvtxXml, NamespacesKeptAsWritten) {
  EXPECT_EQ(conv(R"(<ev:Event xmlns:ev="urn:x"><ev:System><ev:Level>4</ev:Level></ev:System></ev:Event>)"),
            R"({"ev:Event":{"#attributes":{"xmlns:ev":"urn:x"},"ev:System":{"ev:Level":"4"}}})");
}

TEST(EvtxXml, NumbersOnlyWherePlainDecimal) {
  EXPECT_EQ(conv("<Event><System><Computer>12345</Computer><EventID>0012</EventID><Task>-1</Task></System>"
                 "<EventData><Data Name=\"a\">007</Data><Data Name=\"b\">-42</Data><Data Name=\"c\">18446744073709551615</Data>"
                 "<Data Name=\"d\">18446744073709551616</Data><Data Name=\"e\">1.5</Data><Data Name=\"f\">-0</Data>"
                 "<Data Name=\"g\">-9223372036854775808</Data><Data Name=\"h\">-9223372036854775809</Data></EventData></Event>"),
            R"({"Event":{"System":{"Computer":"12345","EventID":"0012","Task":-1},"EventData":{"a":"007","b":-42,)"
            R"("c":18446744073709551615,"d":"18446744073709551616","e":"1.5","f":"-0","g":-9223372036854775808,)"
            R"("h":"-9223372036854775809"}}})");
}

TEST(EvtxXml, JsonEscapingAndInvalidUtf8) {
  std::string xml = "<E><X>tab\there\nnl \\ \"q\" \x01\x1f \x7f</X><Y>bad\xff\xc3(\xe2\x82 ok\xc3\xa9 \xed\xa0\x80 \xc0\xaf</Y></E>";
  std::string out = conv(xml);
  EXPECT_EQ(out, "{\"E\":{\"X\":\"tab\\there\\nnl \\\\ \\\"q\\\" \\u0001\\u001f \x7f\","
                 "\"Y\":\"bad\xEF\xBF\xBD\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD ok\xC3\xA9 "
                 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\"}}");
  EXPECT_TRUE(valid_json(out)) << out;
}

TEST(EvtxXml, TextWithChildElementsBecomesHashText) {
  EXPECT_EQ(conv("<E><X>\n  lead <Y>1</Y> tail\n</X></E>"), R"({"E":{"X":{"#text":"lead  tail","Y":"1"}}})");
  // White space between elements is formatting, not text.
  EXPECT_EQ(conv("<E>\n  <X>\n    <Y>1</Y>\n  </X>\n</E>"), R"({"E":{"X":{"Y":"1"}}})");
}

TEST(EvtxXml, NormalizeValue) {
  using evtx_xml::normalize_value;
  EXPECT_EQ(normalize_value("SystemTime", "2025-11-27T07:40:10.165324000Z"), "2025-11-27T07:40:10.165324Z");
  EXPECT_EQ(normalize_value("x", "2025-11-27T07:40:10.1653241Z"), "2025-11-27T07:40:10.165324Z");
  EXPECT_EQ(normalize_value("x", "2025-11-27T07:40:10.165324Z"), "2025-11-27T07:40:10.165324Z");
  EXPECT_EQ(normalize_value("x", "2025-11-27 07:40:10.165324000Z"), "2025-11-27 07:40:10.165324000Z");
  EXPECT_EQ(normalize_value("x", "0x0000000000000378"), "0x378");
  EXPECT_EQ(normalize_value("x", "0x0000000000000000"), "0x0");
  EXPECT_EQ(normalize_value("x", "0x001fffff"), "0x1fffff");
  EXPECT_EQ(normalize_value("x", "0x80041003"), "0x80041003");
  EXPECT_EQ(normalize_value("x", "0x0001"), "0x0001");        // not a HexInt32/64 width
  EXPECT_EQ(normalize_value("x", "0x00000000zz000378"), "0x00000000zz000378");
  EXPECT_EQ(normalize_value("ProcessGuid", "{0197231E-005A-6928-A50B-000000000D00}"), "0197231E-005A-6928-A50B-000000000D00");
  EXPECT_EQ(normalize_value("SourceProcessGUID", "{0197231E-005A-6928-A50B-000000000D00}"), "0197231E-005A-6928-A50B-000000000D00");
  EXPECT_EQ(normalize_value("ActivityID", "{6B3DFF46-F4E6-4CDA-983B-76B101728AA5}"), "6B3DFF46-F4E6-4CDA-983B-76B101728AA5");
  EXPECT_EQ(normalize_value("Id", "{00000000-0000-0000-0000-000000000000}"), "{00000000-0000-0000-0000-000000000000}");
  EXPECT_EQ(normalize_value("Guid", "{0197231E-005A-6928-A50B-000000000D0}"), "{0197231E-005A-6928-A50B-000000000D0}");
  EXPECT_EQ(normalize_value("x", "cmd.exe  \t\r\n"), "cmd.exe");
  EXPECT_EQ(normalize_value("x", "  lead"), "  lead");
  EXPECT_EQ(normalize_value("x", "nbsp\xC2\xA0\xE3\x80\x80"), "nbsp");
  EXPECT_EQ(normalize_value("x", "keep\xE2\x80\x8B"), "keep\xE2\x80\x8B");  // U+200B is not White_Space
}

TEST(EvtxXml, MalformedXmlIsAnError) {
  const char* bad[] = {
      "",
      "   ",
      "just text",
      "<Event>",
      "<Event><System></Event>",
      "<Event></Evnt>",
      "<Event/><Event/>",
      "<Event/>trailing",
      "<Event a=\"1></Event>",
      "<Event a=1></Event>",
      "<Event a></Event>",
      "<Event a=\"1\"b=\"2\"/>",
      "<Event a=\"1\" a=\"2\"/>",
      "<Event a=\"<\"/>",
      "<Event><![CDATA[open</Event>",
      "<Event><!-- open</Event>",
      "<Event><?pi open</Event>",
      "</Event>",
      "<>",
      "<Event><!ELEMENT x></Event>",
      "<Event / >",
      "<Event",
  };
  for (const char* x : bad) {
    auto r = evtx_xml_to_json(x);
    ASSERT_FALSE(r.ok()) << "accepted: " << x << " → " << *r;
    EXPECT_EQ(r.error().code, Errc::malformed) << x << ": " << r.error().message;
    EXPECT_NE(r.error().message.find("XML"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(err_code("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>"), Errc::unsupported);
}

TEST(EvtxXml, MismatchNamesBothTags) {
  auto r = evtx_xml_to_json("<Event><System></Sys></Event>");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("</Sys>"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("<System>"), std::string::npos) << r.error().message;
}

TEST(EvtxXml, Limits) {
  std::string deep;
  for (int i = 0; i < 64; ++i) deep += "<a>";
  for (int i = 0; i < 64; ++i) deep += "</a>";
  EXPECT_EQ(err_code(deep), Errc::ok);
  EXPECT_EQ(err_code("<b>" + deep + "</b>"), Errc::limit);

  std::string very_deep;
  for (int i = 0; i < 200000; ++i) very_deep += "<a>";
  auto r = evtx_xml_to_json(very_deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::limit);
  EXPECT_NE(r.error().message.find("deeper than 64"), std::string::npos) << r.error().message;

  evtx_xml::Limits small;
  small.max_input_bytes = 16;
  EXPECT_EQ(err_code("<Event>0123456789</Event>", small), Errc::limit);
  small = {};
  small.max_attributes = 2;
  EXPECT_EQ(err_code(R"(<E a="1" b="2"/>)", small), Errc::ok);
  EXPECT_EQ(err_code(R"(<E a="1" b="2" c="3"/>)", small), Errc::limit);
  small = {};
  small.max_elements = 3;
  EXPECT_EQ(err_code("<E><a/><b/></E>", small), Errc::ok);
  EXPECT_EQ(err_code("<E><a/><b/><c/></E>", small), Errc::limit);

  // Many siblings with the same name: linear, with suffixes.
  std::string wide = "<E>";
  for (int i = 0; i < 20000; ++i) wide += "<x>1</x>";
  wide += "</E>";
  auto w = evtx_xml_to_json(wide);
  ASSERT_TRUE(w.ok());
  EXPECT_NE(w->find("\"x_19999\":\"1\""), std::string::npos);
  EXPECT_TRUE(valid_json(*w));
}

TEST(EvtxXml, ByteOrderMarkAndDeclaration) {
  EXPECT_EQ(conv("\xEF\xBB\xBF<?xml version=\"1.0\"?><E>x</E>"), R"({"E":"x"})");
}

}  // namespace
}  // namespace lachan::io
