// MISP import (real events, every mapped attribute type, wrappers, errors), feeds, and export
// round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "intel/misp.h"
#include "intel/stix_export.h"
#include "intel/stix_pattern.h"

namespace lachan::intel {
namespace {

namespace fs = std::filesystem;
const fs::path kMisp = fs::path(LACHAN_SHARED_DATA) / "intel" / "misp";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Indicator* by_ref(const ImportBatch& b, std::string_view ref) {
  for (const auto& i : b.indicators)
    if (i.ref == ref) return &i;
  return nullptr;
}

ImportOptions source_opts(std::string source) {
  ImportOptions o;
  o.source = std::move(source);
  return o;
}
ImportOptions max_opts(size_t max) {
  ImportOptions o;
  o.max_objects = max;
  return o;
}
MispExportOptions org_opts(std::string org) {
  MispExportOptions o;
  o.org = std::move(org);
  return o;
}

bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A temporary folder, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(std::string_view name)
      : path(fs::temp_directory_path() / (std::string(name) + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(std::string_view name, std::string_view text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

TEST(MispImport, RealCirclEvent) {
  auto file = kMisp / "57c4445b-c548-4654-af0b-4be3950d210f.json";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is missing";
  auto r = import_misp_event(read(file), source_opts("unused"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  // filename, md5, sha1, sha256 (to_ids); regkey|value is to_ids but not indexed; links and text are context.
  ASSERT_EQ(r->indicators.size(), 4u);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("57c54b0f-27a4-458b-8e63-4455950d210f"), std::string::npos);
  const auto* md5 = by_ref(*r, "misp-attribute--57c4448b-454c-4d17-90d1-4d2f950d210f");
  ASSERT_NE(md5, nullptr);
  EXPECT_EQ(md5->any_of,
            (std::vector<std::vector<Observable>>{{{ValueType::md5, "0749bae92ca336a02c83d126e04ec628"}}}));
  EXPECT_EQ(md5->pattern, "[file:hashes.MD5 = '0749bae92ca336a02c83d126e04ec628']");
  EXPECT_EQ(md5->name, "Ransomware - Xorist");
  EXPECT_EQ(md5->source, "CIRCL");
  EXPECT_EQ(md5->source_ref, "57c4445b-c548-4654-af0b-4be3950d210f");
  EXPECT_EQ(md5->tlp, Tlp::clear);  // tlp:white
  EXPECT_EQ(md5->created_ms, 1472480395000);
  EXPECT_EQ(md5->confidence, -1);
  EXPECT_TRUE(has(md5->tags, "circl:incident-classification=\"malware\""));
  EXPECT_FALSE(has(md5->tags, "tlp:white"));
  const auto* sha256 = by_ref(*r, "misp-attribute--57c4448b-3fa4-4d65-9ccc-4afa950d210f");
  ASSERT_NE(sha256, nullptr);
  EXPECT_EQ(sha256->pattern,
            "[file:hashes.'SHA-256' = 'b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68']");
  const auto* name = by_ref(*r, "misp-attribute--57c4448a-fb04-457d-87e7-4127950d210f");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->any_of[0][0], (Observable{ValueType::file_name, "3z4wng9603it23y.exe"}));

  ASSERT_EQ(r->objects.size(), 1u);
  const auto& rep = r->objects[0];
  EXPECT_EQ(rep.id, "report--57c4445b-c548-4654-af0b-4be3950d210f");
  EXPECT_EQ(rep.type, "report");
  EXPECT_EQ(rep.tlp, Tlp::clear);
  auto j = boost::json::parse(rep.json).as_object();
  EXPECT_EQ(j["name"].as_string(), "Ransomware - Xorist");
  EXPECT_EQ(j["object_refs"].as_array().size(), 4u);
  // The context attributes (links, text) are kept in the report.
  EXPECT_EQ(j["x_misp_event"].as_object()["context_attributes"].as_array().size(), 4u);
}

TEST(MispImport, RealEventWithObjectsAndGalaxies) {
  auto file = kMisp / "existing_event.json";
  if (!fs::exists(file)) GTEST_SKIP() << file << " is missing";
  auto r = import_misp_event(read(file), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  // 7 domains at event level; in objects 37 sha1, 15 filenames, 12 ip-dst, 12 domains.
  EXPECT_EQ(r->indicators.size(), 83u);
  EXPECT_TRUE(r->notes.empty());
  const auto* d = by_ref(*r, "misp-attribute--5a3c3045-ab0c-4d38-8efe-459002de0b81");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->any_of[0][0], (Observable{ValueType::domain, "movieultimate.com"}));
  EXPECT_EQ(d->pattern, "[domain-name:value = 'movieultimate.com']");
  EXPECT_TRUE(has(d->tags, "misp-galaxy:threat-actor=\"Sofacy\""));
  EXPECT_TRUE(has(d->tags, "misp-galaxy:mitre-malware=\"CHOPSTICK\""));
  EXPECT_EQ(std::count(d->tags.begin(), d->tags.end(), "misp-galaxy:threat-actor=\"Sofacy\""),
            1);  // tag and galaxy: once
  EXPECT_EQ(d->tlp, Tlp::clear);
  EXPECT_TRUE(d->attack.empty());  // mitre-malware clusters name software, not techniques
  size_t ips = std::count_if(r->indicators.begin(), r->indicators.end(),
                             [](const Indicator& i) { return i.any_of[0][0].type == ValueType::ip; });
  EXPECT_EQ(ips, 12u);
}

constexpr const char* kSynthetic = R"({"Event": {
  "uuid": "11111111-2222-4333-8444-555555555555", "info": "Phishing wave", "timestamp": 1700000000,
  "publish_timestamp": "1700000100", "date": "2023-11-14", "published": true,
  "Orgc": {"name": "VNCERT"},
  "Tag": [{"name": "tlp:green"}, {"name": "misp:confidence-level=\"usually-confident\""},
          {"name": "misp-galaxy:mitre-attack-pattern=\"Spearphishing Attachment - T1566.001\""}],
  "Galaxy": [{"type": "mitre-attack-pattern", "GalaxyCluster": [
      {"type": "mitre-attack-pattern", "value": "Phishing - T1566", "tag_name": "misp-galaxy:mitre-attack-pattern=\"Phishing - T1566\""}]}],
  "Attribute": [
    {"uuid": "a0000000-0000-4000-8000-000000000001", "type": "ip-dst|port", "value": "198.51.100.7|443", "to_ids": true,
     "timestamp": "1700000001", "comment": "C2", "first_seen": "2023-11-01T00:00:00.000000+00:00",
     "last_seen": "2023-12-01T00:00:00Z", "Tag": [{"name": "tlp:red"}, {"name": "admiralty-scale:information-credibility=\"2\""}]},
    {"uuid": "a0000000-0000-4000-8000-000000000002", "type": "domain|ip", "value": "Evil.Example|203.0.113.9", "to_ids": true,
     "timestamp": "1700000002"},
    {"uuid": "a0000000-0000-4000-8000-000000000003", "type": "filename|sha256", "to_ids": "1", "timestamp": "1700000003",
     "value": "invoice.exe|E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
    {"uuid": "a0000000-0000-4000-8000-000000000004", "type": "url", "value": "http://evil.example/it's\\x", "to_ids": true},
    {"uuid": "a0000000-0000-4000-8000-000000000005", "type": "uri", "value": "/gate.php", "to_ids": true},
    {"uuid": "a0000000-0000-4000-8000-000000000006", "type": "mutex", "value": "Global\\x", "to_ids": true},
    {"uuid": "a0000000-0000-4000-8000-000000000007", "type": "ja3-fingerprint-md5", "value": "E7D705A3286E19EA42F587B344EE6865", "to_ids": true},
    {"uuid": "a0000000-0000-4000-8000-000000000008", "type": "email-src", "value": "Phish@Evil.Example", "to_ids": true},
    {"uuid": "a0000000-0000-4000-8000-000000000009", "type": "ip-src", "value": "2001:db8::/32", "to_ids": true},
    {"uuid": "a0000000-0000-4000-8000-00000000000a", "type": "domain", "value": "deleted.example", "to_ids": true, "deleted": true},
    {"uuid": "a0000000-0000-4000-8000-00000000000b", "type": "domain", "value": "context.example", "to_ids": false}
  ],
  "Object": [{"name": "ja4-plus", "uuid": "b0000000-0000-4000-8000-000000000001", "Attribute": [
    {"uuid": "a0000000-0000-4000-8000-00000000000c", "type": "text", "object_relation": "ja4-fingerprint",
     "value": "t13d1516h2_8daaf6152771_02713d6af862", "to_ids": true},
    {"uuid": "a0000000-0000-4000-8000-00000000000d", "type": "text", "object_relation": "ja4-type", "value": "JA4", "to_ids": false}]}]
}})";

TEST(MispImport, EveryMappedTypeAndTheMarks) {
  auto r = import_misp_event(kSynthetic, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->indicators.size(), 8u);
  EXPECT_EQ(r->notes.size(), 2u);  // uri, mutex
  auto get = [&](char last) {
    const auto* i = by_ref(*r, std::string("misp-attribute--a0000000-0000-4000-8000-00000000000") + last);
    EXPECT_NE(i, nullptr) << last;
    return i;
  };
  const auto* port = get('1');
  EXPECT_EQ(port->any_of, (std::vector<std::vector<Observable>>{{{ValueType::ip, "198.51.100.7"}}}));
  EXPECT_EQ(port->tlp, Tlp::red);   // attribute tag over event tag
  EXPECT_EQ(port->confidence, 70);  // admiralty credibility 2, over the event's usually-confident
  EXPECT_EQ(port->valid_from_ms, 1698796800000);
  EXPECT_EQ(port->valid_until_ms, 1701388800000);
  EXPECT_EQ(port->created_ms, 1700000001000);
  EXPECT_EQ(port->modified_ms, 1700000001000);
  EXPECT_EQ(port->description, "C2");
  EXPECT_EQ(port->source, "VNCERT");
  EXPECT_EQ(port->attack, (std::vector<std::string>{"T1566.001", "T1566"}));
  EXPECT_TRUE(has(port->tags, "misp-galaxy:mitre-attack-pattern=\"Phishing - T1566\""));
  EXPECT_TRUE(has(port->tags, "admiralty-scale:information-credibility=\"2\""));
  EXPECT_FALSE(has(port->tags, "tlp:red"));

  const auto* dip = get('2');
  EXPECT_EQ(dip->any_of, (std::vector<std::vector<Observable>>{{{ValueType::domain, "evil.example"}},
                                                               {{ValueType::ip, "203.0.113.9"}}}));
  EXPECT_EQ(dip->pattern, "[domain-name:value = 'evil.example'] OR [ipv4-addr:value = '203.0.113.9']");
  EXPECT_EQ(dip->tlp, Tlp::green);
  EXPECT_EQ(dip->confidence, 75);

  const auto* file = get('3');
  EXPECT_EQ(file->any_of[0][0],
            (Observable{ValueType::sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}));
  EXPECT_EQ(file->description, "file name: invoice.exe");

  EXPECT_EQ(get('4')->pattern, "[url:value = 'http://evil.example/it\\'s\\\\x']");
  EXPECT_EQ(get('7')->any_of[0][0], (Observable{ValueType::ja3, "e7d705a3286e19ea42f587b344ee6865"}));
  EXPECT_EQ(get('7')->pattern, "[network-traffic:extensions.'x-ja3'.hash = 'e7d705a3286e19ea42f587b344ee6865']");
  EXPECT_EQ(get('8')->any_of[0][0], (Observable{ValueType::email, "phish@evil.example"}));
  EXPECT_EQ(get('9')->pattern, "[ipv6-addr:value = '2001:db8::/32']");
  EXPECT_EQ(get('c')->any_of[0][0].type, ValueType::ja4);
  EXPECT_EQ(by_ref(*r, "misp-attribute--a0000000-0000-4000-8000-00000000000a"), nullptr);  // deleted
  EXPECT_EQ(by_ref(*r, "misp-attribute--a0000000-0000-4000-8000-00000000000b"), nullptr);  // not to_ids

  ASSERT_EQ(r->objects.size(), 1u);
  EXPECT_EQ(r->objects[0].tlp, Tlp::green);
  EXPECT_EQ(r->objects[0].modified_ms, 1700000000000);
  auto j = boost::json::parse(r->objects[0].json).as_object();
  EXPECT_EQ(j["object_refs"].as_array().size(), 8u);
  EXPECT_EQ(j["object_marking_refs"].as_array()[0].as_string(), tlp_marking_ref(Tlp::green));
}

TEST(MispImport, WrappersAndDefaults) {
  constexpr const char* kBare = R"({"uuid": "c0000000-0000-4000-8000-000000000001", "info": "bare",
    "Attribute": [{"uuid": "c1000000-0000-4000-8000-000000000001", "type": "hostname", "value": "a.example", "to_ids": true}]})";
  ImportOptions opts = source_opts("manual upload");
  opts.default_tlp = Tlp::amber_strict;
  auto bare = import_misp_event(kBare, opts);
  ASSERT_TRUE(bare.ok()) << bare.error().message;
  ASSERT_EQ(bare->indicators.size(), 1u);
  EXPECT_EQ(bare->indicators[0].source, "manual upload");
  EXPECT_EQ(bare->indicators[0].tlp, Tlp::amber_strict);
  auto plain = import_misp_event(kBare, {});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->indicators[0].tlp, Tlp::amber);

  std::string resp = std::string(R"({"response": [{"Event": )") + kBare + "}, " +
                     R"({"Event": {"uuid": "c0000000-0000-4000-8000-000000000002", "info": "second"}}]})";
  auto many = import_misp_event(resp, {});
  ASSERT_TRUE(many.ok()) << many.error().message;
  EXPECT_EQ(many->indicators.size(), 1u);
  EXPECT_EQ(many->objects.size(), 2u);
}

TEST(MispImport, ErrorsNameTheEventAndAttribute) {
  auto code = [](std::string_view json, size_t max = 5'000'000) {
    auto r = import_misp_event(json, max_opts(max));
    return r.ok() ? Errc::ok : r.error().code;
  };
  EXPECT_EQ(code("{not json"), Errc::malformed);
  EXPECT_EQ(code("[]"), Errc::malformed);
  EXPECT_EQ(code(R"({"something": 1})"), Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"info": "no uuid"}})"), Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "Attribute": {}}})"), Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "Attribute": [{"type": "domain", "value": "a.example"}]}})"),
            Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "Attribute": [{"uuid": "x", "value": "a.example"}]}})"), Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "Attribute": [{"uuid": "x", "type": "domain"}]}})"), Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "timestamp": "soon"}})"), Errc::malformed);
  // Found by fuzz_misp_event: seconds past 2262 overflowed the nanoseconds of the report's times.
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "publish_timestamp": "17000001000"}})"), Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "timestamp": 9000000000}})"), Errc::ok);
  EXPECT_EQ(
      code(
          R"({"Event": {"uuid": "e1", "Attribute": [{"uuid": "x", "type": "domain", "value": "a.example", "timestamp": "-5"}]}})"),
      Errc::malformed);
  EXPECT_EQ(
      code(
          R"({"Event": {"uuid": "e1", "Attribute": [{"uuid": "x", "type": "domain", "value": "a.example", "first_seen": "yesterday"}]}})"),
      Errc::malformed);
  EXPECT_EQ(code(R"({"Event": {"uuid": "e1", "Object": [{"Attribute": 3}]}})"), Errc::malformed);
  EXPECT_EQ(
      code(
          R"({"Event": {"uuid": "e1", "Attribute": [{"uuid": "x", "type": "domain|ip", "value": "a.example", "to_ids": true}]}})"),
      Errc::malformed);
  // Only to_ids attributes must normalise: context can be anything.
  EXPECT_EQ(
      code(
          R"({"Event": {"uuid": "e1", "Attribute": [{"uuid": "x", "type": "ip-dst", "value": "not an ip", "to_ids": false}]}})"),
      Errc::ok);

  auto r = import_misp_event(
      R"({"Event": {"uuid": "e1", "Attribute": [{"uuid": "good", "type": "ip-dst", "value": "192.0.2.1", "to_ids": true},
          {"uuid": "a-bad-one", "type": "ip-dst", "value": "999.1.1.1", "to_ids": true}]}})",
      {});
  ASSERT_FALSE(r.ok());  // all or nothing: the good attribute is not returned either
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_NE(r.error().message.find("a-bad-one"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("999.1.1.1"), std::string::npos) << r.error().message;

  constexpr const char* kThree = R"({"Event": {"uuid": "e1", "Attribute": [
      {"uuid": "1", "type": "comment", "value": "x"}, {"uuid": "2", "type": "comment", "value": "x"},
      {"uuid": "3", "type": "comment", "value": "x"}]}})";
  EXPECT_EQ(code(kThree, 3), Errc::ok);
  EXPECT_EQ(code(kThree, 2), Errc::limit);
}

TEST(MispFeed, RealEventsFromAFeedFolder) {
  auto a = kMisp / "57c4445b-c548-4654-af0b-4be3950d210f.json";
  auto b = kMisp / "existing_event.json";
  if (!fs::exists(a) || !fs::exists(b)) GTEST_SKIP() << kMisp << " is missing";
  TempDir dir("lachan-misp-feed");
  dir.write("57c4445b-c548-4654-af0b-4be3950d210f.json", read(a));
  dir.write("5a3c2fcd-8328-42bb-a95e-4f4402de0b81.json", read(b));
  dir.write("manifest.json", R"({"57c4445b-c548-4654-af0b-4be3950d210f": {"info": "Ransomware - Xorist"},
                                 "5a3c2fcd-8328-42bb-a95e-4f4402de0b81": {"info": "OSINT - Sednit update"}})");
  auto r = import_misp_feed_dir(dir.path, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->indicators.size(), 4u + 83u);
  EXPECT_EQ(r->objects.size(), 2u);

  EXPECT_EQ(import_misp_feed_dir(dir.path, max_opts(50)).error().code, Errc::limit);  // counted over the feed

  // A manifest entry whose file holds another event.
  dir.write("manifest.json",
            R"({"5a3c2fcd-8328-42bb-a95e-4f4402de0b81": {}, "57c4445b-c548-4654-af0b-4be3950d210f": {}})");
  dir.write("5a3c2fcd-8328-42bb-a95e-4f4402de0b81.json", read(a));
  EXPECT_EQ(import_misp_feed_dir(dir.path, {}).error().code, Errc::malformed);
}

TEST(MispFeed, ManifestErrors) {
  int fetched = 0;
  MispFetch fetch = [&](std::string_view) -> Result<std::string> {
    ++fetched;
    return make_error(Errc::io, "unreachable");
  };
  EXPECT_EQ(import_misp_feed("[", fetch, {}).error().code, Errc::malformed);
  EXPECT_EQ(import_misp_feed("[]", fetch, {}).error().code, Errc::malformed);
  // Keys become file names and URLs: only uuids are fetched.
  EXPECT_EQ(import_misp_feed(R"({"../../etc/passwd": {}})", fetch, {}).error().code, Errc::malformed);
  EXPECT_EQ(fetched, 0);
  EXPECT_EQ(import_misp_feed(R"({"57c4445b-c548-4654-af0b-4be3950d210f": {}})", fetch, {}).error().code, Errc::io);
  EXPECT_EQ(fetched, 1);
  auto empty = import_misp_feed("{}", fetch, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->indicators.empty());
  TempDir dir("lachan-misp-nofeed");
  EXPECT_EQ(import_misp_feed_dir(dir.path, {}).error().code, Errc::io);  // no manifest.json
}

std::vector<Indicator> sample_indicators() {
  std::vector<Indicator> v;
  auto add = [&](std::string ref, std::vector<std::vector<Observable>> any_of, Tlp tlp, std::string source,
                 std::vector<std::string> tags) {
    Indicator i;
    i.ref = std::move(ref);
    i.any_of = std::move(any_of);
    i.pattern = pattern_for(i.any_of);
    i.tlp = tlp;
    i.source = std::move(source);
    i.tags = std::move(tags);
    i.description = "seen in " + i.ref;
    i.created_ms = i.modified_ms = 1700000000000;
    v.push_back(std::move(i));
  };
  add("misp-attribute--a0000000-0000-4000-8000-000000000001", {{{ValueType::ip, "198.51.100.7"}}}, Tlp::red, "CIRCL",
      {"kill-chain:c2"});
  add("indicator--6a5b2f4e-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
      {{{ValueType::domain, "evil.example"}}, {{ValueType::ip, "203.0.113.9"}}}, Tlp::green, "CIRCL", {});
  add("feed--urlhaus--url--x", {{{ValueType::url, "http://evil.example/a?b=1"}}}, Tlp::clear, "abuse.ch urlhaus",
      {"malware=\"emotet\""});
  add("feed--x--sha256", {{{ValueType::sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}},
      Tlp::amber_strict, "abuse.ch urlhaus", {});
  add("feed--x--ja4", {{{ValueType::ja4, "t13d1516h2_8daaf6152771_02713d6af862"}}}, Tlp::amber, "CIRCL", {});
  add("feed--x--mail", {{{ValueType::email, "phish@evil.example"}}}, Tlp::amber, "CIRCL", {});
  add("feed--x--ja3", {{{ValueType::ja3, "e7d705a3286e19ea42f587b344ee6865"}}}, Tlp::amber, "CIRCL", {});
  add("feed--x--name", {{{ValueType::file_name, "invoice.exe"}}}, Tlp::amber, "CIRCL", {});
  v[0].valid_from_ms = 1698796800000;
  v[0].valid_until_ms = 1701388800000;
  return v;
}

void expect_same(const std::vector<Indicator>& in, const ImportBatch& out) {
  ASSERT_EQ(out.indicators.size(), in.size());
  for (const auto& want : in) {
    auto it = std::find_if(out.indicators.begin(), out.indicators.end(),
                           [&](const Indicator& i) { return i.any_of == want.any_of; });
    ASSERT_NE(it, out.indicators.end()) << want.pattern;
    EXPECT_EQ(it->tlp, want.tlp) << want.pattern;
    EXPECT_EQ(it->tags, want.tags) << want.pattern;
    EXPECT_EQ(it->description, want.description);
    EXPECT_EQ(it->modified_ms, want.modified_ms);
    EXPECT_EQ(it->valid_from_ms, want.valid_from_ms);
    EXPECT_EQ(it->valid_until_ms, want.valid_until_ms);
    EXPECT_EQ(it->pattern, want.pattern);
    if (want.ref.rfind("misp-attribute--", 0) == 0) {
      EXPECT_EQ(it->ref, want.ref);
    }
  }
}

TEST(MispExport, EventRoundTrip) {
  auto in = sample_indicators();
  std::string json = export_misp_event(in, "Lachan export", org_opts("VNCERT"));
  EXPECT_EQ(json, export_misp_event(in, "Lachan export", org_opts("VNCERT")));  // stable uuids
  auto r = import_misp_event(json, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->notes.empty());
  expect_same(in, *r);
  EXPECT_EQ(r->indicators[0].source, "VNCERT");
  EXPECT_EQ(r->indicators[0].name, "Lachan export");

  // An indicator with a conjunction has no MISP attribute of its own: it travels as its pattern.
  Indicator both;
  both.ref = "indicator--x";
  both.any_of = {{{ValueType::domain, "a.example"}, {ValueType::ip, "192.0.2.1"}}};
  both.pattern = pattern_for(both.any_of);
  EXPECT_EQ(both.pattern, "[domain-name:value = 'a.example' AND ipv4-addr:value = '192.0.2.1']");
  auto r2 = import_misp_event(export_misp_event({both}, "x"), {});
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_TRUE(r2->indicators.empty());
  ASSERT_EQ(r2->notes.size(), 1u);
  auto e = boost::json::parse(export_misp_event({both}, "x")).as_object()["Event"].as_object();
  EXPECT_EQ(e["Attribute"].as_array()[0].as_object()["type"].as_string(), "stix2-pattern");
  EXPECT_EQ(e["Attribute"].as_array()[0].as_object()["value"].as_string(), both.pattern);
}

TEST(MispExport, AttackIdsBecomeGalaxyTags) {
  Indicator i;
  i.ref = "indicator--y";
  i.any_of = {{{ValueType::domain, "a.example"}}};
  i.attack = {"T1566.001"};
  auto r = import_misp_event(export_misp_event({i}, "x"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->indicators.size(), 1u);
  EXPECT_EQ(r->indicators[0].attack, i.attack);
  EXPECT_EQ(r->indicators[0].ref, "misp-attribute--" + stix_uuid5("misp-attribute:indicator--y"));
}

TEST(MispExport, FeedRoundTripThroughAFolder) {
  auto in = sample_indicators();
  auto feed = export_misp_feed(in);
  ASSERT_EQ(feed.events.size(), 2u);  // CIRCL, abuse.ch urlhaus
  EXPECT_EQ(feed.events[0].first,
            std::min(stix_uuid5("misp-feed-event:CIRCL"), stix_uuid5("misp-feed-event:abuse.ch urlhaus")));
  // domain|ip counts its two parts; every other attribute one value.
  EXPECT_EQ(std::count(feed.hashes_csv.begin(), feed.hashes_csv.end(), '\n'), 9);
  EXPECT_NE(feed.hashes_csv.find("526291673f8700ef4e4902e29550a03b"), std::string::npos)
      << feed.hashes_csv;  // md5("198.51.100.7")
  auto again = export_misp_feed(in);
  EXPECT_EQ(again.manifest, feed.manifest);
  EXPECT_EQ(again.events, feed.events);

  TempDir dir("lachan-misp-export");
  dir.write("manifest.json", feed.manifest);
  for (const auto& [uuid, json] : feed.events) dir.write(uuid + ".json", json);
  auto r = import_misp_feed_dir(dir.path, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  expect_same(in, *r);
  for (const auto& want : in) {
    auto it = std::find_if(r->indicators.begin(), r->indicators.end(),
                           [&](const Indicator& i) { return i.any_of == want.any_of; });
    EXPECT_EQ(it->source, want.source);
  }
}

TEST(MispExport, UuidV5IsStableAndVersioned) {
  auto u = stix_uuid5("misp-feed-event:CIRCL");
  EXPECT_EQ(u, stix_uuid5("misp-feed-event:CIRCL"));
  EXPECT_NE(u, stix_uuid5("misp-feed-event:CIRCL2"));
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '5');
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);
}

}  // namespace
}  // namespace lachan::intel
