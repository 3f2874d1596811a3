#include "store/store.h"

#include <chrono>

namespace lachan::store {

TimeMs system_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool may_change_status(Role role) {
  return role == Role::admin || role == Role::analyst || role == Role::responder;
}

bool transition_allowed(WarningStatus from, WarningStatus to) {
  using S = WarningStatus;
  switch (from) {
    case S::new_:
      return to == S::acknowledged || to == S::in_progress || to == S::resolved || to == S::false_positive;
    case S::acknowledged:
      return to == S::in_progress || to == S::resolved || to == S::false_positive;
    case S::in_progress:
      return to == S::resolved || to == S::false_positive;
    case S::resolved:
    case S::false_positive:
      return to == S::in_progress;
  }
  return false;
}

}  // namespace lachan::store
