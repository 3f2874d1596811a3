// The Store test suite, written against the interface: every backend runs every TEST_P(StoreTest,
// ...) through its factory (backends.cpp lists them). A new backend adds a factory there.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace lachan::store::testing {

struct StoreBackend {
  std::string name;
  // Opens the backend's store whose data lives in (or is named after) `dir`; opening the same dir
  // again must give the same data.
  std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path& dir, Clock clock)> open;
};

std::vector<StoreBackend> store_backends();
inline void PrintTo(const StoreBackend& b, std::ostream* os) {
  *os << b.name;
}

inline constexpr TimeMs kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
inline constexpr TimeMs kMinute = 60'000;

class StoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lachan-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    open();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void open() {
    auto s = GetParam().open(dir_, [this] { return now_.load(); });
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void reopen() {
    ASSERT_TRUE(store_->close());
    store_.reset();
    open();
  }
  Store& store() { return *store_; }

 public:
  static Organisation org(std::string id, std::string province = "ha-noi", std::vector<std::string> sectors = {}) {
    Organisation o;
    o.id = std::move(id);
    o.name = "Org " + o.id;
    o.province = std::move(province);
    o.sectors = std::move(sectors);
    return o;
  }

  // A warning for victim `org` routed to `routes` (the victim is added by the store).
  static Warning warning(std::string dedup_key, std::string org_id, TimeMs seen, std::vector<std::string> routes = {}) {
    Warning w;
    w.org_id = std::move(org_id);
    w.detector = "sigma";
    w.rule_id = "rule-1";
    w.rule_title = "Suspicious PowerShell";
    w.severity = Severity::medium;
    w.tags = {"attack.t1059"};
    w.entities = {{"host", "ws-01"}};
    w.dedup_key = std::move(dedup_key);
    w.first_seen = seen;
    w.last_seen = seen;
    w.count = 1;
    w.province = "ha-noi";
    w.routed_to = std::move(routes);
    return w;
  }

  static WarningUpsert upsert(Warning w, TimeMs window = 10 * kMinute) { return WarningUpsert{std::move(w), window}; }

  // Applies upserts with the next checkpoint offset; returns the outcomes.
  std::vector<UpsertOutcome> apply(const std::vector<WarningUpsert>& ups) {
    auto r = store().apply_warnings(ups, Checkpoint{"warn", ++offset_});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<UpsertOutcome>{};
  }
  std::int64_t apply_one(Warning w, TimeMs window = 10 * kMinute) {
    auto out = apply({upsert(std::move(w), window)});
    return out.empty() ? 0 : out[0].warning_id;
  }

  static Caller caller(std::string org_id, Role role = Role::analyst) {
    return Caller{"user:" + org_id + "-" + std::string(to_string(role)), std::move(org_id), role};
  }

 protected:
  std::filesystem::path dir_;
  std::atomic<TimeMs> now_{kT0};
  std::uint64_t offset_ = 0;
  std::unique_ptr<Store> store_;
};

}  // namespace lachan::store::testing
