// Diagnostics collected while loading rules and configuration: every problem, with its place,
// a stable code and a message, instead of stopping at the first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lachan::sigma {

enum class Severity { error, warning, info };

struct Diagnostic {
  Severity severity = Severity::error;
  std::string file;
  uint32_t line = 0;    // 1-based; 0 when unknown
  uint32_t column = 0;  // 1-based; 0 when unknown
  std::string code;     // stable, kebab-case, e.g. "unknown-modifier"; tests assert on it
  std::string message;
};

class Diagnostics {
 public:
  void add(Severity s, std::string file, uint32_t line, uint32_t column, std::string code, std::string message) {
    items_.push_back({s, std::move(file), line, column, std::move(code), std::move(message)});
  }
  void error(std::string file, uint32_t line, uint32_t column, std::string code, std::string message) {
    add(Severity::error, std::move(file), line, column, std::move(code), std::move(message));
  }
  void warning(std::string file, uint32_t line, uint32_t column, std::string code, std::string message) {
    add(Severity::warning, std::move(file), line, column, std::move(code), std::move(message));
  }
  const std::vector<Diagnostic>& items() const noexcept { return items_; }
  size_t error_count() const noexcept {
    size_t n = 0;
    for (const auto& d : items_) n += d.severity == Severity::error;
    return n;
  }
  bool has_code(const std::string& code) const {
    for (const auto& d : items_)
      if (d.code == code) return true;
    return false;
  }
  void append(const Diagnostics& other) { items_.insert(items_.end(), other.items_.begin(), other.items_.end()); }

 private:
  std::vector<Diagnostic> items_;
};

// "file:line:col: error[code]: message"
std::string format_diagnostic(const Diagnostic& d);

}  // namespace lachan::sigma
