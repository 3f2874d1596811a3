// The log-source mapping: which events each Sigma `logsource` covers, and how rule field names
// map to event field names. Loaded from user-editable YAML (config/logsources/*.yml; the format
// is documented in config/logsources/README.md).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sigma/diagnostics.h"
#include "sigma/rule.h"

namespace lachan::sigma {

struct WhenTest {
  std::string field;
  bool exists_test = false;   // `field|exists: bool`
  bool exists_value = true;
  std::vector<std::string> values;  // lowercased; any of
};

struct LogSourceVariant {
  std::string name;      // "windows/process_creation/sysmon"
  std::vector<WhenTest> when;
  std::map<std::string, std::vector<std::string>> fields;  // rule field -> event fields
};

struct LogSourceEntry {
  LogSource match;
  int specificity = 0;
  std::vector<LogSourceVariant> variants;
  std::string file;
  uint32_t line = 0;
};

class LogSourceMap {
 public:
  // Loads every *.yml / *.yaml of the given files or folders. Problems go to diags.
  bool load(const std::vector<std::string>& paths, Diagnostics& diags);
  bool load_text(const std::string& yaml_text, const std::string& name, Diagnostics& diags);

  // The variants covering a rule's log source (most specific entries only); empty when no entry
  // applies, which means the rule is evaluated against every event.
  std::vector<const LogSourceVariant*> variants_for(const LogSource& rule) const;
  const std::vector<LogSourceEntry>& entries() const noexcept { return entries_; }

 private:
  std::vector<LogSourceEntry> entries_;
};

// Placeholders for the `expand` modifier: name (without %) -> values.
class Placeholders {
 public:
  bool load(const std::string& path, Diagnostics& diags);
  void set(std::string name, std::vector<std::string> values) { values_[std::move(name)] = std::move(values); }
  const std::vector<std::string>* find(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace lachan::sigma
