// One thing wrong with an imported record or with a set of organisations. Import and validation
// collect every problem instead of stopping at the first.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace lachan::constituency {

struct Problem {
  std::string where;   // "record 3" (JSON, 0-based), "line 7" (CSV, 1-based), "org 12" (a set, 0-based)
  std::string org_id;  // empty when not known
  std::string field;   // e.g. "networks[2]", "parent"; empty for the record as a whole
  Errc code = Errc::malformed;
  std::string message;
};

// "line 7 (org evn): networks[2]: not a CIDR network: 10.0.0.300/24"
std::string format(const Problem& p);

// One Error for a list of problems (non-empty): `code`, the count, then one problem per line
// (at most `max_listed`).
Error to_error(Errc code, const std::vector<Problem>& problems, size_t max_listed = 50);

}  // namespace lachan::constituency
