#include "constituency/problem.h"

#include <fmt/format.h>

namespace lachan::constituency {

std::string format(const Problem& p) {
  std::string out = p.where;
  if (!p.org_id.empty()) out += fmt::format(" (org {})", p.org_id);
  out += ": ";
  if (!p.field.empty()) out += p.field + ": ";
  out += p.message;
  return out;
}

Error to_error(Errc code, const std::vector<Problem>& problems, size_t max_listed) {
  std::string msg = fmt::format("{} problem{}", problems.size(), problems.size() == 1 ? "" : "s");
  for (size_t i = 0; i < problems.size() && i < max_listed; ++i) msg += "\n" + format(problems[i]);
  if (problems.size() > max_listed) msg += fmt::format("\n... and {} more", problems.size() - max_listed);
  return make_error(code, std::move(msg));
}

}  // namespace lachan::constituency
