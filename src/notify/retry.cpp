#include "notify/retry.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <random>

namespace lachan::notify {

UniformRandom system_uniform_random() {
  struct State {
    std::mutex mu;
    std::mt19937_64 gen{std::random_device{}()};
  };
  auto state = std::make_shared<State>();
  return [state](uint64_t upper) {
    std::lock_guard lock(state->mu);
    return std::uniform_int_distribution<uint64_t>(0, upper)(state->gen);
  };
}

std::chrono::milliseconds RetryPolicy::ceiling(int failed_attempts) const {
  const int64_t b = std::max<int64_t>(base.count(), 0), c = std::max<int64_t>(cap.count(), 0);
  int64_t v = b;
  // Doubling stops at the cap, so large attempt numbers cannot overflow.
  for (int i = 1; i < failed_attempts && v < c; ++i) v = v > c / 2 ? c : v * 2;
  return std::chrono::milliseconds(std::min(v, c));
}

std::optional<std::chrono::milliseconds> RetryPolicy::next_delay(int failed_attempts,
                                                                 const UniformRandom& random) const {
  if (failed_attempts >= max_attempts) return std::nullopt;
  const auto top = ceiling(std::max(failed_attempts, 1));
  // Never more than the ceiling, whatever the injected source returns.
  return std::chrono::milliseconds(
      std::min<uint64_t>(random(static_cast<uint64_t>(top.count())), static_cast<uint64_t>(top.count())));
}

}  // namespace lachan::notify
