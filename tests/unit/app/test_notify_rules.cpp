// Which subscriptions get which events, the templates' rendering, and notify.toml's checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "app/notifier.h"

namespace lachan::app {
namespace {

namespace fs = std::filesystem;
using store::Severity;
using store::Subscription;
using store::SubscriptionTopic;

Subscription sub_of(std::string org) {
  Subscription s;
  s.org_id = std::move(org);
  s.topics = {SubscriptionTopic::warnings};
  return s;
}

NotifyEvent event_for(std::vector<std::string> routes) {
  NotifyEvent e;
  e.topic = SubscriptionTopic::warnings;
  e.routes = std::move(routes);
  e.orgs = {"evn-hn"};
  e.severity = Severity::high;
  e.categories = {"attack.t1059.001", "intel.source:misp"};
  return e;
}

TEST(SubscriptionMatches, OnlyTheTopicsAsked) {
  auto s = sub_of("ca-hn");
  auto e = event_for({"ca-hn"});
  EXPECT_TRUE(subscription_matches(s, e));
  e.topic = SubscriptionTopic::incidents;
  EXPECT_FALSE(subscription_matches(s, e));
  s.topics = {SubscriptionTopic::incidents, SubscriptionTopic::sla_breach};
  EXPECT_TRUE(subscription_matches(s, e));
}

TEST(SubscriptionMatches, NeverOutsideTheRoutes) {
  // Whatever else it asks for, a subscriber sees only what was routed to its organisation.
  auto s = sub_of("ca-dn");
  s.orgs = {"evn-hn"};
  EXPECT_FALSE(subscription_matches(s, event_for({"ca-hn", "nc"})));
  EXPECT_FALSE(subscription_matches(s, event_for({})));
  EXPECT_TRUE(subscription_matches(s, event_for({"ca-hn", "ca-dn"})));
}

TEST(SubscriptionMatches, MinimumSeverity) {
  auto s = sub_of("nc");
  auto e = event_for({"nc"});
  s.min_severity = Severity::high;
  EXPECT_TRUE(subscription_matches(s, e));
  s.min_severity = Severity::critical;
  EXPECT_FALSE(subscription_matches(s, e));
}

TEST(SubscriptionMatches, CategoriesByPrefixAtASeparator) {
  auto s = sub_of("nc");
  auto e = event_for({"nc"});
  s.categories = {"attack.t1059"};
  EXPECT_TRUE(subscription_matches(s, e));  // attack.t1059.001
  s.categories = {"attack.t105"};
  EXPECT_FALSE(subscription_matches(s, e));  // not at a separator
  s.categories = {"intel.source"};
  EXPECT_TRUE(subscription_matches(s, e));  // intel.source:misp
  s.categories = {"malicious-code", "attack.t1059.001"};
  EXPECT_TRUE(subscription_matches(s, e));  // any of them
  s.categories = {"malicious-code"};
  EXPECT_FALSE(subscription_matches(s, e));
}

TEST(SubscriptionMatches, OrganisationsInScopeAndDisabled) {
  auto s = sub_of("nc");
  auto e = event_for({"nc"});
  s.orgs = {"vnpt", "evn-hn"};
  EXPECT_TRUE(subscription_matches(s, e));
  s.orgs = {"vnpt"};
  EXPECT_FALSE(subscription_matches(s, e));
  s.orgs.clear();
  s.enabled = false;
  EXPECT_FALSE(subscription_matches(s, e));
}

TEST(RenderTemplate, NamesAreReplacedOnce) {
  std::vector<std::pair<std::string, std::string>> vars{{"title", "Mimikatz {{severity}}"}, {"severity", "high"}};
  // A value that itself looks like a placeholder is not expanded again.
  EXPECT_EQ(render_template("[{{ severity }}] {{title}}!", vars), "[high] Mimikatz {{severity}}!");
  EXPECT_EQ(render_template("{{unknown}}x", vars), "x");
  EXPECT_EQ(render_template("a {{title", vars), "a {{title");  // unclosed: left as written
  EXPECT_EQ(render_template("", vars), "");
  EXPECT_EQ(render_template("Tổ chức: {{severity}}", vars), "Tổ chức: high");
}

std::set<std::string> placeholders(const std::string& text) {
  std::set<std::string> out;
  for (size_t i = text.find("{{"); i != std::string::npos; i = text.find("{{", i + 2)) {
    auto j = text.find("}}", i);
    if (j == std::string::npos) break;
    out.insert(text.substr(i + 2, j - i - 2));
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Templates, VietnameseAndEnglishHaveTheSameFilesAndPlaceholders) {
  const fs::path base = fs::path(LACHAN_SOURCE_DIR) / "config" / "templates";
  std::set<std::string> vi, en;
  for (const auto& f : fs::directory_iterator(base / "vi")) vi.insert(f.path().filename().string());
  for (const auto& f : fs::directory_iterator(base / "en")) en.insert(f.path().filename().string());
  EXPECT_EQ(vi, en);
  for (const auto& name : {"warning", "incident", "sla_breach", "digest"})
    EXPECT_TRUE(vi.count(std::string(name) + ".subject")) << name;
  for (const auto& name : vi) {
    if (!en.count(name)) continue;
    EXPECT_EQ(placeholders(slurp(base / "vi" / name)), placeholders(slurp(base / "en" / name))) << name;
    EXPECT_FALSE(slurp(base / "vi" / name).empty()) << name;
  }
}

class NotifyToml : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lachan-notify-toml-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& text) {
    auto p = dir_ / "notify.toml";
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(NotifyToml, SettingsAreRead) {
  NotifyConfig c;
  auto r = load_notify_toml(write("console_url = \"https://soc.example.vn/\"\nlanguage = \"en\"\n"
                                  "max_attempts = 4\n[smtp]\nhost = \"mail.example.vn\"\nport = 587\n"
                                  "security = \"starttls\"\nfrom = \"soc@example.vn\"\n"),
                            c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(c.console_url, "https://soc.example.vn");  // no trailing slash
  EXPECT_EQ(c.language, "en");
  EXPECT_EQ(c.max_attempts, 4);
  EXPECT_TRUE(c.smtp_enabled);
  EXPECT_EQ(c.mail_from, "soc@example.vn");
}

TEST_F(NotifyToml, ProblemsAreNamed) {
  NotifyConfig c;
  auto r = load_notify_toml(write("language = \"fr\"\nmax_attempts = 0\n"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'language' must be vi or en"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("'max_attempts' must be an integer"), std::string::npos) << r.error().message;
  auto syntax = load_notify_toml(write("language = \n"), c);
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().message.find("notify.toml:1"), std::string::npos) << syntax.error().message;
}

TEST_F(NotifyToml, APasswordIsNeverInTheFile) {
  NotifyConfig c;
  auto r = load_notify_toml(write("[smtp]\nhost = \"mail.example.vn\"\npassword = \"hunter2\"\n"), c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("password"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace lachan::app
