#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <string>

#include "io_test_util.h"

namespace lachan::io::test {
namespace {

std::string gzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string sample(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "{\"i\":" + std::to_string(i) + ",\"t\":\"" + std::string(static_cast<size_t>(i % 40), 'a') + "\"}\n";
  return s;
}

TEST(Compression, GzipRoundTrip) {
  std::string plain = sample(20000);
  auto d = read_memory(gzip(plain), Format::automatic, 1000, ReaderTuning{4096, 777});
  ASSERT_EQ(d.texts.size(), 20000u);
  EXPECT_EQ(d.texts[12345], "{\"i\":12345,\"t\":\"" + std::string(12345 % 40, 'a') + "\"}");
  EXPECT_EQ(d.records[12345].line, 12346u);
}

TEST(Compression, GzipMultiMemberAndTrailingZeros) {
  std::string a = "{\"a\":1}\n", b = "{\"b\":2}\n";
  auto d = read_memory(gzip(a) + gzip(b) + std::string(16, '\0'), Format::ndjson);
  ASSERT_EQ(d.texts.size(), 2u);
  EXPECT_EQ(d.texts[1], "{\"b\":2}");
}

TEST(Compression, ZstdRoundTripMultiFrame) {
  std::string p1 = sample(5000), p2 = sample(7);
  auto d = read_memory(zstd(p1) + zstd(p2), Format::automatic, 1000, ReaderTuning{1024, 100});
  ASSERT_EQ(d.texts.size(), 5007u);
  EXPECT_EQ(d.texts[5006], "{\"i\":6,\"t\":\"aaaaaa\"}");
}

TEST(Compression, CompressedSyslogIsDetected) {
  ReaderOptions o;
  auto r = open_memory_reader(zstd("Jun 14 15:16:01 combo sshd[1]: hello\n"), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->format(), Format::syslog);
  auto d = drain(**r);
  ASSERT_EQ(d.texts.size(), 1u);
  EXPECT_EQ(Parsed(d.texts[0]).str("message"), "hello");
}

Result<bool> first_error(std::string data) {
  ReaderOptions o;
  o.format = Format::ndjson;
  auto r = open_memory_reader(std::move(data), o);
  if (!r) return std::move(r).error();
  RecordBatch batch;
  for (;;) {
    auto more = (*r)->next(batch, 100000);
    if (!more || !*more) return more;
  }
}

TEST(Compression, TruncatedGzipIsAnError) {
  std::string gz = gzip(sample(3000));
  auto res = first_error(gz.substr(0, gz.size() / 2));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, Errc::malformed);
  EXPECT_NE(res.error().message.find("gzip"), std::string::npos);
  EXPECT_NE(res.error().message.find("<memory>"), std::string::npos);
}

TEST(Compression, CorruptGzipIsAnError) {
  std::string gz = gzip(sample(3000));
  for (size_t i = 20; i < gz.size() - 20; i += 7) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  auto res = first_error(gz);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message.find("corrupt gzip data"), std::string::npos) << res.error().message;
}

TEST(Compression, TruncatedAndCorruptZstdAreErrors) {
  std::string zs = zstd(sample(3000));
  auto t = first_error(zs.substr(0, zs.size() / 2));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("zstd"), std::string::npos);
  std::string bad = zs;
  for (size_t i = 10; i < bad.size(); i += 5) bad[i] = static_cast<char>(bad[i] ^ 0xff);
  auto c = first_error(bad);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("corrupt zstd data"), std::string::npos) << c.error().message;
}

TEST(Compression, GzipFileOnDisk) {
  std::string path = ::testing::TempDir() + "lachan_io_test.jsonl.gz";
  {
    std::string gz = gzip(sample(100));
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(gz.data(), 1, gz.size(), f), gz.size());
    std::fclose(f);
  }
  auto r = open_reader(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto d = drain(**r);
  EXPECT_EQ(d.texts.size(), 100u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace lachan::io::test

namespace lachan::io::test {
namespace {

TEST(Compression, GzippedEvtxGoesThroughATemporaryFile) {
  std::string path = std::string(LACHAN_SHARED_DATA) + "/logs/windows/evtx/CA_DCSync_4662.evtx";
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) GTEST_SKIP() << "shared data file absent: " << path;
  std::string raw;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) raw.append(buf, n);
  std::fclose(f);
  size_t direct = 0;
  {
    auto r = open_reader(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    direct = drain(**r).texts.size();
  }
  ASSERT_GT(direct, 0u);
  auto r = open_memory_reader(gzip(raw));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->format(), Format::evtx);
  EXPECT_EQ(drain(**r).texts.size(), direct);
}

}  // namespace
}  // namespace lachan::io::test
