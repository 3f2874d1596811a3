// Reference lists: the shipped provinces and sectors load, lookups find them, and broken files
// are refused with their error code.
#include <gtest/gtest.h>

#include "constituency/reference.h"

using namespace lachan;
using namespace lachan::constituency;

TEST(Reference, ShippedListsLoad) {
  auto r = load_reference(LACHAN_SOURCE_DIR "/config/reference");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->provinces.size(), 34u);
  EXPECT_EQ(r->sectors.size(), 11u);
  const Province* hn = r->find_province("ha-noi");
  ASSERT_NE(hn, nullptr);
  EXPECT_EQ(hn->code, "01");
  EXPECT_EQ(hn->name_vi, "Hà Nội");
  EXPECT_EQ(hn->kind, "city");
  const Sector* bank = r->find_sector("banking");
  ASSERT_NE(bank, nullptr);
  EXPECT_EQ(bank->name_vi, "Ngân hàng");
  EXPECT_EQ(r->find_province("ha-tay"), nullptr);  // merged away long ago
  EXPECT_EQ(r->find_sector("tourism"), nullptr);
}

TEST(Reference, MissingDirectoryIsAnIoError) {
  auto r = load_reference("/nonexistent/lachan-reference");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
}

TEST(Reference, BrokenFilesAreInvalidConfig) {
  const char* sectors = R"({"sectors":[{"id":"energy","name":"Energy","name_vi":"Năng lượng"}]})";
  const char* province = R"({"id":"hue","code":"46","name":"Hue","name_vi":"Huế","kind":"city"})";
  EXPECT_TRUE(parse_reference(std::string(R"({"units":[)") + province + "]}", sectors));
  for (std::string bad :
       {std::string("not json"), std::string(R"({"units":{}})"), std::string(R"({"units":[{"id":"hue","code":"46"}]})"),
        std::string(R"({"units":[)") + province + "," + province + "]}"}) {
    auto r = parse_reference(bad, sectors);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_config);
  }
  auto r = parse_reference(std::string(R"({"units":[)") + province + "]}", R"({"sectors":[{"id":"x"}]})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_config);
}
