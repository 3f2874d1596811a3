#include "sigma/diagnostics.h"

#include <fmt/format.h>

namespace lachan::sigma {

std::string format_diagnostic(const Diagnostic& d) {
  const char* sev = d.severity == Severity::error ? "error" : d.severity == Severity::warning ? "warning" : "info";
  return fmt::format("{}:{}:{}: {}[{}]: {}", d.file, d.line, d.column, sev, d.code, d.message);
}

}  // namespace lachan::sigma
