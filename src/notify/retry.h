// When to try a failed delivery again: exponential backoff with full jitter (the wait after the
// n-th failure is uniform in [0, min(cap, base * 2^(n-1))]), so that many deliveries failing
// together (a receiver down) do not come back in step; after max_attempts the delivery is dead.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace lachan::notify {

// Uniform in [0, upper], both ends included. Tests inject a fixed one.
using UniformRandom = std::function<uint64_t(uint64_t upper)>;
// A std::mt19937_64 seeded from std::random_device, behind a mutex (safe to share).
UniformRandom system_uniform_random();

struct RetryPolicy {
  std::chrono::milliseconds base{1'000};
  std::chrono::milliseconds cap{15 * 60'000};
  int max_attempts = 8;  // attempts in all, the first included

  // The ceiling of the wait after `failed_attempts` failures (>= 1): min(cap, base * 2^(n-1)).
  std::chrono::milliseconds ceiling(int failed_attempts) const;
  // The wait before the next attempt after `failed_attempts` failures, or nullopt when that was
  // the last one allowed (the delivery is dead).
  std::optional<std::chrono::milliseconds> next_delay(int failed_attempts, const UniformRandom& random) const;
};

}  // namespace lachan::notify
