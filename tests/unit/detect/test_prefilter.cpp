// Prefilter soundness: the Vectorscan prefilter only skips rules that cannot match. Random rules
// (fixed seed) with contains / startswith / endswith / equals / regex / windash / cased / all /
// keyword values, negations and long value lists, over a mapping with a field rename, must give
// exactly the same matches with RulesetOptions::use_prefilter on and off, on many generated
// events flattened by the real detect::Flattener.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <string>
#include <vector>

#include "detect/flatten.h"
#include "sigma/ruleset.h"

using namespace lachan;
using namespace lachan::sigma;

namespace {

const std::vector<std::string> kTokens = {
    "powershell", "cmd.exe", "-enc", "/c", "whoami", "rundll32", ".dll", "\\temp\\", "http://", "mimikatz",
    "net user", "admin", "System32", "a", "bc", "\xC3\xA9t\xC3\xA9", "\xE2\x82\xAC", "x", "Invoke-", "sekurlsa", ".exe",
    "\\AppData\\", "schtasks", "/create", "base64", "ab", "0x1f", "svc"};
const std::vector<std::string> kFields = {"CommandLine", "Image", "User", "ParentImage"};

std::string yaml_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\v') {
      out += "\\u000b";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Gen {
  std::mt19937 rng;
  explicit Gen(unsigned seed) : rng(seed) {}
  size_t pick(size_t n) { return rng() % n; }
  bool coin(int percent) { return static_cast<int>(rng() % 100) < percent; }
  const std::string& token() { return kTokens[pick(kTokens.size())]; }

  std::string value_text(bool wildcards) {
    std::string v = token();
    size_t extra = pick(3);
    for (size_t i = 0; i < extra; ++i) {
      if (wildcards && coin(30)) v += coin(70) ? "*" : "?";
      else if (coin(30)) v += " ";
      v += token();
    }
    if (coin(20)) {  // random case changes
      for (auto& c : v)
        if (c >= 'a' && c <= 'z' && coin(30)) c = static_cast<char>(c - 32);
    }
    return v;
  }
  std::string regex() {
    // Regexes without a literal of 4 bytes (run by Vectorscan as regex atoms), some over
    // multi-byte characters, where a byte-wise '.' or \S would differ from RE2's.
    static const char* const kBare[] = {R"(\s[a-f0-9x]{1,2}\s)", R"(\\.t)",   R"(\\[^\\]{1,3}\.)", R"(^a.?b)",
                                        R"(x\Sx)",               R"(\w+\s\w)", R"([A-Z]:\\)",          R"(\x{20ac}.)",
                                        R"((?i)/C\s)",           R"(\.\w{2}$)"};
    if (coin(30)) return kBare[pick(std::size(kBare))];
    std::string r = RE2::QuoteMeta(token());
    if (coin(50)) r += coin(50) ? ".*" : "[^x]{0,4}";
    if (coin(60)) r += RE2::QuoteMeta(token());
    // Alternations: an atom on one side only is not in every match (the prefilter must keep both).
    if (coin(25)) r = "(?:" + r + "|" + RE2::QuoteMeta(token()) + ")" + (coin(50) ? RE2::QuoteMeta(token()) : "");
    if (coin(20)) r = "^" + r;
    if (coin(20)) r = "(?i)" + r;
    return r;
  }

  // One detection item line (indented 4) for a field.
  std::string item(const std::string& field) {
    int kind = static_cast<int>(pick(10));
    std::string key = field, out;
    std::vector<std::string> values;
    size_t nvals = 1 + pick(coin(10) ? 15 : 3);  // sometimes a long list (accelerated contains set)
    if (kind == 0) {
      key += "|re";
      for (size_t i = 0; i < nvals && i < 3; ++i) values.push_back(regex());
    } else {
      static const char* mods[] = {"", "|contains", "|startswith", "|endswith", "|contains", "|contains|all",
                                   "|contains|cased", "|windash|contains", "|contains"};
      key += mods[kind - 1];
      for (size_t i = 0; i < nvals; ++i) values.push_back(value_text(kind != 8));
      if (key.find("|all") != std::string::npos && values.size() < 2) values.push_back(value_text(true));
    }
    if (values.size() == 1) return "    " + key + ": " + yaml_quote(values[0]) + "\n";
    out = "    " + key + ":\n";
    for (const auto& v : values) out += "      - " + yaml_quote(v) + "\n";
    return out;
  }

  std::string rule(int idx) {
    std::string det = "  selection:\n";
    size_t items = 1 + pick(2);
    for (size_t i = 0; i < items; ++i) det += item(kFields[(i + pick(kFields.size())) % kFields.size()]);
    std::string cond = "selection";
    if (coin(30)) {
      det += "  selection_b:\n" + item(kFields[pick(kFields.size())]);
      cond = coin(50) ? "1 of selection*" : "selection or selection_b";
    }
    if (coin(30)) {
      det += "  filter:\n" + item(kFields[pick(kFields.size())]);
      cond = "(" + cond + ") and not filter";
    }
    if (coin(15)) {
      det += "  keywords:\n";
      for (size_t i = 0, n = 1 + pick(3); i < n; ++i) det += "    - " + yaml_quote(value_text(false)) + "\n";
      cond = coin(50) ? cond + " or keywords" : "keywords";
    }
    if (coin(5)) cond = "not selection";  // a rule no literal can select
    return "title: r" + std::to_string(idx) + "\nlogsource:\n  product: windows\n  category: process_creation\n" +
           "detection:\n" + det + "  condition: " + cond + "\n";
  }

  std::string field_text() {
    std::string v;
    size_t n = pick(6);
    for (size_t i = 0; i < n; ++i) {
      if (i) v += coin(50) ? " " : (coin(50) ? "\\" : "");
      std::string t = token();
      if (coin(25))
        for (auto& c : t)
          if (c >= 'a' && c <= 'z' && coin(50)) c = static_cast<char>(c - 32);
      if (coin(10) && !t.empty() && (t[0] == '-' || t[0] == '/')) t = "\xE2\x80\x94" + t.substr(1);  // em dash flag
      if (coin(3)) t += '\v';  // RE2's \S takes it, Vectorscan's does not: such values bypass the regex atoms
      v += t;
    }
    return v;
  }

  std::string event() {
    bool security = coin(40);
    std::string j = security ? R"({"Event":{"System":{"Channel":"Security","EventID":4688},"EventData":{)"
                              : R"({"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{)";
    bool first = true;
    for (const auto& f : kFields) {
      if (coin(15)) continue;  // field absent
      std::string name = f;
      if (security && f == "Image") name = "NewProcessName";
      if (!first) j += ",";
      first = false;
      j += json_quote(name) + ":" + json_quote(field_text());
    }
    if (coin(30)) j += std::string(first ? "" : ",") + "\"Message\":" + json_quote(field_text());
    return j + "}}}";
  }
};

const char* kMapping = R"(
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

struct Side {
  std::shared_ptr<const Ruleset> rs;
  std::unique_ptr<detect::Flattener> flat;
  std::unique_ptr<MatchContext> ctx;
  Event ev;
  LoadStats stats;

  Side(const std::vector<std::string>& rules, bool prefilter, size_t split_literals = 2000, bool anchors = true) {
    RulesetOptions o;
    o.prefilter_split_literals = split_literals;
    o.prefilter_anchors = anchors;
    for (size_t i = 0; i < rules.size(); ++i) o.rule_texts.emplace_back("r" + std::to_string(i) + ".yml", rules[i]);
    o.mapping_text = kMapping;
    o.use_prefilter = prefilter;
    Diagnostics d;
    rs = Ruleset::load(o, d, stats);
    for (const auto& x : d.items())
      if (x.severity == Severity::error) ADD_FAILURE() << x.file << ":" << x.line << " " << x.code << " " << x.message;
    flat = std::make_unique<detect::Flattener>(rs->fields(), rs->needs_keyword_values(), rs->has_event_paths());
    ctx = std::make_unique<MatchContext>(*rs);
  }
  std::vector<std::string> match(const std::string& padded, size_t len) {
    auto r = flat->flatten(std::string_view(padded.data(), len), ev);
    EXPECT_TRUE(r.ok());
    std::vector<uint32_t> hits;
    rs->match(ev, *ctx, hits);
    std::vector<std::string> out;
    for (uint32_t h : hits) out.push_back(rs->rules()[rs->compiled(h).rule].title);
    return out;
  }
};

struct Case {
  std::string json;
  std::vector<std::string> want;  // titles of the rules that fire
};

// Each case gives the titles it wants with the prefilter on and off.
void expect_cases(Side& on, Side& off, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    std::string json = c.json;
    size_t len = json.size();
    json.append(64, ' ');
    EXPECT_EQ(on.match(json, len), c.want) << c.json;
    EXPECT_EQ(off.match(json, len), c.want) << c.json;
  }
}

}  // namespace

// Seeds 4 and 5 split each variant's field-bound literals (the main field's apart, as a large
// corpus does) however few they are; seed 5 scans for the plain, startswith and endswith values
// too instead of looking them up at the values' ends (PrefilterAnchors).
TEST(Prefilter, SameMatchesWithAndWithoutPrefilter) {
  for (unsigned seed : {1u, 2u, 3u, 4u, 5u}) {
    Gen g(seed);
    std::vector<std::string> rules;
    for (int i = 0; i < 150; ++i) rules.push_back(g.rule(i));
    Side on(rules, true, seed >= 4 ? 1 : 2000, seed != 5), off(rules, false);
    if (seed != 5) EXPECT_GT(on.stats.anchored_literals, 50u);
    else EXPECT_EQ(on.stats.anchored_literals, 0u);
    ASSERT_EQ(on.rs->rules().size(), rules.size());
    ASSERT_EQ(off.rs->rules().size(), rules.size());
    EXPECT_GT(on.stats.prefiltered_instances, on.stats.compiled_instances / 2) << "the prefilter should cover most rules";
    EXPECT_GT(on.stats.prefilter_regexes, 0u);
    EXPECT_EQ(off.stats.prefiltered_instances, 0u);
    if (seed >= 4) {
      EXPECT_GT(on.stats.split_prefilters, 0u);
    }
    size_t total = 0;
    for (int i = 0; i < 3000; ++i) {
      std::string json = g.event();
      size_t len = json.size();
      json.append(64, ' ');
      auto a = on.match(json, len);
      auto b = off.match(json, len);
      ASSERT_EQ(a, b) << "seed " << seed << " event " << json.substr(0, len);
      total += a.size();
    }
    EXPECT_GT(total, 300u) << "seed " << seed << ": too few matches for the comparison to mean much";
  }
}

// The prefilter keeps one atom where every match must contain it (the longest literal a regex
// requires; the rarer side of an AND): hand-written rules where a short common literal (".exe")
// and a long rare one are both required, and regexes whose literals are only alternatives.
TEST(Prefilter, RequiredAtomsAndAlternatives) {
  std::vector<std::string> rules = {
      "title: wsass\nlogsource: {product: windows, category: process_creation}\ndetection:\n"
      R"(  sel:
    CommandLine|re: '(?i)\.exe"?\s+[^"]{0,64}werfaultsecure\.exe"?\s+\d{2,10}')" "\n"
      "  condition: sel\n",
      "title: alternatives\nlogsource: {product: windows, category: process_creation}\ndetection:\n"
      "  sel:\n    CommandLine|re: '(?:mimikatz|rundll32)\\.dll|whoami'\n  condition: sel\n",
      "title: freeze\nlogsource: {product: windows, category: process_creation}\ndetection:\n"
      "  sel:\n    Image|contains: ['\\EDR-Freeze', '\\EDRFreeze']\n    Image|endswith: '.exe'\n  condition: sel\n"};
  Side on(rules, true), off(rules, false);
  ASSERT_EQ(on.rs->rules().size(), rules.size());
  EXPECT_EQ(on.stats.prefiltered_instances, on.stats.compiled_instances);
  auto ev = [](const std::string& image, const std::string& cmd) {
    std::string j = R"({"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{"Image":)" +
                    json_quote(image) + R"(,"CommandLine":)" + json_quote(cmd) + "}}}";
    return j;
  };
  std::vector<Case> cases = {
      {ev("C:\\x\\wsass.exe", "wsass.exe C:\\w\\WerFaultSecure.exe\" 1234"), {"wsass"}},
      {ev("C:\\x\\a.exe", "a.exe werfaultsecure.exe x"), {}},
      {ev("C:\\x\\a.exe", "run MIMIKATZ.dll"), {}},  // case-sensitive regex
      {ev("C:\\x\\a.exe", "run rundll32.dll"), {"alternatives"}},
      {ev("C:\\x\\a.exe", "whoami /all"), {"alternatives"}},
      {ev("C:\\t\\EDRFreeze.exe", "x"), {"freeze"}},
      {ev("C:\\t\\EDRFreeze.dll", "x"), {}},
      {ev("C:\\t\\edr-freeze\\run.exe", "whoami"), {"alternatives", "freeze"}},
  };
  expect_cases(on, off, cases);
}

// Rules are candidates only when every clause of their necessary condition has a literal in the
// event (here: a common company name AND a rare image name); keyword literals are scanned over
// every value while field-bound ones see only their fields; a regex whose literals are too short
// for the prefilter runs only where its guard literal (a backtick, "/c") occurs; and a
// case-insensitive regex over non-ASCII text is not reduced to literals the ASCII-caseless scan
// would miss ("ПРИВЕТ" against (?i)привет).
TEST(Prefilter, ClausesKeywordsGuardsAndNonAsciiCase) {
  auto rule = [](const std::string& title, const std::string& det) {
    return "title: " + title + "\nlogsource: {product: windows, category: process_creation}\ndetection:\n" + det;
  };
  std::vector<std::string> rules = {
      rule("csi", "  sel_img:\n    - Image|endswith: '\\csi.exe'\n    - OriginalFileName: 'csi.exe'\n"
                  "  sel_company:\n    Company: 'Microsoft Corporation'\n  condition: all of sel_*\n"),
      rule("perfc", "  sel:\n    Image|endswith: '\\rundll32.exe'\n    CommandLine|endswith: '.dat,#1'\n"
                    "  keyword:\n    - '\\perfc.dat'\n  condition: 1 of sel* or keyword\n"),
      rule("backtick", "  sel:\n    CommandLine|re: '\\w+`\\w+'\n  condition: sel\n"),
      rule("cmd", "  sel:\n    CommandLine|re: 'cmd.{0,5}(?:/c|/r)\\s'\n  condition: sel\n"),
      rule("privet", "  sel:\n    CommandLine|re: '(?i)привет'\n  condition: sel\n"),
  };
  Side on(rules, true), off(rules, false);
  ASSERT_EQ(on.rs->rules().size(), rules.size());
  auto ev = [](const std::string& image, const std::string& cmd, const std::string& company, const std::string& extra) {
    return R"({"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{"Image":)" +
           json_quote(image) + R"(,"CommandLine":)" + json_quote(cmd) + R"(,"Company":)" + json_quote(company) +
           R"(,"Other":)" + json_quote(extra) + "}}}";
  };
  std::vector<Case> cases = {
      {ev("C:\\x\\csi.exe", "csi", "Microsoft Corporation", ""), {"csi"}},
      {ev("C:\\x\\CSI.EXE", "csi", "microsoft corporation", ""), {"csi"}},
      {ev("C:\\x\\csi.exe", "csi", "Contoso", ""), {}},
      {ev("C:\\x\\notepad.exe", "n", "Microsoft Corporation", ""), {}},
      {ev("C:\\x\\a.exe", "x", "c", "C:\\Windows\\PERFC.DAT"), {"perfc"}},  // keyword in a field no rule names
      {ev("C:\\x\\a.exe", "x", "c", "perfc.dat"), {}},
      {ev("C:\\x\\a.exe", "powershell i`ex x", "c", ""), {"backtick"}},
      {ev("C:\\x\\a.exe", "powershell iex `", "c", "a`b"), {}},
      {ev("C:\\x\\a.exe", "CMD.exe /C dir", "c", ""), {}},  // the regex is case-sensitive
      {ev("C:\\x\\a.exe", "cmd.exe /c dir", "c", ""), {"cmd"}},
      {ev("C:\\x\\a.exe", "echo ПРИВЕТ мир", "c", ""), {"privet"}},
      {ev("C:\\x\\a.exe", "echo привет", "c", ""), {"privet"}},
      {ev("C:\\x\\a.exe", "echo hello", "c", "привет"), {}},
  };
  expect_cases(on, off, cases);
}

// A regex with no literal of 4 bytes, and contains values shorter than 4 bytes, are no longer
// evaluated on every event of their log source: Vectorscan runs them over their field's values
// (regex atoms) and the rule is a candidate only where one may match. Values Vectorscan cannot
// answer for as RE2 would (a vertical tab, bytes that are not UTF-8) make every regex atom of
// their field hold, so RE2 and the rule still decide.
TEST(Prefilter, RegexAtomsAndShortLiterals) {
  auto rule = [](const std::string& title, const std::string& det) {
    return "title: " + title + "\nlogsource: {product: windows, category: process_creation}\ndetection:\n" + det;
  };
  std::vector<std::string> rules = {
      rule("hexargs", "  sel:\n    CommandLine|re: '\\s[a-fA-F0-9]{8}\\s[a-fA-F0-9]{4}'\n  condition: sel\n"),
      rule("caret", "  sel:\n    CommandLine|contains:\n      - '^^'\n      - ',;,'\n  condition: sel\n"),
      rule("short", "  sel:\n    CommandLine|contains: '~1\\'\n  filter:\n    Image|endswith: '\\ok.exe'\n"
                    "  condition: sel and not filter\n"),
      rule("anychar", "  sel:\n    CommandLine|re: 'x\\Sx'\n  condition: sel\n"),
  };
  Side on(rules, true), off(rules, false);
  ASSERT_EQ(on.rs->rules().size(), rules.size());
  EXPECT_EQ(on.stats.prefiltered_instances, on.stats.compiled_instances) << "no rule should run on every event";
  EXPECT_GE(on.stats.prefilter_regexes, 5u);
  auto ev = [](const std::string& image, const std::string& cmd) {
    return R"({"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{"Image":)" +
           json_quote(image) + R"(,"CommandLine":)" + json_quote(cmd) + "}}}";
  };
  std::vector<Case> cases = {
      {ev("C:\\a.exe", "jp.exe deadBEEF 0a1b"), {"hexargs"}},
      {ev("C:\\a.exe", "jp.exe deadBEEF"), {}},
      {ev("C:\\a.exe", "jp.exe deadbeeg 0a1b"), {}},
      {ev("C:\\a.exe", "c^^md /c"), {"caret"}},
      {ev("C:\\a.exe", "cmd ,;, x"), {"caret"}},
      {ev("C:\\a.exe", "c^md"), {}},
      {ev("C:\\a.exe", "type C:\\PROGRA~1\\x"), {"short"}},
      {ev("C:\\ok.exe", "type C:\\PROGRA~1\\x"), {}},
      {ev("C:\\a.exe", "type C:\\PROGRA~2\\x"), {}},
      {ev("C:\\a.exe", "x\xC3\xA9x"), {"anychar"}},  // one character of two bytes
      {ev("C:\\a.exe", "x\vx ^^"), {"caret", "anychar"}},
      {ev("C:\\a.exe", "x  x"), {}},
  };
  expect_cases(on, off, cases);

  // Text that is not UTF-8 (as a syslog or CSV line may hold) is not given to Vectorscan.
  auto hand_built = [](Side& side) {
    Event e;
    const FieldRegistry& f = side.rs->fields();
    e.reset(f.size());
    e.add(f.find("Channel"), "Microsoft-Windows-Sysmon/Operational", ValueKind::string);
    e.add(f.find("EventID"), "1", ValueKind::number);
    e.add(f.find("CommandLine"), "\xFF xax 12345678 1234 \xFE", ValueKind::string);
    std::vector<uint32_t> hits;
    side.rs->match(e, *side.ctx, hits);
    std::vector<std::string> titles;
    for (uint32_t h : hits) titles.push_back(side.rs->rules()[side.rs->compiled(h).rule].title);
    return titles;
  };
  const std::vector<std::string> want = {"hexargs", "anychar"};
  EXPECT_EQ(hand_built(on), want);
  EXPECT_EQ(hand_built(off), want);
}

// Long lists of equals / startswith / endswith values are answered by hash lookups (AffixSet):
// the same matches as comparing each value, case-insensitively, over every value of an array
// field, never on a null, with upper-case list values, and with the list's other values (a glob,
// the empty string) still tested.
TEST(Prefilter, LongValueListsByHashLookup) {
  auto rule = [](const std::string& title, const std::string& det) {
    return "title: " + title + "\nlogsource: {product: windows, category: process_creation}\ndetection:\n" + det +
           "  condition: sel\n";
  };
  std::vector<std::string> rules = {
      rule("ends", "  sel:\n    Image|endswith: ['\\a.exe', '\\bb.exe', '\\ccc.exe', '\\dddd.exe', '\\e.exe', '\\ff.exe', "
                   "'\\g*h.exe', '\\Cased.exe']\n"),
      rule("starts", "  sel:\n    CommandLine|startswith: ['net ', 'net1 ', 'whoami', 'ipconfig /all', 'arp -a', "
                     "'route print', 'Q?Z']\n"),
      rule("equals", "  sel:\n    User:\n      - 'NT AUTHORITY\\SYSTEM'\n      - 'root'\n      - 'admin'\n      - 'svc'\n"
                     "      - 'guest'\n      - 'Ü'\n      - ''\n"),
      // One selection, a list of maps: equals, startswith and endswith values of one field.
      rule("mixed", "  sel:\n    - ParentImage: ['x1', 'x22', 'x333', 'y4']\n"
                    "    - ParentImage|startswith: ['p1', 'p22', 'p333', 'p4444', 'p5', 'p66']\n"
                    "    - ParentImage|endswith: ['e1', 'e22', 'e333', 'e4444', 'e5', 'e66']\n"),
  };
  Side on(rules, true), off(rules, false);
  ASSERT_EQ(on.rs->rules().size(), rules.size());
  auto ev = [](const std::string& data) {
    return R"({"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{)" + data + "}}}";
  };
  std::vector<Case> cases = {
      {ev(R"("Image":"C:\\x\\A.EXE")"), {"ends"}},
      {ev(R"("Image":"C:\\x\\dddd.exe")"), {"ends"}},
      {ev(R"("Image":"C:\\x\\xdddd.exe")"), {}},
      {ev(R"("Image":"\\ccc.exe")"), {"ends"}},
      {ev(R"("Image":"ccc.exe")"), {}},
      {ev(R"("Image":"C:\\g123h.exe")"), {"ends"}},
      {ev(R"("Image":"C:\\cased.exe")"), {"ends"}},
      {ev(R"("Image":["C:\\z.exe","C:\\y\\ff.exe"])"), {"ends"}},
      {ev(R"("Image":null)"), {}},
      {ev(R"("CommandLine":"NET user x")"), {"starts"}},
      {ev(R"("CommandLine":"net")"), {}},
      {ev(R"("CommandLine":"IPConfig /ALL")"), {"starts"}},
      {ev(R"("CommandLine":"x whoami")"), {}},
      {ev(R"("CommandLine":"QxZ")"), {"starts"}},
      {ev(R"("User":"nt authority\\system")"), {"equals"}},
      {ev(R"("User":"root ")"), {}},
      {ev(R"("User":"ü")"), {}},
      {ev(R"("User":"Ü")"), {"equals"}},
      {ev(R"("User":"")"), {"equals"}},
      {ev(R"("User":"GUEST")"), {"equals"}},
      {ev(R"("ParentImage":"X22")"), {"mixed"}},
      {ev(R"("ParentImage":"y4")"), {"mixed"}},
      {ev(R"("ParentImage":"p4444zzz")"), {"mixed"}},
      {ev(R"("ParentImage":"zzze4444")"), {"mixed"}},
      {ev(R"("ParentImage":"p")"), {}},
      {ev(R"("ParentImage":"x2")"), {}},
  };
  expect_cases(on, off, cases);
}

// Plain, startswith and endswith values are prefilter atoms looked up at the value's ends
// (PrefilterAnchors), cut to their first or last 8 bytes: a value that has the cut atom but not
// the whole literal is evaluated and does not match; whole values longer than a word and than 64
// bytes, case differences, `cased` values (lowercased for the lookup, exact in the rule), and
// endswith values too short to anchor (left to the regex atoms) match as without the prefilter.
TEST(Prefilter, AnchoredLiteralsAreLookedUp) {
  auto rule = [](const std::string& title, const std::string& det) {
    return "title: " + title + "\nlogsource: {product: windows, category: process_creation}\ndetection:\n" + det +
           "  condition: sel\n";
  };
  const std::string long_cmd(70, 'q');
  std::vector<std::string> rules = {
      rule("ends", "  sel:\n    Image|endswith: '\\Tools\\Very-Long-Name.exe'\n"),
      rule("starts", "  sel:\n    ParentImage|startswith: 'C:\\Users\\Public\\'\n"),
      rule("user", "  sel:\n    User: 'NT AUTHORITY\\SYSTEM'\n"),
      rule("level", "  sel:\n    IntegrityLevel: 'High'\n"),
      rule("longcmd", "  sel:\n    CommandLine: '" + long_cmd + "'\n"),
      rule("cased", "  sel:\n    Image|endswith|cased: '\\Csi.exe'\n"),
      rule("short", "  sel:\n    Image|endswith: '.7'\n"),
  };
  Side on(rules, true), off(rules, false), scanned(rules, true, 2000, false);
  ASSERT_EQ(on.rs->rules().size(), rules.size());
  EXPECT_EQ(on.stats.prefiltered_instances, on.stats.compiled_instances) << "no rule should run on every event";
  EXPECT_EQ(on.stats.anchored_literals, 12u);  // six, in each of the two variants
  EXPECT_EQ(scanned.stats.anchored_literals, 0u);
  auto ev = [](const std::string& field, const std::string& value) {
    return R"({"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{)" +
           json_quote(field) + ":" + json_quote(value) + "}}}";
  };
  std::vector<Case> cases = {
      {ev("Image", "C:\\TOOLS\\very-long-name.EXE"), {"ends"}},
      {ev("Image", "C:\\x\\other-long-name.exe"), {}},  // ends with the cut atom only
      {ev("Image", "C:\\Tools\\Very-Long-Name.exe "), {}},
      {ev("ParentImage", "c:\\users\\public\\x.exe"), {"starts"}},
      {ev("ParentImage", "C:\\Users\\bob\\x.exe"), {}},  // starts with the cut atom only
      {ev("ParentImage", "C:\\User"), {}},
      {ev("User", "nt authority\\system"), {"user"}},
      {ev("User", "NT AUTHORITY\\SYSTEM2"), {}},
      {ev("User", "NT AUTHORITY"), {}},
      {ev("IntegrityLevel", "HIGH"), {"level"}},
      {ev("IntegrityLevel", "Highest"), {}},
      {ev("CommandLine", long_cmd), {"longcmd"}},
      {ev("CommandLine", long_cmd + "q"), {}},
      {ev("CommandLine", "Q" + long_cmd.substr(1)), {"longcmd"}},
      {ev("Image", "C:\\x\\Csi.exe"), {"cased"}},
      {ev("Image", "C:\\x\\csi.exe"), {}},
      {ev("Image", "C:\\x\\a.7"), {"short"}},
      {ev("Image", "C:\\x\\a.70"), {}},
  };
  expect_cases(on, off, cases);
  for (const auto& c : cases) {
    std::string json = c.json;
    size_t len = json.size();
    json.append(64, ' ');
    EXPECT_EQ(scanned.match(json, len), c.want) << c.json;
  }
}

// A test several rules have (same fields after mapping, modifiers and values) is one shared
// matcher whose remembered result holds for one event only: each rule still gets its own answer
// under `not`, with other tests, across consecutive events, and on a variant whose mapping
// renames the field (there the test is another matcher).
TEST(Prefilter, SharedTestsAreEvaluatedOncePerEvent) {
  auto rule = [](const std::string& title, const std::string& det, const std::string& cond) {
    return "title: " + title + "\nlogsource: {product: windows, category: process_creation}\ndetection:\n" + det +
           "  condition: " + cond + "\n";
  };
  std::vector<std::string> rules = {
      rule("a", "  sel:\n    Image|endswith: '\\cmd.exe'\n", "sel"),
      rule("b", "  sel:\n    Image|endswith: '\\cmd.exe'\n  f:\n    User: x\n", "sel and not f"),
      rule("c", "  f2:\n    Image|endswith: '\\cmd.exe'\n", "not f2"),
      rule("d", "  sel:\n    Image|endswith: '\\cmd.exe'\n    User: x\n", "sel"),
  };
  Side on(rules, true), off(rules, false);
  ASSERT_EQ(on.rs->rules().size(), rules.size());
  EXPECT_GT(on.rs->shared_matchers(), 0u);
  auto sysmon = [](const std::string& data) {
    return R"({"Event":{"System":{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1},"EventData":{)" + data + "}}}";
  };
  auto security = [](const std::string& data) {
    return R"({"Event":{"System":{"Channel":"Security","EventID":4688},"EventData":{)" + data + "}}}";
  };
  std::vector<Case> cases = {
      {sysmon(R"("Image":"C:\\cmd.exe","User":"y")"), {"a", "b"}},
      {sysmon(R"("Image":"C:\\notepad.exe","User":"x")"), {"c"}},
      {sysmon(R"("Image":"C:\\CMD.EXE","User":"x")"), {"a", "d"}},
      {sysmon(R"("Image":"C:\\cmd.exe","User":"y")"), {"a", "b"}},
      {security(R"("NewProcessName":"C:\\cmd.exe","User":"y")"), {"a", "b"}},
      {security(R"("Image":"C:\\cmd.exe","User":"x")"), {"c"}},
      {sysmon(R"("Image":"C:\\x.exe")"), {"c"}},
  };
  expect_cases(on, off, cases);
}
