// STIX 2.1 import and export: real OASIS / MITRE bundles, every Indicator field, errors that
// keep nothing, and export -> import round trips.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "intel/stix_export.h"
#include "intel/stix_import.h"
#include "intel/stix_pattern.h"

namespace lachan::intel {
namespace {

namespace fs = std::filesystem;

const fs::path kStix = fs::path(LACHAN_SHARED_DATA) / "intel" / "stix" / "examples";
const fs::path kIcs = fs::path(LACHAN_SHARED_DATA) / "intel" / "attack" / "ics-attack-18.1.json";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ImportBatch import_ok(std::string_view json, const ImportOptions& opts = {}) {
  auto r = import_stix(json, opts);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : ImportBatch{};
}

const Indicator* find_indicator(const ImportBatch& b, std::string_view ref) {
  for (const auto& i : b.indicators)
    if (i.ref == ref) return &i;
  return nullptr;
}

constexpr const char* kIndicatorId = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";

// One indicator with every field, its producer, a TLP 1.0-style marking definition, and an
// ATT&CK technique linked by an `indicates` relationship.
const char* kFullBundle = R"({
  "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
  "objects": [
    {"type": "identity", "spec_version": "2.1", "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
     "created": "2016-08-23T18:05:49.307Z", "modified": "2016-08-23T18:05:49.307Z", "name": "CERT Example",
     "identity_class": "organization"},
    {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--11111111-2222-4333-8444-555555555555",
     "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": "red"}},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
     "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-07T20:03:48.000Z",
     "name": "C2 node", "description": "Known C2", "indicator_types": ["malicious-activity"],
     "pattern": "[ipv4-addr:value = '198.51.100.1' OR domain-name:value = 'C2.Evil.Example']",
     "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z", "valid_until": "2017-01-01T00:00:00.5Z",
     "confidence": 85, "labels": ["c2", "t1071.001"], "revoked": false,
     "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "command-and-control"}],
     "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                             "marking-definition--11111111-2222-4333-8444-555555555555"]},
    {"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--7b211ac6-c815-4189-93a9-ab415deca926",
     "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "name": "Web Protocols",
     "external_references": [{"source_name": "mitre-attack", "external_id": "T1071.001"},
                             {"source_name": "capec", "external_id": "CAPEC-1"}]},
    {"type": "attack-pattern", "spec_version": "2.1", "id": "attack-pattern--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22",
     "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "name": "Proxy",
     "external_references": [{"source_name": "mitre-attack", "external_id": "T1090"}]},
    {"type": "relationship", "spec_version": "2.1", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
     "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z", "relationship_type": "indicates",
     "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
     "target_ref": "attack-pattern--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22"},
    {"type": "x-acme-widget", "id": "x-acme-widget--2f5a0d8c-1b4a-4b8e-9c47-3f5d7a1e2b3c", "name": "custom"},
    {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"}
  ]})";

TEST(StixImport, EveryIndicatorField) {
  ImportOptions opts;
  opts.source = "upload.json";
  ImportBatch b = import_ok(kFullBundle, opts);
  ASSERT_EQ(b.indicators.size(), 1u);
  const Indicator& i = b.indicators[0];
  EXPECT_EQ(i.ref, kIndicatorId);
  EXPECT_EQ(i.name, "C2 node");
  EXPECT_EQ(i.description, "Known C2");
  EXPECT_EQ(i.any_of, (std::vector<std::vector<Observable>>{{{ValueType::ip, "198.51.100.1"}},
                                                            {{ValueType::domain, "c2.evil.example"}}}));
  EXPECT_EQ(i.source, "CERT Example");          // the created_by_ref identity, not opts.source
  EXPECT_EQ(i.tlp, Tlp::red);                   // the most restrictive: green and a TLP red definition
  EXPECT_EQ(i.confidence, 85);
  EXPECT_EQ(i.created_ms, 1459973028000);
  EXPECT_EQ(i.modified_ms, 1460059428000);
  EXPECT_EQ(i.valid_from_ms, 1451606400000);
  EXPECT_EQ(i.valid_until_ms, 1483228800500);
  EXPECT_EQ(i.tags, (std::vector<std::string>{"c2", "t1071.001"}));
  EXPECT_EQ(i.attack, (std::vector<std::string>{"T1071.001", "T1090"}));  // the label, then the relationship
  EXPECT_EQ(i.kill_chain, (std::vector<std::string>{"lockheed-martin-cyber-kill-chain:command-and-control"}));
  EXPECT_FALSE(i.revoked);
  ASSERT_EQ(b.objects.size(), 7u);
  EXPECT_EQ(b.objects[0].type, "identity");
  EXPECT_EQ(b.objects[0].name, "CERT Example");
  EXPECT_EQ(b.objects[0].tlp, Tlp::amber);  // unmarked: the default
  EXPECT_EQ(b.objects[1].tlp, Tlp::red);    // a TLP marking definition is as shareable as its level
  EXPECT_EQ(b.objects[5].type, "x-acme-widget");
  EXPECT_EQ(b.objects[6].type, "ipv4-addr");
  EXPECT_EQ(b.objects[2].modified_ms, 1577836800000);
  // The kept JSON is the object itself.
  auto v = boost::json::parse(b.objects[2].json);
  EXPECT_EQ(v.at("name").as_string(), "Web Protocols");
  EXPECT_TRUE(b.notes.empty());
}

TEST(StixImport, SingleObjectEnvelopeAndDefaults) {
  const char* one = R"({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
    "pattern": "[url:value = 'http://evil.example/x']", "pattern_type": "stix", "valid_from": "2016-04-06T20:03:48Z"})";
  ImportOptions opts;
  opts.source = "feed A";
  opts.default_tlp = Tlp::green;
  ImportBatch b = import_ok(one, opts);
  ASSERT_EQ(b.indicators.size(), 1u);
  EXPECT_EQ(b.indicators[0].source, "feed A");  // the identity is not in the input
  EXPECT_EQ(b.indicators[0].tlp, Tlp::green);
  EXPECT_EQ(b.indicators[0].confidence, -1);
  EXPECT_EQ(b.indicators[0].any_of[0][0].value, "http://evil.example/x");
  ImportBatch env = import_ok(std::string(R"({"more": false, "objects": [)") + one + "]}");
  ASSERT_EQ(env.indicators.size(), 1u);
  EXPECT_EQ(env.indicators[0].tlp, Tlp::amber);
  EXPECT_TRUE(import_ok(R"({"more": false})").indicators.empty());
  EXPECT_TRUE(import_ok(R"({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"})").objects.empty());
}

TEST(StixImport, OtherPatternLanguagesAreKeptAsObjects) {
  const char* sigma = R"({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "pattern_type": "sigma",
     "pattern": "title: x\ndetection: {sel: {a: b}, condition: sel}", "valid_from": "2016-04-06T20:03:48Z"},
    {"type": "indicator", "id": "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "labels": ["malicious-activity"],
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
     "pattern": "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']", "valid_from": "2016-04-06T20:03:48Z"}]})";
  ImportBatch b = import_ok(sigma);
  ASSERT_EQ(b.objects.size(), 1u);
  EXPECT_EQ(b.objects[0].type, "indicator");
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("sigma"), std::string::npos);
  // STIX 2.0: no spec_version, no pattern_type: a STIX pattern.
  ASSERT_EQ(b.indicators.size(), 1u);
  EXPECT_EQ(b.indicators[0].any_of[0][0], (Observable{ValueType::md5, "d41d8cd98f00b204e9800998ecf8427e"}));
}

TEST(StixImport, MalformedInputKeepsNothing) {
  const std::string ind_head =
      R"({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "valid_from": "2016-04-06T20:03:48Z")";
  auto ind = [&](std::string extra) { return ind_head + extra + "}"; };
  auto bundle = [](std::string objs) {
    return R"({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [)" + objs + "]}";
  };
  const std::string good = ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']")");
  struct Case {
    std::string input;
    Errc code;
    const char* needle;
  };
  const Case cases[] = {
      {"{not json", Errc::malformed, "not JSON"},
      {"[1, 2]", Errc::malformed, "not a JSON object"},
      {R"({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": {}})", Errc::malformed, "'objects'"},
      {R"({"id": "x"})", Errc::malformed, "no 'type'"},
      {bundle(good + ", 5"), Errc::malformed, "object #1 is not a JSON object"},
      {bundle(good + R"(, {"id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})"), Errc::malformed, "#1: 'type' is missing"},
      {bundle(R"({"type": "malware", "created": "2016-04-06T20:03:48.000Z"})"), Errc::malformed, "'id' is missing"},
      {bundle(R"({"type": "malware", "id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})"), Errc::malformed, "'id' must be 'malware--<uuid>'"},
      {bundle(R"({"type": "malware", "id": "malware--8e2e2d2b-17d4"})"), Errc::malformed, "'id' must be"},
      {bundle(R"({"type": "Mal ware", "id": "Mal ware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})"), Errc::malformed, "not a STIX type"},
      {bundle(good + "," + ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4'", "confidence": 5)")), Errc::malformed,
       "object #1 (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f): 'pattern': stix pattern: at byte 28"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "confidence": "high")")), Errc::malformed, "'confidence'"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "confidence": 101)")), Errc::malformed, "'confidence' must be an integer"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "confidence": 50.5)")), Errc::malformed, "'confidence'"},
      {bundle(ind(R"(, "pattern_type": "stix")")), Errc::malformed, "'pattern' is missing"},
      {bundle(ind(R"(, "pattern": 5)")), Errc::malformed, "'pattern' must be a string"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "valid_until": "tomorrow")")), Errc::malformed, "'valid_until' is not an RFC 3339"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "labels": "x")")), Errc::malformed, "'labels' must be a list"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "labels": [1])")), Errc::malformed, "'labels' must be a list of strings"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "revoked": "no")")), Errc::malformed, "'revoked'"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "kill_chain_phases": [{"phase_name": "x"}])")), Errc::malformed, "'kill_chain_name' is missing"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4']", "external_references": [{"url": "x"}])")), Errc::malformed, "'source_name' is missing"},
      {bundle(R"({"type": "malware", "spec_version": "2.1", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "modified": "2016-04-06T20:03:48.000Z"})"), Errc::malformed, "'created' is missing"},
      {bundle(R"({"type": "malware", "spec_version": "2.1", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-13-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z"})"), Errc::malformed, "'created' is not an RFC 3339"},
      {bundle(R"({"type": "relationship", "spec_version": "2.1", "id": "relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "source_ref": "a"})"), Errc::malformed, "'relationship_type' is missing"},
      {bundle(R"({"type": "malware", "spec_version": "3.0", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z"})"), Errc::unsupported, "spec_version '3.0'"},
      {bundle(ind(R"(, "pattern": "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.example']", "name": 7)")), Errc::malformed, "'name' must be a string"},
  };
  for (const auto& c : cases) {
    auto r = import_stix(c.input, {});
    ASSERT_FALSE(r.ok()) << c.input;
    EXPECT_EQ(r.error().code, c.code) << c.input << " -> " << r.error().message;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << c.input << " -> " << r.error().message;
  }
  // A value that does not normalise is noted, the rest kept (real bundles have them).
  ImportBatch b = import_ok(bundle(ind(R"(, "pattern": "[domain-name:value = 'not a domain' OR ipv4-addr:value = '1.2.3.4']")")));
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("not a domain"), std::string::npos);
  EXPECT_EQ(b.indicators[0].any_of.size(), 1u);
}

TEST(StixImport, TooManyObjects) {
  ImportOptions opts;
  opts.max_objects = 2;
  std::string obj = R"({"type": "x-thing", "id": "x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})";
  EXPECT_TRUE(import_stix(R"({"objects": [)" + obj + "," + obj + "]}", opts).ok());
  auto r = import_stix(R"({"objects": [)" + obj + "," + obj + "," + obj + "]}", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::limit);
}

TEST(StixImport, OasisExamplesImport) {
  if (!fs::exists(kStix)) GTEST_SKIP() << kStix << " is missing";
  size_t files = 0, indicators = 0;
  for (const auto& e : fs::recursive_directory_iterator(kStix)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    std::string text = read(e.path());
    ImportBatch b = import_ok(text);
    auto v = boost::json::parse(text).as_object();
    size_t want_ind = 0, want_all = 1;
    if (v.contains("objects")) {
      want_all = v["objects"].as_array().size();
      for (const auto& o : v["objects"].as_array()) want_ind += o.at("type") == "indicator";
    }
    EXPECT_EQ(b.indicators.size(), want_ind) << e.path();
    EXPECT_EQ(b.indicators.size() + b.objects.size(), want_all) << e.path();
    indicators += b.indicators.size();
    ++files;
  }
  EXPECT_EQ(files, 8u);
  EXPECT_EQ(indicators, 43u);

  ImportBatch coa = import_ok(read(kStix / "indicators-for-C2-with-COA.json"));
  ASSERT_EQ(coa.indicators.size(), 2u);
  bool saw_hash = false;
  for (const auto& i : coa.indicators)
    if (!i.any_of.empty() && i.any_of[0][0].type == ValueType::sha256) {
      saw_hash = true;
      EXPECT_EQ(i.any_of[0][0].value, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c");
      EXPECT_EQ(i.tlp, Tlp::amber);
    }
  EXPECT_TRUE(saw_hash);

  // poisonivy: 25 indicators, one with "domain autuo.xicp.net" (noted, its address still indexed).
  ImportBatch pi = import_ok(read(kStix / "threat-reports" / "poisonivy.json"));
  EXPECT_EQ(pi.indicators.size(), 25u);
  ASSERT_EQ(pi.notes.size(), 1u);
  EXPECT_NE(pi.notes[0].find("domain autuo.xicp.net"), std::string::npos);
  size_t with_terms = 0;
  for (const auto& i : pi.indicators) with_terms += !i.any_of.empty();
  EXPECT_EQ(with_terms, 25u);

  // apt1: x509 indicators have nothing indexable; CIDR ranges are addresses.
  ImportBatch apt1 = import_ok(read(kStix / "threat-reports" / "apt1.json"));
  size_t empty = 0;
  for (const auto& i : apt1.indicators) empty += i.any_of.empty();
  EXPECT_EQ(empty, 2u);
  EXPECT_EQ(apt1.indicators[0].any_of, (std::vector<std::vector<Observable>>{{{ValueType::ip, "223.166.0.0/15"}}}));

  // interop-objectmarking-test: one campaign object, marked TLP 1.0 red.
  ImportBatch one = import_ok(read(kStix / "interop-objectmarking-test.json"));
  ASSERT_EQ(one.objects.size(), 1u);
  EXPECT_EQ(one.objects[0].tlp, Tlp::red);
}

TEST(StixImport, AttackIcsBundle) {
  if (!fs::exists(kIcs)) GTEST_SKIP() << kIcs << " is missing";
  ImportBatch b = import_ok(read(kIcs));
  EXPECT_TRUE(b.indicators.empty());
  EXPECT_EQ(b.objects.size(), 1826u);
  size_t patterns = 0, xmitre = 0;
  for (const auto& o : b.objects) {
    patterns += o.type == "attack-pattern";
    xmitre += o.type.rfind("x-mitre-", 0) == 0;
  }
  EXPECT_EQ(patterns, 95u);
  EXPECT_EQ(xmitre, 250u);
  const IntelObject* block = nullptr;
  for (const auto& o : b.objects)
    if (o.id == "attack-pattern--008b8f56-6107-48be-aa9f-746f927dbb61") block = &o;
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->name, "Block Command Message");
  EXPECT_EQ(block->modified_ms, *parse_stix_timestamp("2025-04-15T19:58:01.218Z"));
}

Indicator sample(std::string ref) {
  Indicator i;
  i.ref = std::move(ref);
  i.name = "Evil C2";
  i.description = "it's \"quoted\"";
  i.any_of = {{{ValueType::ip, "198.51.100.0/24"}}, {{ValueType::domain, "c2.evil.example"}, {ValueType::url, "http://c2.evil.example/x"}}};
  i.source = "misp:CIRCL";
  i.tlp = Tlp::amber_strict;
  i.confidence = 70;
  i.created_ms = 1700000000123;
  i.modified_ms = 1700000100000;
  i.valid_from_ms = 1700000000000;
  i.valid_until_ms = 1800000000000;
  i.tags = {"botnet", "c2"};
  i.attack = {"T1071.001", "T1090"};
  i.kill_chain = {"mitre-attack:command-and-control"};
  return i;
}

TEST(StixExport, RoundTrip) {
  Indicator a = sample(kIndicatorId);
  Indicator b = sample("feed--abuse--ip--198.51.100.7");
  b.pattern = pattern_for({ValueType::ip, "198.51.100.7"});
  b.any_of = {{{ValueType::ip, "198.51.100.7"}}};
  b.tlp = Tlp::clear;
  b.confidence = -1;
  b.attack.clear();
  b.revoked = true;
  IntelObject mal{"malware--fade08cb-fa1c-4f52-9d6d-f4bd0ea2a5e2", "malware", "PIVY",
                  R"({"type":"malware","spec_version":"2.1","id":"malware--fade08cb-fa1c-4f52-9d6d-f4bd0ea2a5e2","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"PIVY","is_family":true})",
                  1459973028000, Tlp::green};
  IntelObject broken{"x", "x", "", "not json", 0, Tlp::amber};
  std::string bundle = export_stix_bundle({a, b}, {mal, broken});
  EXPECT_EQ(export_stix_bundle({a, b}, {mal, broken}), bundle);  // deterministic

  ImportBatch back = import_ok(bundle);
  ASSERT_EQ(back.indicators.size(), 2u);
  const Indicator* ra = find_indicator(back, kIndicatorId);
  ASSERT_NE(ra, nullptr);
  EXPECT_EQ(ra->any_of, a.any_of);
  EXPECT_EQ(ra->tlp, a.tlp);
  EXPECT_EQ(ra->confidence, a.confidence);
  EXPECT_EQ(ra->tags, a.tags);
  EXPECT_EQ(ra->attack, a.attack);
  EXPECT_EQ(ra->kill_chain, a.kill_chain);
  EXPECT_EQ(ra->created_ms, a.created_ms);
  EXPECT_EQ(ra->modified_ms, a.modified_ms);
  EXPECT_EQ(ra->valid_from_ms, a.valid_from_ms);
  EXPECT_EQ(ra->valid_until_ms, a.valid_until_ms);
  EXPECT_EQ(ra->source, a.source);
  EXPECT_EQ(ra->name, a.name);
  EXPECT_EQ(ra->description, a.description);
  // The generated pattern says the same as any_of.
  auto reparsed = indexable_terms(*parse_pattern(ra->pattern));
  EXPECT_EQ(*reparsed, a.any_of);

  std::string derived = "indicator--" + stix_uuid5("indicator:" + b.ref);
  const Indicator* rb = find_indicator(back, derived);
  ASSERT_NE(rb, nullptr);
  EXPECT_EQ(rb->pattern, b.pattern);
  EXPECT_EQ(rb->any_of, b.any_of);
  EXPECT_EQ(rb->tlp, Tlp::clear);
  EXPECT_EQ(rb->confidence, -1);
  EXPECT_TRUE(rb->revoked);
  EXPECT_TRUE(rb->attack.empty());

  // Objects: the producer identity, two TLP 2.0 markings, the malware verbatim; the broken one left out.
  size_t identities = 0, markings = 0, malware = 0;
  for (const auto& o : back.objects) {
    identities += o.type == "identity";
    markings += o.type == "marking-definition";
    if (o.type == "malware") {
      ++malware;
      EXPECT_EQ(boost::json::parse(o.json), boost::json::parse(mal.json));
    }
  }
  EXPECT_EQ(identities, 1u);
  EXPECT_EQ(markings, 2u);
  EXPECT_EQ(malware, 1u);
  EXPECT_EQ(back.objects.size(), 4u);
}

TEST(StixExport, IdsAreUuid5) {
  std::string u = stix_uuid5("x");
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '5');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
  EXPECT_EQ(stix_uuid5("x"), u);
  EXPECT_NE(stix_uuid5("y"), u);
  // An indicator with neither pattern nor terms says nothing: left out.
  Indicator empty;
  empty.ref = "feed--x";
  auto v = boost::json::parse(export_stix_bundle({empty}, {}));
  EXPECT_TRUE(v.at("objects").as_array().empty());
}

TEST(StixExport, ExportedIcsBundleReimports) {
  if (!fs::exists(kIcs)) GTEST_SKIP() << kIcs << " is missing";
  ImportBatch b = import_ok(read(kIcs));
  ImportBatch again = import_ok(export_stix_bundle(b.indicators, b.objects));
  EXPECT_EQ(again.objects.size(), b.objects.size());
}

}  // namespace
}  // namespace lachan::intel
