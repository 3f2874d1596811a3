// The backends the Store suite runs against. The only test file that names a backend.
#include "store/sqlite/sqlite_store.h"
#include "store_fixture.h"

namespace lachan::store::testing {

std::vector<StoreBackend> store_backends() {
  return {
      {"sqlite",
       [](const std::filesystem::path& dir, Clock clock) {
         SqliteOptions opt;
         opt.clock = std::move(clock);
         return open_sqlite_store((dir / "lachan.db").string(), std::move(opt));
       }},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(store_backends()),
                         [](const ::testing::TestParamInfo<StoreBackend>& info) { return info.param.name; });

}  // namespace lachan::store::testing
